// The SQL of the activity-log writes (SPEC §3): every statement built but not executed, so that
// the writes in activity-writes.ts run it and a plan test can ask SQLite about exactly that SQL.
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "../client";
import {
  type ActivityRow,
  activities,
  activityTypes,
  auditOutbox,
  type ConfirmationStatus,
  type EntryMode,
  sqlNowIso,
} from "../schema";
import { activityTypeKnown } from "./activity-types";
import { activeMemberWithRole, memberName, mentorStatus } from "./members";
import { type ActorContext, changedFields, type RecordAction, recordEventPayload } from "./outbox";
import { unchangedSince } from "./unchanged";

/** The entry mode of everything written through activity logs. */
export const SELF: EntryMode = "self";
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
  /** The app's own ID of an entry it queued offline; a second write under it writes nothing. */
  clientRef: string | null;
}

/** Whether a stored entry holds what a resend under its client_ref asks for (SPEC §10). */
export const sameEntry = (row: ActivityRow, entry: NewActivityLog): boolean =>
  row.mentorId === entry.mentorId &&
  row.activityType === entry.activityType &&
  row.description === entry.description &&
  row.contactId === entry.contactId &&
  row.durationMinutes === entry.durationMinutes &&
  row.occurredAt === entry.occurredAt;

/** What PUT may change; absent fields stay as they are. */
export type ActivityLogChanges = Partial<
  Pick<ActivityRow, "description" | "durationMinutes" | "activityType" | "contactId" | "occurredAt">
>;

const byId = (orgId: string, activityId: string) =>
  and(eq(activities.orgId, orgId), eq(activities.activityId, activityId));

/** What an update or delete of an entry is aimed at, and the audit event it may record. */
export interface ActivityLogTarget {
  db: Db;
  orgId: string;
  activityId: string;
  /** Set when the caller may only write this mentor's entries. */
  ownerId: string | undefined;
  /** The entry as the caller's precondition read it, when it sent one. */
  seen: ActivityRow | undefined;
  audit: RecordAudit;
}

/**
 * Only entries made through activity logs are theirs to change: proxy and bulk
 * entries belong to an attribution. `ownerId` confines the write to one mentor's entries.
 */
export const ownSelfEntry = ({ orgId, activityId, ownerId, seen }: ActivityLogTarget) =>
  and(
    byId(orgId, activityId),
    eq(activities.entryMode, SELF),
    ownerId === undefined ? undefined : eq(activities.mentorId, ownerId),
    // A conditional write (If-Match) lands only on the entry as the caller's precondition was checked against.
    seen === undefined ? undefined : unchangedSince(activities, seen),
  );

/**
 * The conditions an update of an entry writes under. Its audit event is written, and its
 * Idempotency-Key answer decided, under the same, so the three cannot disagree.
 */
export const updatableEntry = (target: ActivityLogTarget, changes: ActivityLogChanges) =>
  and(
    ownSelfEntry(target),
    changes.activityType === undefined ? undefined : activityTypeKnown(changes.activityType),
  );

/** A value bound as a parameter and named like the column it fills, for INSERT … SELECT. */
const bound = (value: string | number | null, column: string) => sql`${value}`.as(column);

/** One row that always exists, to select checks from. */
const ONE_ROW = sql`(select 1)`;

/**
 * Who writes, when the write is done to someone else's entry (an admin's for a mentor): its
 * audit event is then written in the same batch as the write (SPEC §9).
 */
export interface RecordAudit {
  eventId: string;
  actor: ActorContext;
  now: string;
}

/** The entry's columns an event names as `{field: {from, to}}`, under their API names. */
const AUDITED_COLUMNS = [
  { name: "activity_type", column: activities.activityType, change: "activityType" },
  { name: "description", column: activities.description, change: "description" },
  { name: "contact_id", column: activities.contactId, change: "contactId" },
  { name: "duration_minutes", column: activities.durationMinutes, change: "durationMinutes" },
  { name: "occurred_at", column: activities.occurredAt, change: "occurredAt" },
] as const;

/**
 * Writes the audit event of a write to the entry `activityId` when `where` holds for it and its
 * mentor is not the actor, in the same batch as (and before) the write it describes.
 */
