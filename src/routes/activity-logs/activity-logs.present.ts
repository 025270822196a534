import { getActivity } from "../../db/queries/activities";
import { activityLog, activityLogTag as activityLogTagBasis } from "../../db/queries/representations";
import type { ActivityRow } from "../../db/schema";
import { type CurrentRepresentation, tagOf } from "../../http/etag";
import type { Precondition } from "../../http/precondition";

/** An activity as `/api/v1/activity-logs` shows it, whichever way it was entered. */
export const toActivityLog = (row: ActivityRow) => activityLog.of(row);

export type ActivityLog = ReturnType<typeof toActivityLog>;

export const activityLogTag = (org: string, row: ActivityRow) =>
  tagOf(activityLogTagBasis, org, row, toActivityLog(row));

/** The entry and its ETag, as a 412 carries them. */
export const currentOf = (orgId: string, row: ActivityRow): CurrentRepresentation => ({
  body: toActivityLog(row),
  etag: activityLogTag(orgId, row),
});

/**
 * If-Match on an entry: read it, and refuse another mentor's as missing (so entry IDs, above all
 * the sequential `pact-…` ones, reveal nothing of entries the caller may not see). The write then
 * requires the entry as read.
 */
export const activityLogPrecondition = (id: string): Precondition<ActivityRow> => ({
  read: (org) => getActivity(org.db, org.id, id),
  refuse: (row, reach) => (reach.all || reach.owner === row.mentorId ? null : "not_owner"),
  current: (orgId, row) => ({ tags: [activityLogTag(orgId, row)], representation: currentOf(orgId, row) }),
});
