import { SELECT_FIRST_RECORDED_FROM, SELECT_LAST_RECORDED_TO, seqWhere } from "./store";
import { lastCheckpoint, logLength } from "./tree-store";
import type { AuditExportSpan, Unavailable } from "./types";

/**
 * The span of entries an export covers (SPEC §9). A full export (no bounds) runs to the last
 * signed tree size and carries that checkpoint, unless the log cannot vouch for its tree now
 * (`unavailable`, which the object checks for a full export only); a ranged export carries none,
 * since it cannot be checked against a root.
 */
export function exportSpan(
  sql: SqlStorage,
  range: { from?: string; to?: string },
  unavailable: Unavailable | null,
): AuditExportSpan {
  const { from, to } = range;
  const length = logLength(sql);
  if (from === undefined && to === undefined) {
    const last = unavailable ? null : lastCheckpoint(sql);
    if (last === null) {
      return {
        first_seq: 1,
        last_seq: length,
        log_head_seq: length,
        verifiable: false,
        checkpoint: null,
        unverifiable_reason: unavailable?.detail ?? "No checkpoint has been signed yet",
      };
    }
    return {
      first_seq: 1,
      last_seq: last.tree_size,
      log_head_seq: length,
      verifiable: true,
      checkpoint: last.note,
      unverifiable_reason: null,
    };
  }
  const first = from === undefined ? 1 : (seqWhere(sql, SELECT_FIRST_RECORDED_FROM, from) ?? length + 1);
  const last = to === undefined ? length : (seqWhere(sql, SELECT_LAST_RECORDED_TO, to) ?? 0);
  return {
    first_seq: first,
    last_seq: last >= first ? last : first - 1,
    log_head_seq: length,
    verifiable: false,
    checkpoint: null,
    unverifiable_reason: "A ranged export is not a whole signed tree; export without from/to to check it",
  };
}
