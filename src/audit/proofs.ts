/**
 * Inclusion and consistency proofs in the signed trees the object keeps (RFC 9162 §2.1.3–4):
 * each reads O(log n) stored nodes, counted so the cost can be shown.
 */
import { entryId } from "./entry-id";
import { consistencyProof, inclusionProof, leafHash, toHex } from "./merkle";
import { rowBySeq } from "./store";
import { type CheckpointRow, checkpointOfSize, lastCheckpoint, StoredTree } from "./tree-store";
import type { ConsistencyResult, InclusionResult, SignedCheckpoint } from "./types";

export const toSigned = (row: CheckpointRow): SignedCheckpoint => ({
  tree_size: row.tree_size,
  root_hash: row.root_hash,
  signed_at: row.signed_at,
  key_id: row.key_id,
  checkpoint: row.note,
});

/** The audit path of entry `target` in the signed tree of `size` (null: the latest signed). */
export function inclusionOf(sql: SqlStorage, target: number, size: number | null): InclusionResult {
  const row = rowBySeq(sql, target);
  if (row === null) return { status: "not_found" };
  const signed = size === null ? lastCheckpoint(sql) : checkpointOfSize(sql, size);
  if (signed === null) {
    if (size !== null) return { status: "bad_size", detail: `No checkpoint was signed at size ${size}` };
    return { status: "unsigned", detail: "No checkpoint has been signed yet" };
  }
  if (signed.tree_size < target) {
    return {
      status: "bad_size",
      detail: `${entryId(target)} is not in the tree of size ${signed.tree_size}`,
    };
  }
  const tree = new StoredTree(sql);
  const path = inclusionProof(tree, target - 1, signed.tree_size);
  return {
    status: "ok",
    coordinator_id: row.coordinator_id,
    redacted: row.redacted !== 0,
    leaf_index: target - 1,
    leaf_hash: toHex(leafHash(row.payload_hash)),
    tree_size: signed.tree_size,
    root_hash: signed.root_hash,
    audit_path: path.map(toHex),
    checkpoint: signed.note,
    nodes_read: tree.reads,
  };
}

/** The consistency proof from signed size `first` to signed size `to` (null: the latest signed). */
export function consistencyOf(sql: SqlStorage, first: number, to: number | null): ConsistencyResult {
  const last = to === null ? lastCheckpoint(sql) : checkpointOfSize(sql, to);
  if (last === null) {
    if (to !== null)
      return { status: "bad_size", field: "to", detail: `No checkpoint was signed at size ${to}` };
    return { status: "unsigned", detail: "No checkpoint has been signed yet" };
  }
  if (first > last.tree_size) {
    return { status: "bad_size", field: "from", detail: `from (${first}) is after to (${last.tree_size})` };
  }
  if (first !== 0 && checkpointOfSize(sql, first) === null) {
    return { status: "bad_size", field: "from", detail: `No checkpoint was signed at size ${first}` };
  }
  const tree = new StoredTree(sql);
  const proof = consistencyProof(tree, first, last.tree_size);
  return { status: "ok", from: first, to: last.tree_size, proof: proof.map(toHex), nodes_read: tree.reads };
}
