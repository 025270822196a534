/**
 * The follower that runs the full re-hash POST /verify starts: every stored entry's payload →
 * `payload_hash` → leaf → the tree at the signed size the re-hash started from, a chunk per
 * step, its progress (the right edge of the tree re-built so far, the last chain link) saved
 * with each chunk, so appends and reads are served between chunks.
 */
import { toIsoSeconds } from "../lib/time";
import { DELETION_ACTION, GENESIS_HASH, linkHash, payloadHash, redactionFault } from "./chain";
import { entryId } from "./entry-id";
import { readState, type SyncFollower, saveState } from "./followers";
import { fromHex, leafHash, MerkleFrontier, sameHash, toHex } from "./merkle";
import { rowsBetween } from "./store";
import { lastCheckpoint, leavesBetween } from "./tree-store";
import type { ChainFault, FullAuditStatus } from "./types";

/**
 * Entries re-hashed per step: a step holds the object for some tens of milliseconds locally
 * (`npm run bench:audit`), then lets the calls waiting for it in.
 */
export const AUDIT_CHUNK_ROWS = 250;

export const NEVER_AUDITED: FullAuditStatus = {
  status: "never",
  tree_size: null,
  checked_through: 0,
  started_at: null,
  finished_at: null,
  first_bad_seq: null,
  reason: null,
};

/** The saved state of a re-hash: what it reports, and where it stands. */
interface AuditProgress extends FullAuditStatus {
  /** The right edge of the tree re-built so far, largest subtree first (hex). */
  edge: { level: number; hash: string }[];
  /** The chain link of the last entry checked. */
  prev_hash: string;
  /** The root signed at `tree_size` (hex). */
  signed_root: string;
}

/** The saved state of the re-hash follower: null until the first re-hash starts. */
type FullAuditState = AuditProgress | null;

/** The latest re-hash as the API reports it. */
export function fullAuditStatus(sql: SqlStorage): FullAuditStatus {
  const progress = readState(sql, fullAudit);
  if (progress === null) return NEVER_AUDITED;
  const { status, tree_size, checked_through, started_at, finished_at, first_bad_seq, reason } = progress;
  return { status, tree_size, checked_through, started_at, finished_at, first_bad_seq, reason };
}

/**
 * Starts a re-hash against the latest signed checkpoint, unless one is running. Answers the
 * status, or null when there is no signed tree to check against yet.
 */
export function startFullAudit(sql: SqlStorage, now: string): FullAuditStatus | null {
  const running = readState(sql, fullAudit);
  if (running?.status === "running") return fullAuditStatus(sql);
  const signed = lastCheckpoint(sql);
  if (signed === null) return null;
  saveState(sql, fullAudit, {
    status: "running",
    tree_size: signed.tree_size,
    checked_through: 0,
    started_at: now,
    finished_at: null,
    first_bad_seq: null,
    reason: null,
    edge: [],
    prev_hash: GENESIS_HASH,
    signed_root: signed.root_hash,
  });
  return fullAuditStatus(sql);
}

