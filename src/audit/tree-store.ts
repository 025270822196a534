/**
 * The audit object's Merkle tree and checkpoints in its SQLite storage, synchronous so a caller
 * composes them inside one `transactionSync`. Only the object calls these.
 */
import { GENESIS_HASH } from "./chain.ts";
import type { AuditKeys } from "./keys.ts";
import { fromHex, type Hash, MerkleFrontier, type NodeReader, rootHash, sameHash, toHex } from "./merkle.ts";
import { checkpointText, parseCheckpoint, signNote, verifyCheckpoint } from "./signed-note.ts";

/** A stored node the tree needs is missing: the storage was changed underneath the object. */
export class MissingNode extends Error {
  constructor(level: number, index: number) {
    super(`The tree has no node (${level}, ${index})`);
    this.name = "MissingNode";
  }
}

/** Stored complete subtrees, read one row at a time and counted, so a proof's cost can be shown. */
export class StoredTree implements NodeReader {
  reads = 0;
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  node(level: number, index: number): Hash {
    this.reads += 1;
    const row = this.sql
      .exec<{ hash: ArrayBuffer }>("SELECT hash FROM tree_nodes WHERE level = ? AND idx = ?", level, index)
      .toArray()[0];
    if (!row) throw new MissingNode(level, index);
    return new Uint8Array(row.hash);
  }
}

/** The stored leaves (level 0) of entries after `afterSeq` up to `lastSeq`, by leaf index, in one statement. */
export function leavesBetween(sql: SqlStorage, afterSeq: number, lastSeq: number): Map<number, Uint8Array> {
  const rows = sql
    .exec<{ idx: number; hash: ArrayBuffer }>(
      "SELECT idx, hash FROM tree_nodes WHERE level = 0 AND idx >= ? AND idx < ? ORDER BY idx",
      afterSeq,
      lastSeq,
    )
    .toArray();
  return new Map(rows.map((row) => [row.idx, new Uint8Array(row.hash)]));
}

/** Nodes per INSERT: three bound parameters each, under the 100 a statement may bind. */
const NODES_PER_INSERT = 33;

/** Stores new nodes, a statement per NODES_PER_INSERT of them. */
export function putNodes(
  sql: SqlStorage,
  nodes: readonly { level: number; index: number; hash: Hash }[],
): void {
  for (let start = 0; start < nodes.length; start += NODES_PER_INSERT) {
    const chunk = nodes.slice(start, start + NODES_PER_INSERT);
    sql.exec(
      `INSERT INTO tree_nodes (level, idx, hash) VALUES ${chunk.map(() => "(?, ?, ?)").join(", ")}`,
      ...chunk.flatMap((node) => [node.level, node.index, node.hash]),
    );
  }
}

/**
 * The right edge of the stored tree of `size` leaves (its complete subtrees, largest first),
 * read in one statement: what an append extends and what gives the root of that size.
 */
export function readFrontier(sql: SqlStorage, size: number): MerkleFrontier {
  const positions = MerkleFrontier.edgeOf(size);
  if (positions.length === 0) return new MerkleFrontier();
  const rows = sql
    .exec<{ level: number; idx: number; hash: ArrayBuffer }>(
      `SELECT level, idx, hash FROM tree_nodes WHERE ${positions.map(() => "(level = ? AND idx = ?)").join(" OR ")}`,
      ...positions.flatMap((p) => [p.level, p.index]),
    )
    .toArray();
  const byLevel = new Map(rows.map((row) => [row.level, row]));
  const edge = positions.map(({ level, index }) => {
    const row = byLevel.get(level);
    if (!row || row.idx !== index) throw new MissingNode(level, index);
    return { level, hash: new Uint8Array(row.hash) };
  });
  return new MerkleFrontier(size, edge);
}

/** How many leaves the tree holds. */
/** How many leaves the stored tree holds: one past its last leaf, read from the primary key. */
const TREE_SIZE = "SELECT coalesce(max(idx) + 1, 0) AS tree_size FROM tree_nodes WHERE level = 0";

export const treeSize = (sql: SqlStorage): number =>
  sql.exec<{ tree_size: number }>(TREE_SIZE).one().tree_size;

