import { and, eq, sql } from "drizzle-orm";
import { ok, type Result, refused } from "../../lib/result";
import type { Db } from "../client";
import {
  type ActivityRow,
  activities,
  activityTypes,
  type ConfirmationStatus,
  type EntryMode,
  sqlNowIso,
} from "../schema";
import { activityTypeKnown } from "./activity-types";
import { activeMemberWithRole, type MentorRefusal, mentorRefusal, mentorStatus } from "./members";

/** The entry mode of everything written through activity logs. */
const SELF: EntryMode = "self";
const CONFIRMED: ConfirmationStatus = "confirmed";

const ACTIVITY_LOG_ID_PREFIX = "log_";
/** 64 random bits: a collision, or an ID issued again after a delete, is not to be expected. */
const ACTIVITY_LOG_ID_BYTES = 8;

/** A fresh activity log ID, `log_` and 16 hex digits from the platform's CSPRNG. */
export function newActivityLogId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ACTIVITY_LOG_ID_BYTES));
  return ACTIVITY_LOG_ID_PREFIX + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface NewActivityLog {
  activityId: string;
  mentorId: string;
  activityType: string;
  description: string;
  contactId: string | null;
  durationMinutes: number | null;
  occurredAt: string;
  createdBy: string;
}

/** What PUT may change; absent fields stay as they are. */
export type ActivityLogChanges = Partial<
  Pick<ActivityRow, "description" | "durationMinutes" | "activityType" | "contactId" | "occurredAt">
>;

const byId = (orgId: string, activityId: string) =>
  and(eq(activities.orgId, orgId), eq(activities.activityId, activityId));

/**
 * Only entries made through activity logs are theirs to change: proxy and bulk
 * entries belong to an attribution. `ownerId` confines the write to one mentor's entries.
 */
const ownSelfEntry = (
  orgId: string,
  activityId: string,
  ownerId: string | undefined,
  seenUpdatedAt: string | undefined,
) =>
  and(
    byId(orgId, activityId),
    eq(activities.entryMode, SELF),
    ownerId === undefined ? undefined : eq(activities.mentorId, ownerId),
    // A conditional write (If-Match) lands only on the version the caller's precondition was checked against.
    seenUpdatedAt === undefined ? undefined : eq(activities.updatedAt, seenUpdatedAt),
  );

/** A value bound as a parameter and named like the column it fills, for INSERT … SELECT. */
const bound = (value: string | number | null, column: string) => sql`${value}`.as(column);

/** One row that always exists, to select checks from. */
const ONE_ROW = sql`(select 1)`;

/**
 * Every statement the writes below run, built but not executed, so that a test can ask
 * SQLite for the plan of exactly the SQL that reaches D1.
 */
export const activityWriteStatements = {
  /**
   * Inserts by selecting the catalogue row of the type, so an unknown type (or,
   * when required, a mentor who is not an active member with the mentor role)
   * inserts nothing and the check costs no extra round trip.
   */
  insert: (db: Db, orgId: string, entry: NewActivityLog, requireActiveMentor: boolean) =>
    db
      .insert(activities)
      .select(
        db
          .select({
            orgId: bound(orgId, "org_id"),
            activityId: bound(entry.activityId, "activity_id"),
            mentorId: bound(entry.mentorId, "mentor_id"),
            activityType: activityTypes.id,
            description: bound(entry.description, "description"),
            contactId: bound(entry.contactId, "contact_id"),
            durationMinutes: bound(entry.durationMinutes, "duration_minutes"),
            location: bound(null, "location"),
            notes: bound(null, "notes"),
            occurredAt: bound(entry.occurredAt, "occurred_at"),
            entryMode: bound(SELF, "entry_mode"),
            attributionId: bound(null, "attribution_id"),
            batchId: bound(null, "batch_id"),
            // What a mentor enters, or an admin enters for it, needs no confirmation (SPEC §11).
            confirmationStatus: bound(CONFIRMED, "confirmation_status"),
            confirmationBy: bound(null, "confirmation_by"),
            confirmationAt: bound(null, "confirmation_at"),
            confirmationReason: bound(null, "confirmation_reason"),
            createdBy: bound(entry.createdBy, "created_by"),
            createdAt: sqlNowIso.as("created_at"),
            updatedAt: sqlNowIso.as("updated_at"),
          })
          .from(activityTypes)
          .where(
            and(
              eq(activityTypes.id, entry.activityType),
              requireActiveMentor ? activeMemberWithRole(orgId, entry.mentorId, "mentor") : undefined,
            ),
          ),
      )
      .returning(),

  /** Read in the same batch as an insert, to say why it wrote nothing: the mentor's standing and the type. */
  createChecks: (db: Db, orgId: string, entry: NewActivityLog) =>
    db
      .select({
        ...mentorStatus(orgId, entry.mentorId),
        typeKnown: sql<number>`${activityTypeKnown(entry.activityType)}`.as("type_known"),
      })
      .from(ONE_ROW),

  update: (
    db: Db,
    orgId: string,
    activityId: string,
    changes: ActivityLogChanges,
    ownerId: string | undefined,
    seenUpdatedAt?: string,
  ) =>
    db
      .update(activities)
      .set({ ...changes, updatedAt: sqlNowIso })
      .where(
        and(
          ownSelfEntry(orgId, activityId, ownerId, seenUpdatedAt),
          changes.activityType === undefined ? undefined : activityTypeKnown(changes.activityType),
        ),
      )
      .returning(),

  /** The entry as it is after a write in the same batch (unchanged when the write missed), and whether a new type exists. */
  current: (db: Db, orgId: string, activityId: string, activityType: string | undefined) =>
    db
      .select({
        row: activities,
        typeKnown: sql<number>`${activityType === undefined ? sql`1` : activityTypeKnown(activityType)}`.as(
          "type_known",
        ),
      })
      .from(ONE_ROW)
      .leftJoin(activities, byId(orgId, activityId)),

  delete: (db: Db, orgId: string, activityId: string, ownerId: string | undefined, seenUpdatedAt?: string) =>
    db
      .delete(activities)
      .where(ownSelfEntry(orgId, activityId, ownerId, seenUpdatedAt))
      .returning({ activityId: activities.activityId }),
};

