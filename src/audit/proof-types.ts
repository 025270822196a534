// What the audit object answers about its tree and its checks: proofs, checkpoints, the state of
// the log and of its full re-hash. Re-exported by types.ts, where the rest of its surface is.

/** Why a chain walk (the full re-hash, an export check) failed. */
export const CHAIN_FAULT_REASONS = [
  "sequence_gap",
  "prev_hash_mismatch",
  "payload_hash_mismatch",
  "hash_mismatch",
  "unrecorded_redaction",
  "redacted_entry_not_erased",
  "deletion_record_mismatch",
  "leaf_mismatch",
  "root_mismatch",
] as const;

export type ChainFaultReason = (typeof CHAIN_FAULT_REASONS)[number];

export interface ChainFault {
  /** The first sequence number that fails; null when the fault is not tied to one entry. */
  seq: number | null;
  reason: ChainFaultReason;
  detail: string;
}

/** The latest full re-hash (POST /verify), as the alarm leaves it after each chunk. */
export interface FullAuditStatus {
  status: "never" | "running" | "done";
  /** The signed tree size the re-hash checks against. */
  tree_size: number | null;
  /** Entries re-hashed so far. */
  checked_through: number;
  started_at: string | null;
  finished_at: string | null;
  first_bad_seq: number | null;
  reason: string | null;
}

/** GET /verify: the state of the log, answered in O(log n). */
export interface VerifyReport {
  valid: boolean;
  tree_size: number;
  root_hash: string | null;
  /** The latest checkpoint's signature verifies and the stored nodes give its root. */
  checkpoint_valid: boolean;
  /** Why the checkpoint does not hold, when it does not. */
  checkpoint_problem: string | null;
  /** The tree of a log that predates it is still being built; proofs wait until it is done. */
  building: { tree_size: number; log_length: number } | null;
  full_audit: FullAuditStatus;
}

/** A signed checkpoint as the API shows it. */
export interface SignedCheckpoint {
  tree_size: number;
  root_hash: string;
  signed_at: string;
  key_id: string;
  checkpoint: string;
}

/** Why the object cannot serve a proof or a signed state right now. */
export type Unavailable =
  | { status: "building"; detail: string }
  | { status: "unsigned"; detail: string }
  | { status: "untrusted"; detail: string };

export type CheckpointResult =
  | { status: "ok"; checkpoint: SignedCheckpoint }
  | { status: "none" }
  | Unavailable;

export type InclusionResult =
  | {
      status: "ok";
      /** Who may read the entry: its coordinator, and whether it was redacted. */
      coordinator_id: string | null;
      redacted: boolean;
      leaf_index: number;
      leaf_hash: string;
      tree_size: number;
      root_hash: string;
      audit_path: string[];
      checkpoint: string;
      nodes_read: number;
    }
  | { status: "not_found" }
  | { status: "bad_size"; detail: string }
  | Unavailable;

export type ConsistencyResult =
  | { status: "ok"; from: number; to: number; proof: string[]; nodes_read: number }
  | { status: "bad_size"; field: "from" | "to"; detail: string }
  | Unavailable;
