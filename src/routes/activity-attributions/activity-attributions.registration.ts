import type { Context } from "hono";
import type { Caller } from "../../auth/caller";
import { hasRole } from "../../auth/caller";
import { allowOn } from "../../auth/policy";
import { requestActor } from "../../http/request-actor";
import { type AppError, conflict } from "../../lib/errors";
import { nowIso } from "../../lib/time";
import type { AppBindings } from "../../types";

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
export function registration(c: Context<AppBindings>, body: RegistrationBody) {
  const caller: Caller = c.var.caller;
  allowOn(
    caller,
    "attributions.create",
    body.coordinator_id,
    "A coordinator registers activities as itself: coordinator_id must be your own ID",
  );
  return {
    orgId: caller.org,
    coordinatorId: body.coordinator_id,
    checkCoordinator: !(hasRole(caller, "coordinator") && body.coordinator_id === caller.sub),
    activityTypeId: body.activity_type_id,
    activityDate: body.activity_date,
    durationMinutes: body.duration_minutes ?? null,
    location: body.location ?? null,
    notes: body.notes ?? null,
    now: nowIso(),
    actor: requestActor(c),
  };
}

export const duplicateRegistration = (): AppError =>
  conflict("This mentor already has an attribution of this activity type at this activity_date");

const isUniqueViolation = (err: unknown) =>
  err instanceof Error && /UNIQUE constraint failed/i.test(err.message);

/** Runs a write, turning a unique-constraint race into a 409. */
export async function conflictOnDuplicate<T>(
  write: () => Promise<T>,
  onDuplicate: () => AppError = duplicateRegistration,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw onDuplicate();
    throw err;
  }
}
