/** How the audit object answers what it found: the log's state for /verify, a record's trail. */
import { entryId } from "./entry-id";
import { fullAuditStatus } from "./full-audit";
import { toEntry } from "./store";
import { isBuilding } from "./tree-build";
import { lastCheckpoint, logLength, type SignedCheck, type TreeFault, treeSize } from "./tree-store";
import type { AuditRow, TrailItem, VerifyReport } from "./types";

/**
 * The log's state in O(log n): the latest checkpoint checked against the stored tree (`check`;
 * a node it cannot read is reported as missing), and the last re-hash.
 */
export function verifyReport(sql: SqlStorage, check: () => SignedCheck): VerifyReport {
  const full = fullAuditStatus(sql);
  const last = lastCheckpoint(sql);
  const building = isBuilding(sql) ? { tree_size: treeSize(sql), log_length: logLength(sql) } : null;
  let problem: TreeFault | null;
  try {
    problem = check().fault;
  } catch (err) {
    problem = { reason: "missing_node", detail: err instanceof Error ? err.message : String(err) };
  }
  if (problem === null && last === null && building === null) {
    problem = {
      reason: "checkpoint_malformed",
      detail: "The log has no signed checkpoint (is AUDIT_SIGNING_KEY set?)",
    };
  }
  const checkpointValid = problem === null && last !== null;
  const auditFound = full.status === "done" && full.reason !== null;
  return {
    valid: checkpointValid && !auditFound,
    tree_size: last?.tree_size ?? 0,
    root_hash: last?.root_hash ?? null,
    checkpoint_valid: checkpointValid,
    checkpoint_problem: problem ? `${problem.reason}: ${problem.detail}` : null,
    building,
    full_audit: full,
  };
}

/** An event of a record's trail: its entry, or, redacted, who redacted it and when. */
export function trailItem(
  row: AuditRow,
  deletion: { actor_id: string; timestamp: string } | null,
): TrailItem {
  if (row.redacted === 0) return { kind: "entry", entry: toEntry(row) };
  return {
    kind: "redacted",
    id: entryId(row.seq),
    seq: row.seq,
    event_id: row.event_id,
    actor_id: deletion?.actor_id ?? null,
    at: deletion?.timestamp ?? null,
  };
}
