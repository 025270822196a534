/**
 * The follower that builds the tree of a log that predates it (schema version 3), from the
 * stored payload hashes, a chunk per step. Its cursor is the stored tree itself (its size is
 * its last leaf's index + 1), grown in the step's transaction, so it keeps no state of its own;
 * appends made meanwhile wait unsigned at the end of the log and are built with the rest.
 */
import { entryId } from "./entry-id";
import type { SyncFollower } from "./followers";
import { leafHash, type MerkleFrontier } from "./merkle";
import { rowsBetween } from "./store";
import { logLength, putNodes, readFrontier, treeSize } from "./tree-store";

/**
 * Leaves added per step: a step holds the object for some tens of milliseconds locally
 * (`npm run bench:audit`), then lets the calls waiting for it in.
 */
export const BUILD_CHUNK_ROWS = 1000;

/** Whether the stored tree is behind the log (a log that predates it, still being built). */
export const isBuilding = (sql: SqlStorage): boolean => treeSize(sql) < logLength(sql);

/** One chunk of the build; answers whether more is left. */
function buildChunk(sql: SqlStorage): boolean {
  const size = treeSize(sql);
  const length = logLength(sql);
  if (size >= length) return false;
  const frontier = readFrontier(sql, size);
  const nodes: ReturnType<MerkleFrontier["append"]> = [];
  for (const row of rowsBetween(sql, size, length, BUILD_CHUNK_ROWS)) {
    if (row.seq !== frontier.size + 1) throw new Error(`The log has a gap before ${entryId(row.seq)}`);
    nodes.push(...frontier.append(leafHash(row.payload_hash)));
  }
  putNodes(sql, nodes);
  return frontier.size < length;
}

/**
 * The build as a follower; `built` runs in the transaction of the last chunk, to sign the first
 * checkpoint of the finished tree.
 */
export function treeBuild(built: () => void): SyncFollower<null> {
  return {
    kind: "sync",
    name: "tree-build",
    initial: null,
    due: (sql, _state, now) => (isBuilding(sql) ? now : null),
    step(sql) {
      if (!buildChunk(sql)) built();
      return null;
    },
  };
}