function entryEvent(
  { db, orgId, activityId, audit }: Pick<ActivityLogTarget, "db" | "orgId" | "activityId" | "audit">,
  action: RecordAction,
  changes: SQL,
  where: SQL | undefined,
) {
  const payload = recordEventPayload(
    orgId,
    {
      id: audit.eventId,
      action,
      fields: {
        mentor_id: sql`${activities.mentorId}`,
        mentor_name: memberName(orgId, sql`${activities.mentorId}`),
        activity_id: sql`${activities.activityId}`,
        activity_type_id: sql`${activities.activityType}`,
        activity_date: sql`${activities.occurredAt}`,
      },
      changes,
    },
    audit.actor,
    audit.now,
  );
  return db
    .insert(auditOutbox)
    .select(
      db
        .select({
          eventId: bound(audit.eventId, "event_id"),
          orgId: bound(orgId, "org_id"),
          payload: payload.as("payload"),
          createdAt: bound(audit.now, "created_at"),
          attempts: sql`0`.as("attempts"),
          lastError: bound(null, "last_error"),
        })
        .from(activities)
        .where(and(byId(orgId, activityId), sql`${activities.mentorId} <> ${audit.actor.actor_id}`, where)),
    )
    .returning({ event_id: auditOutbox.eventId, payload: auditOutbox.payload });
}

/** `{field: {from, to}}` from the entry as stored to `to` (the values an update sets, or null). */
function entryChanges(to: ActivityLogChanges | "created" | "deleted"): SQL {
  return changedFields(
    AUDITED_COLUMNS.flatMap(({ name, column, change }) => {
      if (to === "created") return [{ name, from: sql`null`, to: sql`${column}` }];
      if (to === "deleted") return [{ name, from: sql`${column}`, to: sql`null` }];
      const next = to[change];
      return next === undefined ? [] : [{ name, from: sql`${column}`, to: sql`${next}` }];
    }),
  );
}

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
            clientRef: bound(entry.clientRef, "client_ref"),
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
      // A client_ref the mentor already used inserts nothing; `byClientRef` then reads what it holds.
      .onConflictDoNothing()
      .returning(),

  /** The mentor's entry under a client_ref, after the insert in the same batch. */
  byClientRef: (db: Db, orgId: string, mentorId: string, clientRef: string) =>
    db
      .select()
      .from(activities)
      .where(
        and(
          eq(activities.orgId, orgId),
          eq(activities.mentorId, mentorId),
          eq(activities.clientRef, clientRef),
        ),
      ),

  /** The audit event of an entry written for a mentor by someone else, after the insert. */
  createdEvent: (db: Db, orgId: string, entry: NewActivityLog, audit: RecordAudit) =>
    entryEvent(
      { db, orgId, activityId: entry.activityId, audit },
      "activity_log_created",
      entryChanges("created"),
      undefined,
    ),

  /** Before an update of another's entry, with the update's own conditions, when a field changes. */
  updatedEvent: (target: ActivityLogTarget, changes: ActivityLogChanges) =>
    entryEvent(
      target,
      "activity_log_updated",
      entryChanges(changes),
      and(updatableEntry(target, changes), sql`${entryChanges(changes)} <> '{}'`),
    ),

  /** Before a delete of another's entry, with the delete's own conditions. */
  deletedEvent: (target: ActivityLogTarget) =>
    entryEvent(target, "activity_log_deleted", entryChanges("deleted"), ownSelfEntry(target)),

  /** Read in the same batch as an insert, to say why it wrote nothing: the mentor's standing and the type. */
  createChecks: (db: Db, orgId: string, entry: NewActivityLog) =>
    db
      .select({
        ...mentorStatus(orgId, entry.mentorId),
        typeKnown: sql<number>`${activityTypeKnown(entry.activityType)}`.as("type_known"),
      })
      .from(ONE_ROW),

  update: (target: ActivityLogTarget, changes: ActivityLogChanges) =>
    target.db
      .update(activities)
      .set({ ...changes, updatedAt: sqlNowIso })
      .where(updatableEntry(target, changes))
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

  delete: (target: ActivityLogTarget) =>
    target.db.delete(activities).where(ownSelfEntry(target)).returning({ activityId: activities.activityId }),
};

export type ActivityWriteStatementName = keyof typeof activityWriteStatements;
