import type { AttributionWithNames } from "../../db/queries/attributions";
import type { AttributionRow, ConfirmationStatus } from "../../db/schema";
import { type CurrentRepresentation, entityTag } from "../../http/etag";

/** The confirmation columns attributions and their activities share. */
interface ConfirmationColumns {
  confirmationStatus: ConfirmationStatus;
  confirmationBy: string | null;
  confirmationAt: string | null;
  confirmationReason: string | null;
}

/** Where the mentor stands on a row, as attributions and activity logs alike show it (SPEC §11). */
export function confirmationOf(row: ConfirmationColumns) {
  return {
    confirmation_status: row.confirmationStatus,
    // Who answered and when are written together, so one tells whether there is an answer.
    confirmation:
      row.confirmationBy === null || row.confirmationAt === null
        ? null
        : { by: row.confirmationBy, at: row.confirmationAt, reason: row.confirmationReason },
  };
}

/** An attribution as every attribution response shows it. */
export function toAttribution(
  row: AttributionRow,
  mentorName: string | null,
  coordinatorName: string | null,
) {
  return {
    attribution_id: row.attributionId,
    activity_id: row.activityId,
    attributed_to_mentor_id: row.mentorId,
    attributed_to_mentor_name: mentorName,
    registered_by_coordinator_id: row.coordinatorId,
    registered_by_coordinator_name: coordinatorName,
    activity_type_id: row.activityTypeId,
    activity_date: row.activityDate,
    duration_minutes: row.durationMinutes,
    location: row.location,
    notes: row.notes,
    proxy: row.proxy,
    entry_mode: row.entryMode,
    batch_id: row.batchId,
    ...confirmationOf(row),
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export const fromNamed = (a: AttributionWithNames) => toAttribution(a.row, a.mentorName, a.coordinatorName);

/**
 * Every write to an attribution records a new event and so a new `last_event_id`,
 * which is the record's version. Its audit trail can still lag: an event whose delivery
 * to the audit object failed shows up only after the outbox drain, so a representation
 * without it gets a tag of its own. A precondition accepts either, since the attribution
 * itself is the same.
 */
export const attributionTag = (org: string, a: AttributionWithNames, trailComplete = true) =>
  entityTag("attribution", org, a.row.attributionId, {
    ...fromNamed(a),
    version: a.row.lastEventId,
    trailComplete,
  });

export const attributionTags = (org: string, a: AttributionWithNames) => [
  attributionTag(org, a, true),
  attributionTag(org, a, false),
];

/** The attribution and its ETag, as a 412 carries them (without the trail, as a write answers it). */
export const currentOf = (org: string, found: AttributionWithNames): CurrentRepresentation => ({
  body: fromNamed(found),
  etag: attributionTag(org, found, true),
});
