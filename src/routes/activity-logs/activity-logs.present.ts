import type { ActivityRow } from "../../db/schema";
import { entityTag } from "../../http/etag";
import { AppError } from "../../lib/errors";
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
    client_ref: row.clientRef,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export type ActivityLog = ReturnType<typeof toActivityLog>;

export const activityLogTag = (org: string, row: ActivityRow) =>
  entityTag("activity", org, row.activityId, toActivityLog(row));

/** A client_ref that already holds other content: 409, with the stored entry so the app can reconcile. */
export const clientRefConflict = (clientRef: string, stored: ActivityRow | undefined) =>
  new AppError("conflict", `client_ref ${clientRef} already holds another entry of this mentor`, {
    errors: [{ path: "client_ref", message: "Already used for an entry with other content" }],
    extensions: stored ? { current: toActivityLog(stored) } : {},
  });
