import type { Caller } from "../../auth/caller";
import { hasRole } from "../../auth/caller";
import { covers, type Reach } from "../../auth/policy";
import type { Refusal, Refusing } from "../../http/refusals";

/** What single and bulk registration share: the activity, who registers it, and who asked. */
interface RegistrationBody {
  coordinator_id: string;
  activity_type_id: string;
  activity_date: string;
  duration_minutes?: number | undefined;
  location?: string | undefined;
  notes?: string | undefined;
}

/**
 * The fields single and bulk registration share. A coordinator registers as itself; an admin
 * may name any coordinator, who must then be an active coordinator on record.
 */
export function registration(caller: Caller, body: RegistrationBody) {
  return {
    coordinatorId: body.coordinator_id,
    checkCoordinator: !(hasRole(caller, "coordinator") && body.coordinator_id === caller.sub),
    activityTypeId: body.activity_type_id,
    activityDate: body.activity_date,
    durationMinutes: body.duration_minutes ?? null,
    location: body.location ?? null,
    notes: body.notes ?? null,
  };
}

/** A caller who registers only as itself may not name another coordinator. */
export const asItself =
  (body: RegistrationBody) =>
  (reach: Reach): Refusal | null =>
    covers(reach, body.coordinator_id) ? null : "forbidden";

/** What a registration's refusals name. */
export const registering = (target: string, body: RegistrationBody): Refusing => ({
  target,
  activityType: { path: "activity_type_id", value: body.activity_type_id },
  coordinator: { path: "coordinator_id", value: body.coordinator_id },
  notYours: "A coordinator registers activities as itself: coordinator_id must be your own ID",
});
