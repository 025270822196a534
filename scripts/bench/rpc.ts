// What the bench Workers answer over RPC: each Worker implements its interface and the Node
// script that starts it calls through it. Types only, so that both type-checks read this file:
// the Workers' (with src/) and the Node scripts'.

export interface AuditAppendRun {
  calls: number;
  events: number;
  milliseconds: number;
  valid: boolean;
  /** Entries the signed tree holds after the run, by verify(). */
  entries: number;
  /** Events appended, warm-up included; equals `entries` when none was lost. */
  next: number;
}

/** Latencies of one kind of call, in milliseconds, and the tree nodes each read. */
export interface CallFigures {
  calls: number;
  mean_ms: number;
  p99_ms: number;
  max_nodes_read: number;
}

export interface ProofRun {
  entries: number;
  seed_seconds: number;
  inclusion: CallFigures;
  consistency: CallFigures;
  /** GET /verify's call (the latest checkpoint checked against the stored tree). */
  verify: Omit<CallFigures, "max_nodes_read">;
}

export interface RehashRun {
  entries: number;
  /** From POST /verify to the re-hash reporting done, appends running all along. */
  rehash_seconds: number;
  appends: number;
  /** The longest wait between one append's answer and the next's, while the re-hash ran. */
  longest_gap_ms: number;
  p99_gap_ms: number;
  mean_gap_ms: number;
  found: string | null;
}

export interface AuditAppendBenchRpc {
  run(batchSize: number, inFlight: number, events: number): Promise<AuditAppendRun>;
  /** Seeds a fresh log of `entries` through the object's append, then times its proofs and /verify. */
  proofs(entries: number, samples: number): Promise<ProofRun>;
  /** Seeds a fresh log of `entries`, starts the full re-hash and appends one event per call until it is done. */
  rehash(entries: number): Promise<RehashRun>;
}

export interface ExportBenchSeederRpc {
  /** Answers the entries the organisation's chain holds afterwards. */
  seed(org: string, entries: number): Promise<number>;
}
