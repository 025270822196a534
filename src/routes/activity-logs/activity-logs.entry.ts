import type { z } from "@hono/zod-openapi";
import { type Caller, hasRole } from "../../auth/caller";
import { type NewActivityLog, newActivityLogId } from "../../db/queries/activity-write-statements";
import type { ActivityLogCreateSchema } from "./activity-logs.schemas";

export const ONLY_OWN_LOGS = "Mentors can only record their own activity logs";

/**
 * A new self entry as the caller sent it, for the single create and for each entry of a batch
 * upload alike: for the caller's own mentor unless it names one, with a fresh ID.
 * `checkMentor`: a mentor's own token vouches for it; anyone else must name a mentor on record.
 */
export function entryOf(
  caller: Caller,
  input: z.output<typeof ActivityLogCreateSchema>,
): { entry: NewActivityLog; checkMentor: boolean } {
  const mentorId = input.mentor_id ?? caller.sub;
  return {
    entry: {
      activityId: newActivityLogId(),
      mentorId,
      activityType: input.activity_type,
      description: input.description,
      contactId: input.contact_id ?? null,
      durationMinutes: input.duration_minutes ?? null,
      occurredAt: input.occurred_at,
      createdBy: caller.sub,
      clientRef: input.client_ref ?? null,
    },
    checkMentor: !(mentorId === caller.sub && hasRole(caller, "mentor")),
  };
}
