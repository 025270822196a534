/**
 * Statements of hours (SPEC §16): what the service signs for a mentor, to hand to a school, an
 * employer or a court who will not log in anywhere. Free of Node, so the Worker that issues a
 * statement, `npm run verify-statement` and the page `/statements/verify` share it.
 *
 * A bundle is `{statement, statement_hash, signature, log_entry}`:
 * - `statement_hash` = lowercase hex SHA-256 of the RFC 8785 (JCS) serialisation of
 *   `statement`, as UTF-8 (statementJcs);
 * - `signature` = a C2SP signed note by the audit log's key (signed-note.ts) whose text is
 *   statementNoteText: STATEMENT_NOTE_HEADER, the statement's origin, its ID and the base64 of
 *   the 32 hash bytes, one per line;
 * - `log_entry` = the `statement_issued` audit entry as an export row (export-file.ts), whose
 *   payload holds `statement_id`, `statement_hash` and `mentor_id`, with its RFC 9162 inclusion
 *   proof (`leaf_index` = seq − 1, `audit_path` in hex) against a signed `checkpoint` of the
 *   statement's origin.
 */
import canonicalize from "canonicalize";
import { encodeBase64 } from "./bytes.ts";
import type { AuditRow } from "./types.ts";

/** The first line of every statement signature: what the note is, so it is never read as another note. */
export const STATEMENT_NOTE_HEADER = "mentor-activity-api/statement/v1";

/** The audit action that records a statement's issue. */
export const STATEMENT_ISSUED_ACTION = "statement_issued";

/** A statement lists at most this many activities; a longer period is asked for in parts. */
export const MAX_STATEMENT_ENTRIES = 2000;

export const STATEMENT_ENTRY_MODES = ["self", "proxy", "bulk"] as const;
export type StatementEntryMode = (typeof STATEMENT_ENTRY_MODES)[number];

/**
 * Why an activity counts (SPEC §15): a mentor's own entry `approved` by someone else or
 * `not_required` to be, or one registered on its behalf that it `confirmed`.
 */
export const VERIFICATIONS = ["approved", "confirmed", "not_required"] as const;
export type Verification = (typeof VERIFICATIONS)[number];

export interface StatementEntry {
  id: string;
  /** ISO 8601 UTC, second precision. */
  occurred_at: string;
  activity_type: string;
  duration_minutes: number;
  entry_mode: StatementEntryMode;
  verification: Verification;
}

export interface ActivityTypeTotal {
  activity_type: string;
  label: string;
  activities: number;
  minutes: number;
}

export interface Statement {
  /** `stmt-YYYYMMDD-NNN`. */
  statement_id: string;
  /** The organisation's log: `<AUDIT_LOG_ORIGIN>/<org_id>`. */
  origin: string;
  org_id: string;
  mentor: { id: string; name: string };
  /** Calendar dates (YYYY-MM-DD), inclusive, in `time_zone` (IANA). */
  period: { from: string; to: string; time_zone: string };
  totals: { activities: number; minutes: number; by_activity_type: ActivityTypeTotal[] };
  entries: StatementEntry[];
  /** ISO 8601 UTC, second precision. */
  issued_at: string;
  /** The member who asked for it. */
  issued_by: string;
}

export interface StatementLogEntry {
  /** The `statement_issued` entry, every column of an export row. */
  entry: AuditRow;
  leaf_index: number;
  audit_path: string[];
  checkpoint: string;
}

export interface StatementBundle {
  statement: Statement;
  statement_hash: string;
  signature: string;
  log_entry: StatementLogEntry;
}

/** The exact text `statement_hash` is the SHA-256 of (RFC 8785). */
export function statementJcs(statement: Statement): string {
  const text = canonicalize(statement);
  if (text === undefined) throw new TypeError("A statement has a JSON form");
  return text;
}

/** The text a statement's signature note signs. */
export function statementNoteText(origin: string, statementId: string, hash: Uint8Array): string {
  return `${STATEMENT_NOTE_HEADER}\n${origin}\n${statementId}\n${encodeBase64(hash)}\n`;
}

/** Hours as a reader counts them: whole or to two decimals, `1 hour`, `42.5 hours`. */
export function hoursText(minutes: number): string {
  const hours = Number((minutes / 60).toFixed(2));
  return `${hours} ${hours === 1 ? "hour" : "hours"}`;
}
