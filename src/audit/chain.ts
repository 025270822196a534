/**
 * The audit chain's maths, free of storage so that an exported log can be checked offline.
 *
 * The payload of an entry and its canonical JSON are defined in payload.ts.
 *
 * - `payload_hash` = lowercase hex SHA-256 of the canonical payload;
 * - `hash` = lowercase hex SHA-256 of the ASCII text `prev_hash + payload_hash` (128 hex digits);
 * - the first entry's `prev_hash` is GENESIS_HASH.
 *
 * The chain is kept for the exports and tools written against it; what checkpoints sign is the
 * Merkle tree over the payload hashes (merkle.ts).
 *
 * A redacted row (`redacted` = 1) has lost its payload, so only its stored payload hash and its
 * link are checked, and a later `entry_deleted` record must name it in `target_seq`.
 */
import { createHash } from "node:crypto";
// Imports name their `.ts` files so that Node can load this module as it is (verify-export).
import { entryId } from "./entry-id.ts";
import { canonicalJson, entryPayload, PAYLOAD_FIELDS } from "./payload.ts";
import type { AuditRow, ChainFault } from "./types.ts";

export { canonicalJson, entryPayload, PAYLOAD_FIELDS };

export const GENESIS_HASH = "0".repeat(64);

/** Actions of the records the object writes itself; producers may not use them. */
export const ANNOTATION_ACTION = "entry_annotated";
export const DELETION_ACTION = "entry_deleted";
export const RECORD_ACTIONS: readonly string[] = [ANNOTATION_ACTION, DELETION_ACTION];

/**
 * What a redaction keeps: the sequence number, the idempotency key, and the references that
 * place the event (its attribution and activity), so a record's trail still shows that an event
 * was there and who removed it. Everything else of the payload is erased, and a redacted row
 * holding anything there is a rewritten one.
 */
const KEPT_ON_REDACTION: ReadonlySet<string> = new Set(["seq", "event_id", "attribution_id", "activity_id"]);
export const ERASED_COLUMNS = PAYLOAD_FIELDS.filter((column) => !KEPT_ON_REDACTION.has(column));

/**
 * Why a redacted row is not what a redaction leaves, or null: its payload hash is trusted as
 * stored, so every column the redaction erased must be empty, or content could be written into a
 * row flagged redacted and still verify.
 */
export function redactionFault(row: AuditRow): ChainFault | null {
  const filled =
    row.redacted === 1
      ? ERASED_COLUMNS.find((column) => row[column] !== null && row[column] !== undefined)
      : "redacted";
  if (filled === undefined) return null;
  return {
    seq: row.seq,
    reason: "redacted_entry_not_erased",
    detail: `${entryId(row.seq)} is marked redacted but holds ${filled === "redacted" ? `redacted = ${row.redacted}` : filled}: a redaction leaves only its IDs`,
  };
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function payloadHash(row: AuditRow): string {
  return sha256Hex(canonicalJson(entryPayload(row)));
}

export function linkHash(prevHash: string, payloadHashHex: string): string {
  return sha256Hex(`${prevHash}${payloadHashHex}`);
}

/** How far a walk along the chain has come; rows are fed to it in order, in chunks. */
export interface ChainWalk {
  /** The first entry walked; a deletion record about an earlier entry cannot be checked. */
  first_seq: number;
  next_seq: number;
  prev_hash: string;
  entries_checked: number;
  /** Redacted entries whose `entry_deleted` record has not been walked yet. */
  open_redactions: number[];
}

export function startWalk(): ChainWalk {
  return startWalkAt(1, GENESIS_HASH);
}

/**
 * A walk from entry `seq` on, trusting `prevHash` as the link before it: how a range cut out
 * of the log (an export) is walked. From seq 1 the link must be the genesis value.
 */
export function startWalkAt(seq: number, prevHash: string): ChainWalk {
  return { first_seq: seq, next_seq: seq, prev_hash: prevHash, entries_checked: 0, open_redactions: [] };
}

export interface WalkStep {
  walk: ChainWalk;
  fault: ChainFault | null;
}

function rowFault(row: AuditRow, walk: ChainWalk): ChainFault | null {
  if (row.seq !== walk.next_seq) {
    return {
      seq: walk.next_seq,
      reason: "sequence_gap",
      detail: `Expected ${entryId(walk.next_seq)} but found ${entryId(row.seq)}`,
    };
  }
  if (row.prev_hash !== walk.prev_hash) {
    return {
      seq: row.seq,
      reason: "prev_hash_mismatch",
      detail: `${entryId(row.seq)} does not link to the entry before it: one of the two was changed`,
    };
  }
  // A redacted entry's payload is gone, so its stored payload hash is trusted once the row holds
  // nothing a redaction erases; its link is still checked.
  if (row.redacted !== 0) {
    const fault = redactionFault(row);
    if (fault) return fault;
  } else {
    let recomputed: string;
    try {
      recomputed = payloadHash(row);
    } catch {
      recomputed = "";
    }
    if (recomputed !== row.payload_hash) {
      return {
        seq: row.seq,
        reason: "payload_hash_mismatch",
        detail: `The stored fields of ${entryId(row.seq)} do not match its payload hash`,
      };
    }
  }
  if (linkHash(row.prev_hash, row.payload_hash) !== row.hash) {
    return {
      seq: row.seq,
      reason: "hash_mismatch",
      detail: `The hash of ${entryId(row.seq)} is not SHA-256(prev_hash || payload_hash)`,
    };
  }
  return null;
}

/** Checks rows that continue a walk. Pure: answers the advanced walk, or the first fault. */
export function walkRows(start: ChainWalk, rows: readonly AuditRow[]): WalkStep {
  const walk: ChainWalk = { ...start, open_redactions: [...start.open_redactions] };
  for (const row of rows) {
    const fault = rowFault(row, walk);
    if (fault) return { walk, fault };
    if (row.redacted !== 0) walk.open_redactions.push(row.seq);
    if (row.redacted === 0 && row.action === DELETION_ACTION) {
      const target = row.target_seq;
      const open = target === null ? -1 : walk.open_redactions.indexOf(target);
      if (target === null || (open === -1 && target >= walk.first_seq)) {
        return {
          walk,
          fault: {
            seq: target ?? row.seq,
            reason: "deletion_record_mismatch",
            detail: `${entryId(row.seq)} records a deletion of an entry that is not redacted`,
          },
        };
      }
      if (open !== -1) walk.open_redactions.splice(open, 1);
    }
    walk.next_seq = row.seq + 1;
    walk.prev_hash = row.hash;
    walk.entries_checked += 1;
  }
  return { walk, fault: null };
}

/** Checks what can only be judged once every row has been walked. */
export function finishWalk(walk: ChainWalk): ChainFault | null {
  // Redactions are pushed in walking order, so the first one open is the lowest.
  const first = walk.open_redactions[0];
  if (first === undefined) return null;
  return {
    seq: first,
    reason: "unrecorded_redaction",
    detail: `${entryId(first)} is redacted but no entry_deleted record says so`,
  };
}

/** Walks a whole log: the links, payload hashes and redaction records. */
export function verifyRows(rows: readonly AuditRow[]): WalkStep {
  const step = walkRows(startWalk(), rows);
  return step.fault ? step : { walk: step.walk, fault: finishWalk(step.walk) };
}
