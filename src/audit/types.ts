import type { ProducedAction } from "./vocabulary.ts";

/**
 * An action of the vocabulary (`AUDIT_ACTIONS` in vocabulary.ts), or another producer's own
 * (`^[a-z][a-z0-9_]{2,63}$`, as events.ts checks it).
 */
export type EventActionName = ProducedAction | (string & Record<never, never>);

/** A JSON value as stored in an audit entry (`changes` values). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What a producer (the attribution service, the create endpoint) hands to the audit log. */
export interface AuditEventInput {
  /** Idempotency key, unique per organisation. */
  event_id: string;
  action: EventActionName;
  actor_id: string;
  /** The actor's name at the time of the event. */
  actor_name?: string | null;
  coordinator_id?: string | null;
  mentor_id?: string | null;
  /** The mentor's name at the time of the event. */
  mentor_name?: string | null;
  activity_id?: string | null;
  attribution_id?: string | null;
  batch_id?: string | null;
  mentor_ids?: string[] | null;
  activity_type_id?: string | null;
  activity_date?: string | null;
  mentor_count?: number | null;
  skipped_count?: number | null;
  changes?: Record<string, { from: unknown; to: unknown }> | null;
  ip_address?: string | null;
  user_agent?: string | null;
  /** The member a member event (member_created, member_updated) is about. */
  member_id?: string | null;
  /** ISO 8601 with any offset; becomes the entry's `timestamp`. Absent: the append time. */
  occurred_at?: string | null;
}

/**
 * A JSON value inside an answer of the audit object. Not JsonValue, because the RPC stub types
 * cannot expand a recursive type; not `unknown`, because they take a result holding `unknown`
 * for one that cannot be sent, and type the method that answers it as answering `never`.
 */
export type JsonResultValue = string | number | boolean | null | object;

/** `{field: {from, to}}` with JSON values. */
export type AuditChanges = Record<string, { from: JsonResultValue; to: JsonResultValue }>;

/** An entry of the log as the object answers it. Absent fields are null. */
export interface AuditEntry {
  /** `log-NNN`, from `seq`. */
  id: string;
  seq: number;
  event_id: string;
  action: string;
  actor_id: string;
  actor_name: string | null;
  coordinator_id: string | null;
  mentor_id: string | null;
  mentor_name: string | null;
  activity_id: string | null;
  attribution_id: string | null;
  batch_id: string | null;
  mentor_ids: string[] | null;
  activity_type_id: string | null;
  activity_date: string | null;
  mentor_count: number | null;
  skipped_count: number | null;
  changes: AuditChanges | null;
  ip_address: string | null;
  user_agent: string | null;
  member_id: string | null;
  /** The entry an `entry_annotated` or `entry_deleted` record is about. */
  target_seq: number | null;
  /** Set on `entry_annotated` records only. */
  annotation: string | null;
  reviewed_by: string | null;
  /** When the event happened (its `occurred_at`, else the append time). */
  timestamp: string;
  /** When the object appended it. */
  recorded_at: string;
  payload_hash: string;
  prev_hash: string;
  hash: string;
}

/** The latest annotation of an entry. */
export interface AuditAnnotation {
  annotation: string;
  reviewed_by: string;
  /** The annotation record's timestamp. */
  updated_at: string;
  /** The `entry_annotated` record that holds it. */
  record_id: string;
}

export interface AuditEntryDetail {
  entry: AuditEntry;
  annotation: AuditAnnotation | null;
}

/** One event of an attribution's trail; a redacted one keeps only who redacted it and when. */
export type TrailItem =
  | { kind: "entry"; entry: AuditEntry }
  | {
      kind: "redacted";
      id: string;
      seq: number;
      event_id: string;
      actor_id: string | null;
      at: string | null;
    };

export type AppendResult =
  | { status: "created"; entry: AuditEntry }
  /** The event ID was appended before; nothing was written. */
  | { status: "existing"; entry: AuditEntry }
  /** The event ID was appended before and that entry has since been deleted. */
  | { status: "redacted"; id: string; seq: number };

export interface AuditListQuery {
  actions?: string[];
  actor_id?: string;
  coordinator_id?: string;
  /** Matches the entry's `mentor_id` or any of its `mentor_ids`. */
  mentor_id?: string;
  activity_id?: string;
  attribution_id?: string;
  batch_id?: string;
  member_id?: string;
  /** Inclusive bounds on `timestamp`, ISO 8601 UTC with second precision. */
  from?: string;
  to?: string;
  /** By sequence number; default `desc` (newest first). */
  order?: "asc" | "desc";
  limit: number;
  offset: number;
}

export interface AuditListResult {
  entries: AuditEntry[];
  total: number;
}

/** Who changes the log through annotate or redact, and from which request. */
export interface AuditActor {
  actor_id: string;
  actor_name?: string | null;
  ip_address?: string | null;
  user_agent?: string | null;
}

export interface AuditNote {
  annotation: string;
  reviewed_by: string;
}

