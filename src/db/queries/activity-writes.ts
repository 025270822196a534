import { sql } from "drizzle-orm";
import { ok, type Result, refused } from "../../lib/result";
import { type Db, leaseLostAsConflict } from "../client";
import { type ActivityRow, activities } from "../schema";
import {
  type ActivityLogChanges,
  activityWriteStatements,
  type NewActivityLog,
  type RecordAudit,
  SELF,
  sameEntry,
} from "./activity-write-statements";
import type { BatchAnswer } from "./idempotency";
import { type MentorRefusal, mentorRefusal } from "./members";
import { type OutboxEvent, type OutboxRaw, toOutboxEvent } from "./outbox";
import { activityLog } from "./representations";
import { sameRow } from "./unchanged";

/** The entry as the insert wrote it, the answer an Idempotency-Key replays (none when it wrote nothing). */
const createdAnswer = (orgId: string, entry: NewActivityLog) => ({
  source: sql`from ${activities} a where a.org_id = ${orgId} and a.activity_id = ${entry.activityId}`,
  body: activityLog.json({ alias: "a" }),
});

export type CreateActivityLogRefusal = MentorRefusal | "type_unknown" | "conflict" | "client_ref_conflict";

/**
 * Writes a `self` entry. With `requireActiveMentor`, the mentor must be an active member holding
 * the mentor role; the reason a create wrote nothing is read in the same batch. Under a
 * client_ref the mentor already used, it writes nothing and answers the stored entry:
 * `existing` when it holds the same content, refused `client_ref_conflict` (with it) otherwise.
 */
export async function createActivityLog(
  db: Db,
  orgId: string,
  entry: NewActivityLog,
  requireActiveMentor: boolean,
  audit?: RecordAudit,
  replay?: BatchAnswer,
): Promise<
  Result<
    { row: ActivityRow; events: OutboxEvent[]; existing: boolean },
    CreateActivityLogRefusal,
    ActivityRow | undefined
  >
> {
  const statements = activityWriteStatements;
  const clientRef = entry.clientRef;
  const [inserted, checks, stored, ...rest] = await db
    .batch([
      statements.insert(db, orgId, entry, requireActiveMentor),
      statements.createChecks(db, orgId, entry),
      // With no client_ref this reads nothing: no row has a null one equal to anything.
      statements.byClientRef(db, orgId, entry.mentorId, clientRef ?? ""),
      ...(audit ? [statements.createdEvent(db, orgId, entry, audit)] : []),
      ...(replay?.statements(db, createdAnswer(orgId, entry)) ?? []),
    ])
    .catch(leaseLostAsConflict);
  const events = audit ? (rest.shift() as OutboxRaw[]) : [];
  replay?.settle(rest);
  const row = inserted[0];
  if (row) return ok({ row, events: events.map(toOutboxEvent), existing: false });
  const held = clientRef === null ? undefined : stored[0];
  if (held) {
    return sameEntry(held, entry)
      ? ok({ row: held, events: [], existing: true })
      : refused("client_ref_conflict", held);
  }
  const check = checks[0];
  if (!check?.typeKnown) return refused("type_unknown");
  const mentor = requireActiveMentor ? mentorRefusal(check) : null;
  return refused(mentor ?? "conflict");
}

/** Why an update or delete of an entry wrote nothing. */
export type ActivityLogWriteRefusal =
  | "not_found"
  /** The entry belongs to a mentor the caller may not write for. */
  | "not_owner"
  /** A proxy or bulk entry, which its attribution owns. */
  | "not_self"
  /** The entry changed after the caller's precondition was checked. */
  | "stale"
  | "type_unknown"
  | "conflict";

/** Why a write aimed at `current` missed it, most fundamental reason first. */
function writeRefusal(
  current: ActivityRow | null,
  ownerId: string | undefined,
  seen: ActivityRow | undefined,
  typeKnown: boolean,
): ActivityLogWriteRefusal {
  if (!current) return "not_found";
  if (ownerId !== undefined && current.mentorId !== ownerId) return "not_owner";
  if (current.entryMode !== SELF) return "not_self";
  if (seen !== undefined && !sameRow(current, seen)) return "stale";
  if (!typeKnown) return "type_unknown";
  return "conflict";
}

/** Changes a `self` entry (of `ownerId` when given, as it was read (`seen`) when given). */
export async function updateActivityLog(
  db: Db,
  orgId: string,
  activityId: string,
  changes: ActivityLogChanges,
  ownerId: string | undefined,
  seen: ActivityRow | undefined,
  audit: RecordAudit,
): Promise<Result<{ row: ActivityRow; events: OutboxEvent[] }, ActivityLogWriteRefusal, ActivityRow | null>> {
  const statements = activityWriteStatements;
  const [events, updated, current] = await db.batch([
    statements.updatedEvent(db, orgId, activityId, changes, audit, ownerId, seen),
    statements.update(db, orgId, activityId, changes, ownerId, seen),
    statements.current(db, orgId, activityId, changes.activityType),
  ]);
  const row = updated[0];
  if (row) return ok({ row, events: events.map(toOutboxEvent) });
  const now = current[0];
  const entry = now?.row ?? null;
  return refused(writeRefusal(entry, ownerId, seen, Boolean(now?.typeKnown)), entry);
}

/** Deletes a `self` entry (of `ownerId` when given, as it was read (`seen`) when given). */
export async function deleteActivityLog(
  db: Db,
  orgId: string,
  activityId: string,
  ownerId: string | undefined,
  seen: ActivityRow | undefined,
  audit: RecordAudit,
): Promise<Result<{ events: OutboxEvent[] }, ActivityLogWriteRefusal, ActivityRow | null>> {
  const statements = activityWriteStatements;
  const [events, deleted, current] = await db.batch([
    statements.deletedEvent(db, orgId, activityId, audit, ownerId, seen),
    statements.delete(db, orgId, activityId, ownerId, seen),
    statements.current(db, orgId, activityId, undefined),
  ]);
  if (deleted[0]) return ok({ events: events.map(toOutboxEvent) });
  const entry = current[0]?.row ?? null;
  return refused(writeRefusal(entry, ownerId, seen, true), entry);
}