/** The first fault of one entry, checked on its own and against the stored tree. */
function entryFault(
  sql: SqlStorage,
  row: ReturnType<typeof rowsBetween>[number],
  expectedSeq: number,
  prevHash: string,
  storedLeaf: Uint8Array | undefined,
  leaf: Uint8Array,
): ChainFault | null {
  const id = entryId(row.seq);
  if (row.seq !== expectedSeq) {
    return {
      seq: expectedSeq,
      reason: "sequence_gap",
      detail: `Expected ${entryId(expectedSeq)} but found ${id}`,
    };
  }
  if (row.prev_hash !== prevHash) {
    return {
      seq: row.seq,
      reason: "prev_hash_mismatch",
      detail: `${id} does not link to the entry before it`,
    };
  }
  if (row.redacted === 0) {
    let recomputed = "";
    try {
      recomputed = payloadHash(row);
    } catch {
      // An unreadable JSON column is a changed payload.
    }
    if (recomputed !== row.payload_hash) {
      return {
        seq: row.seq,
        reason: "payload_hash_mismatch",
        detail: `The stored fields of ${id} do not match its payload hash`,
      };
    }
  } else {
    const erased = redactionFault(row);
    if (erased) return erased;
    const recorded = sql
      .exec(
        `SELECT 1 FROM entries WHERE target_seq = ? AND action = '${DELETION_ACTION}' AND redacted = 0 LIMIT 1`,
        row.seq,
      )
      .toArray().length;
    if (recorded === 0) {
      return {
        seq: row.seq,
        reason: "unrecorded_redaction",
        detail: `${id} is redacted but no entry_deleted record says so`,
      };
    }
  }
  if (row.redacted === 0 && row.action === DELETION_ACTION && row.target_seq !== null) {
    const target = sql
      .exec<{ redacted: number }>("SELECT redacted FROM entries WHERE seq = ?", row.target_seq)
      .toArray()[0];
    if (target?.redacted !== 1) {
      return {
        seq: row.target_seq,
        reason: "deletion_record_mismatch",
        detail: `${id} records a deletion of an entry that is not redacted`,
      };
    }
  }
  if (linkHash(row.prev_hash, row.payload_hash) !== row.hash) {
    return {
      seq: row.seq,
      reason: "hash_mismatch",
      detail: `The hash of ${id} is not SHA-256(prev_hash || payload_hash)`,
    };
  }
  if (storedLeaf === undefined || !sameHash(storedLeaf, leaf)) {
    return { seq: row.seq, reason: "leaf_mismatch", detail: `The tree's leaf ${row.seq - 1} is not ${id}'s` };
  }
  return null;
}

/** One chunk of a running re-hash: its progress after it. */
function auditChunk(sql: SqlStorage, progress: AuditProgress, now: string): AuditProgress {
  if (progress.tree_size === null) return progress;
  const target = progress.tree_size;
  const frontier = new MerkleFrontier(
    progress.checked_through,
    progress.edge.map((node) => ({ level: node.level, hash: fromHex(node.hash) })),
  );
  const rows = rowsBetween(sql, progress.checked_through, target, AUDIT_CHUNK_ROWS);
  const storedLeaves = leavesBetween(sql, progress.checked_through, rows.at(-1)?.seq ?? 0);
  let prevHash = progress.prev_hash;
  let fault: ChainFault | null = null;
  for (const row of rows) {
    const leaf = leafHash(row.payload_hash);
    fault = entryFault(sql, row, frontier.size + 1, prevHash, storedLeaves.get(row.seq - 1), leaf);
    if (fault) break;
    frontier.append(leaf);
    prevHash = row.hash;
  }
  if (!fault && rows.length === 0 && frontier.size < target) {
    const seq = frontier.size + 1;
    fault = { seq, reason: "sequence_gap", detail: `${entryId(seq)} is missing` };
  }
  if (!fault && frontier.size === target && !sameHash(frontier.root(), fromHex(progress.signed_root))) {
    fault = {
      seq: null,
      reason: "root_mismatch",
      detail: `The entries do not give the root signed at size ${target}`,
    };
  }
  const done = fault !== null || frontier.size === target;
  return {
    ...progress,
    status: done ? "done" : "running",
    checked_through: frontier.size,
    finished_at: done ? now : null,
    first_bad_seq: fault?.seq ?? null,
    reason: fault ? `${fault.reason}: ${fault.detail}` : null,
    edge: frontier.subtrees.map((node) => ({ level: node.level, hash: toHex(node.hash) })),
    prev_hash: prevHash,
  };
}

/** The re-hash as a follower: due while one is running, a chunk per step. */
export const fullAudit: SyncFollower<FullAuditState> = {
  kind: "sync",
  name: "full-audit",
  initial: null,
  due: (_sql, state, now) => (state?.status === "running" ? now : null),
  step: (sql, state, now) =>
    state?.status === "running" ? auditChunk(sql, state, toIsoSeconds(new Date(now))) : state,
};
