// What the bench Workers answer over RPC: each Worker implements its interface and the Node
// script that starts it calls through it. Types only, so that both type-checks read this file:
// the Workers' (with src/) and the Node scripts'.

export interface AuditAppendRun {
  calls: number;
  events: number;
  milliseconds: number;
  valid: boolean;
  /** Entries the chain holds after the run, by verify(). */
  entries: number;
  /** Events appended, warm-up included; equals `entries` when none was lost. */
  next: number;
}

export interface AuditAppendBenchRpc {
  run(batchSize: number, inFlight: number, events: number): Promise<AuditAppendRun>;
}

export interface ExportBenchSeederRpc {
  /** Answers the entries the organisation's chain holds afterwards. */
  seed(org: string, entries: number): Promise<number>;
}