/** The highest sequence number appended (the log's length), 0 when empty. */
export const logLength = (sql: SqlStorage): number =>
  sql.exec<{ seq: number | null }>("SELECT max(seq) AS seq FROM entries").one().seq ?? 0;

/** A type alias rather than an interface, so that it satisfies the SQL cursor's row constraint. */
export type CheckpointRow = {
  tree_size: number;
  key_id: string;
  root_hash: string;
  signed_at: string;
  note: string;
};

const CHECKPOINT_COLUMNS = "tree_size, key_id, root_hash, signed_at, note";

const LAST_CHECKPOINT = `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY tree_size DESC, signed_at DESC LIMIT 1`;

export const lastCheckpoint = (sql: SqlStorage): CheckpointRow | null =>
  sql.exec<CheckpointRow>(LAST_CHECKPOINT).toArray()[0] ?? null;

/**
 * Where the log stands: the tree's size and its stored edge, the log's length, its last link and
 * its last signed checkpoint, read in one statement (a write starts with it).
 */
export interface LogHead {
  treeSize: number;
  /** The stored complete subtrees of the tree's edge, as found (see frontierOf). */
  edge: { level: number; index: number; hash: Hash }[];
  length: number;
  /** The hash of the last entry, which the next one links to. */
  lastHash: string;
  lastSigned: CheckpointRow | null;
}

/**
 * The edge of a tree of size n holds, for each bit `l` set in n, the subtree at level l whose
 * index is (n >> (l + 1)) << 1: one primary-key lookup per level.
 */
const READ_HEAD = `WITH RECURSIVE
  size(n) AS (${TREE_SIZE}),
  levels(l) AS (SELECT 0 UNION ALL SELECT l + 1 FROM levels WHERE l < 52)
SELECT size.n AS tree_size,
  (SELECT json_group_array(json_array(t.level, t.idx, lower(hex(t.hash))))
     FROM levels JOIN tree_nodes t ON t.level = levels.l AND t.idx = (size.n >> (levels.l + 1)) << 1
     WHERE (size.n >> levels.l) & 1 = 1) AS edge,
  e.seq, e.hash, c.tree_size AS c_tree_size, c.key_id AS c_key_id, c.root_hash AS c_root_hash,
  c.signed_at AS c_signed_at, c.note AS c_note
FROM size
LEFT JOIN (SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1) e
LEFT JOIN (${LAST_CHECKPOINT}) c`;

export function readHead(sql: SqlStorage): LogHead {
  type Row = { tree_size: number; edge: string; seq: number | null; hash: string | null } & {
    [K in keyof CheckpointRow as `c_${K}`]: CheckpointRow[K] | null;
  };
  const row = sql.exec<Row>(READ_HEAD).one();
  const edge = (JSON.parse(row.edge) as [number, number, string][])
    .map(([level, index, hash]) => ({ level, index, hash: fromHex(hash) }))
    .sort((a, b) => b.level - a.level);
  const lastSigned =
    row.c_tree_size === null
      ? null
      : {
          tree_size: row.c_tree_size,
          key_id: row.c_key_id ?? "",
          root_hash: row.c_root_hash ?? "",
          signed_at: row.c_signed_at ?? "",
          note: row.c_note ?? "",
        };
  return {
    treeSize: row.tree_size,
    edge,
    length: row.seq ?? 0,
    lastHash: row.hash ?? GENESIS_HASH,
    lastSigned,
  };
}

/** The frontier a head's stored edge gives; MissingNode when a node of it is not stored. */
export function frontierOf(head: Pick<LogHead, "treeSize" | "edge">): MerkleFrontier {
  const edge = MerkleFrontier.edgeOf(head.treeSize).map(({ level, index }) => {
    const found = head.edge.find((node) => node.level === level && node.index === index);
    if (!found) throw new MissingNode(level, index);
    return { level, hash: found.hash };
  });
  return new MerkleFrontier(head.treeSize, edge);
}

export const checkpointOfSize = (sql: SqlStorage, size: number): CheckpointRow | null =>
  sql
    .exec<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE tree_size = ? ORDER BY signed_at DESC LIMIT 1`,
      size,
    )
    .toArray()[0] ?? null;

export const checkpointsAfter = (sql: SqlStorage, afterSize: number, limit: number): CheckpointRow[] =>
  sql
    .exec<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE tree_size > ? ORDER BY tree_size, key_id LIMIT ?`,
      afterSize,
      limit,
    )
    .toArray();