export type ActivityWriteStatementName = keyof typeof activityWriteStatements;

export type CreateActivityLogRefusal = MentorRefusal | "type_unknown" | "conflict";

/**
 * Writes a `self` entry. With `requireActiveMentor`, the mentor must be an active member holding
 * the mentor role; the reason a create wrote nothing is read in the same batch.
 */
export async function createActivityLog(
  db: Db,
  orgId: string,
  entry: NewActivityLog,
  requireActiveMentor: boolean,
): Promise<Result<ActivityRow, CreateActivityLogRefusal>> {
  const [inserted, checks] = await db.batch([
    activityWriteStatements.insert(db, orgId, entry, requireActiveMentor),
    activityWriteStatements.createChecks(db, orgId, entry),
  ]);
  const row = inserted[0];
  if (row) return ok(row);
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
  seenUpdatedAt: string | undefined,
  typeKnown: boolean,
): ActivityLogWriteRefusal {
  if (!current) return "not_found";
  if (ownerId !== undefined && current.mentorId !== ownerId) return "not_owner";
  if (current.entryMode !== SELF) return "not_self";
  if (seenUpdatedAt !== undefined && current.updatedAt !== seenUpdatedAt) return "stale";
  if (!typeKnown) return "type_unknown";
  return "conflict";
}

/** Changes a `self` entry (of `ownerId` when given, as it was at `seenUpdatedAt` when given). */
export async function updateActivityLog(
  db: Db,
  orgId: string,
  activityId: string,
  changes: ActivityLogChanges,
  ownerId: string | undefined,
  seenUpdatedAt?: string,
): Promise<Result<ActivityRow, ActivityLogWriteRefusal, ActivityRow | null>> {
  const [updated, current] = await db.batch([
    activityWriteStatements.update(db, orgId, activityId, changes, ownerId, seenUpdatedAt),
    activityWriteStatements.current(db, orgId, activityId, changes.activityType),
  ]);
  const row = updated[0];
  if (row) return ok(row);
  const now = current[0];
  const entry = now?.row ?? null;
  return refused(writeRefusal(entry, ownerId, seenUpdatedAt, Boolean(now?.typeKnown)), entry);
}

/** Deletes a `self` entry (of `ownerId` when given, as it was at `seenUpdatedAt` when given). */
export async function deleteActivityLog(
  db: Db,
  orgId: string,
  activityId: string,
  ownerId: string | undefined,
  seenUpdatedAt?: string,
): Promise<Result<{ activityId: string }, ActivityLogWriteRefusal, ActivityRow | null>> {
  const [deleted, current] = await db.batch([
    activityWriteStatements.delete(db, orgId, activityId, ownerId, seenUpdatedAt),
    activityWriteStatements.current(db, orgId, activityId, undefined),
  ]);
  const row = deleted[0];
  if (row) return ok(row);
  const entry = current[0]?.row ?? null;
  return refused(writeRefusal(entry, ownerId, seenUpdatedAt, true), entry);
}
