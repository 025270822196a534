import type { ActivityRow } from "../../db/schema";
import { entityTag } from "../../http/etag";
import { confirmationOf } from "../activity-attributions/activity-attributions.present";

/** An activity as `/api/v1/activity-logs` shows it, whichever way it was entered. */
export function toActivityLog(row: ActivityRow) {
  return {
    log_id: row.activityId,
    mentor_id: row.mentorId,
    activity_type: row.activityType,
    description: row.description,
    contact_id: row.contactId,
    duration_minutes: row.durationMinutes,
    occurred_at: row.occurredAt,
    entry_mode: row.entryMode,
    attribution_id: row.attributionId,
    created_by: row.createdBy,
    ...confirmationOf(row),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export type ActivityLog = ReturnType<typeof toActivityLog>;

export const activityLogTag = (org: string, row: ActivityRow) =>
  entityTag("activity", org, row.activityId, toActivityLog(row));