/** What an append call answers: each event's outcome, or why the object appended nothing. */
export type AppendOutcome = { status: "appended"; results: AppendResult[] } | AppendRefusal;

/** An Idempotency-Key of the system `POST`, kept by the object: the caller's key and the request's fingerprint. */
export interface AuditIdempotencyKey {
  caller_id: string;
  key: string;
  /** SHA-256 (hex) of the request's method, path and body. */
  fingerprint: string;
}

/** A response kept under a key, as a retry replays it. */
export interface KeptResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A key that already holds an answer: this request's, to replay, or another request's. */
export type KeyHeld = { status: "held"; response: KeptResponse } | { status: "key_reused" };

/**
 * A keyed append: appended (or found by its event ID), with its answer kept under the key in the
 * same transaction unless `kept` says otherwise (an event since redacted keeps nothing: its 409 is
 * kept like any other refusal); or not appended, because the key already holds an answer.
 */
export type KeyedAppendOutcome =
  | { status: "appended"; result: AppendResult; kept: boolean }
  | KeyHeld
  | AppendRefusal;

/** Keeping an outcome under a key: kept, or the key already holds an answer (replayed), or another request's. */
export type KeepOutcome = { status: "kept" } | KeyHeld;

/**
 * What a write to an entry (annotate, redact) may carry: the Idempotency-Key its answer is kept
 * under, in the write's transaction; and the version of the entry its If-Match check read (the ID
 * of its latest annotation record, null for none), which the entry must still have.
 */
export interface EntryWriteOptions {
  key?: AuditIdempotencyKey | undefined;
  seen?: { annotation: string | null } | undefined;
}

/** Why a write to an entry wrote nothing, besides a key that already holds an answer. */
type EntryWriteRefusal =
  | AppendRefusal
  | { status: "not_found" }
  /** The entry changed after the version the request's If-Match check read. */
  | { status: "stale" }
  | KeyHeld;

export type AnnotateResult =
  | EntryWriteRefusal
  | { status: "annotated"; annotation: AuditAnnotation; record: AuditEntry }
  /** Annotation and deletion records are not annotated themselves. */
  | { status: "not_annotatable"; action: string };

export type RedactResult =
  | EntryWriteRefusal
  | { status: "redacted"; record: AuditEntry }
  /** Deletion records are the evidence of a redaction and stay. */
  | { status: "not_redactable"; action: string };

/** The append times an export covers, inclusive, ISO 8601; either may be left open. */
export interface AuditExportRange {
  from?: string;
  to?: string;
}

/**
 * The contiguous run of entries an export covers: from the first live entry appended at or
 * after `from` to the last appended at or before `to`, redacted entries between them included.
 * Empty when `last_seq` < `first_seq`. A full export (no bounds) runs from entry 1 to the last
 * signed tree size and carries that checkpoint; a ranged one cannot be checked against a root.
 */
export interface AuditExportSpan {
  first_seq: number;
  last_seq: number;
  /** The log's length when the span was taken. */
  log_head_seq: number;
  /** Whether the span is the whole tree of a signed checkpoint, so its root can be recomputed. */
  verifiable: boolean;
  /** The signed checkpoint note of size `last_seq`, for a verifiable span the object could vouch for. */
  checkpoint: string | null;
  /** Why there is no checkpoint, when there is none. */
  unverifiable_reason: string | null;
}

export type {
  ChainFault,
  ChainFaultReason,
  CheckpointResult,
  ConsistencyResult,
  FullAuditStatus,
  InclusionResult,
  SignedCheckpoint,
  Unavailable,
  VerifyReport,
} from "./proof-types.ts";

/** What a call that appends answers when the object will not append now. */
export interface AppendRefusal {
  status: "refused";
  reason: "no_signing_key" | "untrusted";
  detail: string;
}

/**
 * A row of the object's `entries` table, which is also the line format of an
 * exported log. A redacted row keeps `seq`, `event_id` and its hashes; every
 * other payload column is null. `mentor_ids` and `changes` hold canonical JSON.
 * A type alias rather than an interface, so that it satisfies the SQL cursor's row constraint.
 */
export type AuditRow = {
  seq: number;
  event_id: string;
  redacted: number;
  action: string | null;
  actor_id: string | null;
  actor_name: string | null;
  coordinator_id: string | null;
  mentor_id: string | null;
  mentor_name: string | null;
  activity_id: string | null;
  attribution_id: string | null;
  batch_id: string | null;
  mentor_ids: string | null;
  activity_type_id: string | null;
  activity_date: string | null;
  mentor_count: number | null;
  skipped_count: number | null;
  changes: string | null;
  ip_address: string | null;
  user_agent: string | null;
  target_seq: number | null;
  annotation: string | null;
  reviewed_by: string | null;
  timestamp: string | null;
  recorded_at: string | null;
  member_id: string | null;
  /** The statement of hours a `statement_issued` entry records (SPEC §16), and its hex SHA-256. */
  statement_id: string | null;
  statement_hash: string | null;
  payload_hash: string;
  prev_hash: string;
  hash: string;
};