/** Why the stored tree cannot be trusted to extend what was signed. */
export interface TreeFault {
  reason:
    | "root_mismatch"
    | "missing_node"
    | "signature_invalid"
    | "checkpoint_malformed"
    | "tree_shrunk"
    | "entries_missing";
  detail: string;
}

/** What checkLastSigned found: a fault, or the stored edge of the signed size when it read it. */
export type SignedCheck =
  | { fault: TreeFault; frontier: null }
  | { fault: null; frontier: MerkleFrontier | null; signedSize: number | null; note: string | null };

/**
 * Whether the stored tree still gives the last signed root at the last signed size, and that
 * checkpoint's signature verifies with a key of this deployment: one statement for the
 * checkpoint, one for the stored edge, and one signature check (skipped for `trustedNote`, a
 * note this object verified or signed itself, since a signature depends on the text alone). A
 * forger who rewrites entries and nodes consistently cannot make the last signed root come out
 * again, so the object refuses to sign anything on top of the rewrite.
 */
export function checkLastSigned(
  sql: SqlStorage,
  keys: AuditKeys,
  origin: string,
  head: LogHead,
  trustedNote: string | null = null,
): SignedCheck {
  const failed = (reason: TreeFault["reason"], detail: string): SignedCheck => ({
    fault: { reason, detail },
    frontier: null,
  });
  const leaves = head.treeSize;
  if (head.length < leaves) {
    return failed(
      "entries_missing",
      `The tree holds ${leaves} leaves but the log only ${head.length} entries`,
    );
  }
  const last = head.lastSigned;
  if (last === null) return { fault: null, frontier: null, signedSize: null, note: null };
  const note = parseCheckpoint(last.note);
  if (note === null || note.origin !== origin || note.treeSize !== last.tree_size) {
    return failed("checkpoint_malformed", `The checkpoint of size ${last.tree_size} is not this log's`);
  }
  if (last.note !== trustedNote && verifyCheckpoint(note, keys.known) === null) {
    return failed(
      "signature_invalid",
      `The checkpoint of size ${last.tree_size} is not signed by a key of this deployment`,
    );
  }
  if (leaves < last.tree_size) {
    return failed("tree_shrunk", `The tree holds fewer leaves than the ${last.tree_size} signed`);
  }
  let frontier: MerkleFrontier | null = null;
  let root: Hash;
  try {
    // Usually the tree is the size last signed, and its stored edge is what the next append extends.
    if (leaves === last.tree_size) {
      frontier = frontierOf(head);
      root = frontier.root();
    } else {
      root = rootHash(new StoredTree(sql), last.tree_size);
    }
  } catch (err) {
    if (err instanceof MissingNode) return failed("missing_node", err.message);
    throw err;
  }
  if (!sameHash(root, note.root) || !sameHash(root, fromHex(last.root_hash))) {
    return failed(
      "root_mismatch",
      `The stored tree no longer gives the root signed at size ${last.tree_size}: it was rewritten`,
    );
  }
  return { fault: null, frontier, signedSize: last.tree_size, note: last.note };
}

/** Signs the tree as it stands, unless a checkpoint of this size and key exists already. */
export function signCheckpoint(
  sql: SqlStorage,
  signer: NonNullable<AuditKeys["signer"]>,
  origin: string,
  size: number,
  root: Hash,
  now: string,
): CheckpointRow {
  const note = signNote(checkpointText(origin, size, root), signer.name, signer.keyId, signer.privateKey);
  const row: CheckpointRow = {
    tree_size: size,
    key_id: signer.keyId,
    root_hash: toHex(root),
    signed_at: now,
    note,
  };
  const inserted = sql.exec(
    `INSERT INTO checkpoints (${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    row.tree_size,
    row.key_id,
    row.root_hash,
    row.signed_at,
    row.note,
  );
  if (inserted.rowsWritten > 0) return row;
  // Signed at this size with this key before: that checkpoint stands.
  return sql
    .exec<CheckpointRow>(
      `SELECT ${CHECKPOINT_COLUMNS} FROM checkpoints WHERE tree_size = ? AND key_id = ?`,
      size,
      signer.keyId,
    )
    .one();
}
