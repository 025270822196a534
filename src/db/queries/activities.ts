import {
  and,
  asc,
  between,
  count,
  countDistinct,
  desc,
  eq,
  exists,
  gte,
  lte,
  type SQL,
  sql,
} from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { SortKey } from "../../lib/cursor";
import type { Db } from "../client";
import {
  type ActivityRow,
  activities,
  activityTotals,
  activityTypes,
  type EntryMode,
  type MemberRow,
  members,
  sqlNowIso,
} from "../schema";
import { holdsRole } from "./members";

/** The entry mode of everything written through activity logs. */
const SELF: EntryMode = "self";

export const ACTIVITY_LOG_ID_PREFIX = "log_";
/** 64 random bits: a collision, or an ID issued again after a delete, is not to be expected. */
const ACTIVITY_LOG_ID_BYTES = 8;

/** A fresh activity log ID, `log_` and 16 hex digits from the platform's CSPRNG. */
export function newActivityLogId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ACTIVITY_LOG_ID_BYTES));
  return ACTIVITY_LOG_ID_PREFIX + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

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
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

export type ActivityLog = ReturnType<typeof toActivityLog>;

/** Bounds on occurred_at, both inclusive, as ISO 8601 UTC text. */
export interface TimeRange {
  from?: string;
  to?: string;
}

export interface ActivityFilter extends TimeRange {
  mentorId?: string;
  activityType?: string;
  contactId?: string;
  entryMode?: EntryMode;
}

/**
 * Where a page starts: `offset` rows into the list, or, keyset style, right after the
 * row whose (occurred_at, activity_id) is `after`.
 */
export interface ActivityPage {
  limit: number;
  offset: number;
  after?: SortKey;
}

/** The sort key of a row, as a cursor carries it. */
export const activitySortKey = (row: ActivityRow): SortKey => [row.occurredAt, row.activityId];

/** The activity type categories the summary totals count. */
export const SUMMARY_CATEGORIES = {
  sessions: "session",
  referrals: "referral",
  checkIns: "check_in",
} as const;

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

/**
 * Bounds on occurred_at, and, after a cursor, the rows strictly before its key. The index
 * may use one range term on occurred_at only (see below), so the cursor's time joins `to`
 * as the upper bound, and the tie-break on activity_id among rows at that very time is
 * written `+occurred_at`, checked row by row.
 */
function rangeConditions(range: TimeRange, after?: SortKey): SQL[] {
  const from = range.from;
  let to = range.to;
  if (after !== undefined && (to === undefined || after[0] < to)) to = after[0];
  const beforeKey =
    after === undefined
      ? []
      : [sql`(+${activities.occurredAt}, ${activities.activityId}) < (${after[0]}, ${after[1]})`];
  return [...boundConditions(from, to), ...beforeKey];
}

function boundConditions(from: string | undefined, to: string | undefined): SQL[] {
  // Written as BETWEEN when both bounds are given: as two terms, SQLite (without
  // statistics) prefers the broad (org_id, occurred_at) index over a mentor's or a type's.
  if (from !== undefined && to !== undefined) return [between(activities.occurredAt, from, to)];
  if (from !== undefined) return [gte(activities.occurredAt, from)];
  if (to !== undefined) return [lte(activities.occurredAt, to)];
  return [];
}

/**
 * D1 keeps no table statistics, so SQLite cannot tell that a contact or a mentor
 * matches far fewer rows than a type or an entry mode. Only the first given filter
 * of this list (most selective first) may pick the index; the others are written
 * `+column`, which SQLite never serves from an index, and are checked row by row.
 */
function filterConditions(orgId: string, filter: ActivityFilter, after?: SortKey): SQL | undefined {
  const equalities: [SQLiteColumn, string | undefined][] = [
    [activities.contactId, filter.contactId],
    [activities.mentorId, filter.mentorId],
    [activities.activityType, filter.activityType],
    [activities.entryMode, filter.entryMode],
  ];
  const given = equalities.flatMap(([column, value]) => (value === undefined ? [] : [{ column, value }]));
  const conditions = given.map(({ column, value }, i) =>
    i === 0 ? eq(column, value) : sql`+${column} = ${value}`,
  );
  return and(eq(activities.orgId, orgId), ...conditions, ...rangeConditions(filter, after));
}

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

const activityTypeExists = (db: Db, activityType: string) =>
  exists(db.select({ one: sql`1` }).from(activityTypes).where(eq(activityTypes.id, activityType)));

const activeMentorExists = (db: Db, orgId: string, mentorId: string) =>
  exists(
    db
      .select({ one: sql`1` })
      .from(members)
      .where(
        and(
          eq(members.orgId, orgId),
          eq(members.memberId, mentorId),
          eq(members.active, true),
          holdsRole(members.roles, "mentor"),
        ),
      ),
  );

/** A value bound as a parameter and named like the column it fills, for INSERT … SELECT. */
const bound = (value: string | number | null, column: string) => sql`${value}`.as(column);

const countWhere = (condition: SQL) => sql<number>`count(case when ${condition} then 1 end)`.mapWith(Number);

const isUnfiltered = (filter: ActivityFilter): boolean =>
  Object.values(filter).every((value) => value === undefined);

/**
 * Every statement the functions below run, built but not executed, so that a
 * test can ask SQLite for the plan of exactly the SQL that reaches D1.
 */
export const activityStatements = {
  get: (db: Db, orgId: string, activityId: string) =>
    db.select().from(activities).where(byId(orgId, activityId)),

  page: (db: Db, orgId: string, filter: ActivityFilter, page: ActivityPage) =>
    db
      .select()
      .from(activities)
      .where(filterConditions(orgId, filter, page.after))
      .orderBy(desc(activities.occurredAt), desc(activities.activityId))
      .limit(page.limit)
      .offset(page.offset),

  /**
   * The total under the filter. Unfiltered, it is the organisation's running count
   * (kept by triggers), one row however many activities there are; a filter counts
   * the rows of its own index range.
   */
  total: (db: Db, orgId: string, filter: ActivityFilter) =>
    isUnfiltered(filter)
      ? db
          .select({ total: sql<number>`coalesce(max(${activityTotals.total}), 0)`.mapWith(Number) })
          .from(activityTotals)
          .where(eq(activityTotals.orgId, orgId))
      : db.select({ total: count() }).from(activities).where(filterConditions(orgId, filter)),

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
            createdBy: bound(entry.createdBy, "created_by"),
            createdAt: sqlNowIso.as("created_at"),
            updatedAt: sqlNowIso.as("updated_at"),
          })
          .from(activityTypes)
          .where(
            and(
              eq(activityTypes.id, entry.activityType),
              requireActiveMentor ? activeMentorExists(db, orgId, entry.mentorId) : undefined,
            ),
          ),
      )
      .returning(),

  member: (db: Db, orgId: string, memberId: string) =>
    db
      .select()
      .from(members)
      .where(and(eq(members.orgId, orgId), eq(members.memberId, memberId))),

  activityType: (db: Db, activityType: string) =>
    db.select({ id: activityTypes.id }).from(activityTypes).where(eq(activityTypes.id, activityType)),

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
          changes.activityType === undefined ? undefined : activityTypeExists(db, changes.activityType),
        ),
      )
      .returning(),

  delete: (db: Db, orgId: string, activityId: string, ownerId: string | undefined, seenUpdatedAt?: string) =>
    db
      .delete(activities)
      .where(ownSelfEntry(orgId, activityId, ownerId, seenUpdatedAt))
      .returning({ activityId: activities.activityId }),

  summary: (db: Db, orgId: string, mentorId: string, range: TimeRange) =>
    db
      .select({
        totalActivities: count(),
        totalSessions: countWhere(eq(activityTypes.category, SUMMARY_CATEGORIES.sessions)),
        totalReferrals: countWhere(eq(activityTypes.category, SUMMARY_CATEGORIES.referrals)),
        totalCheckIns: countWhere(eq(activityTypes.category, SUMMARY_CATEGORIES.checkIns)),
        totalDurationMinutes: sql<number>`coalesce(sum(${activities.durationMinutes}), 0)`.mapWith(Number),
        uniqueContacts: countDistinct(activities.contactId),
      })
      .from(activities)
      .innerJoin(activityTypes, eq(activities.activityType, activityTypes.id))
      .where(filterConditions(orgId, { mentorId, ...range })),

  countByType: (db: Db, orgId: string, mentorId: string, range: TimeRange) =>
    db
      .select({ activityType: activities.activityType, total: count() })
      .from(activities)
      .where(filterConditions(orgId, { mentorId, ...range }))
      // `+` keeps the type index, which scans the whole organisation in group order, out of the choice.
      .groupBy(sql`+${activities.activityType}`)
      .orderBy(asc(activities.activityType)),
};

export type ActivityStatementName = keyof typeof activityStatements;

export async function getActivity(
  db: Db,
  orgId: string,
  activityId: string,
): Promise<ActivityRow | undefined> {
  return activityStatements.get(db, orgId, activityId).get();
}

/** One page, newest first, plus the total under the same filter, in one round trip. */
export async function listActivities(
  db: Db,
  orgId: string,
  filter: ActivityFilter,
  page: ActivityPage,
): Promise<{ rows: ActivityRow[]; total: number }> {
  const [rows, totals] = await db.batch([
    activityStatements.page(db, orgId, filter, page),
    activityStatements.total(db, orgId, filter),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/**
 * Writes a `self` entry; answers undefined when the type is unknown or, with
 * `requireActiveMentor`, the mentor is not an active member holding the mentor role.
 */
export async function createActivityLog(
  db: Db,
  orgId: string,
  entry: NewActivityLog,
  requireActiveMentor: boolean,
): Promise<ActivityRow | undefined> {
  const [row] = await activityStatements.insert(db, orgId, entry, requireActiveMentor);
  return row;
}

/** Why a create inserted nothing: the named member and whether the type exists, in one round trip. */
export async function inspectCreateRejection(
  db: Db,
  orgId: string,
  mentorId: string,
  activityType: string,
): Promise<{ member: MemberRow | undefined; activityTypeKnown: boolean }> {
  const [member, type] = await db.batch([
    activityStatements.member(db, orgId, mentorId),
    activityStatements.activityType(db, activityType),
  ]);
  return { member: member[0], activityTypeKnown: type.length > 0 };
}

/**
 * Changes a `self` entry (of `ownerId` when given, as it was at `seenUpdatedAt` when
 * given); answers undefined when there is no such entry or the new type is unknown.
 */
export async function updateActivityLog(
  db: Db,
  orgId: string,
  activityId: string,
  changes: ActivityLogChanges,
  ownerId: string | undefined,
  seenUpdatedAt?: string,
): Promise<ActivityRow | undefined> {
  const [row] = await activityStatements.update(db, orgId, activityId, changes, ownerId, seenUpdatedAt);
  return row;
}

/** Why an update changed nothing: the entry as it is and whether the new type exists, in one round trip. */
export async function inspectUpdateRejection(
  db: Db,
  orgId: string,
  activityId: string,
  activityType: string | undefined,
): Promise<{ row: ActivityRow | undefined; activityTypeKnown: boolean }> {
  if (activityType === undefined) {
    return { row: await getActivity(db, orgId, activityId), activityTypeKnown: true };
  }
  const [rows, type] = await db.batch([
    activityStatements.get(db, orgId, activityId),
    activityStatements.activityType(db, activityType),
  ]);
  return { row: rows[0], activityTypeKnown: type.length > 0 };
}

/**
 * Deletes a `self` entry (of `ownerId` when given, as it was at `seenUpdatedAt` when
 * given); answers whether one was deleted.
 */
export async function deleteActivityLog(
  db: Db,
  orgId: string,
  activityId: string,
  ownerId: string | undefined,
  seenUpdatedAt?: string,
): Promise<boolean> {
  const deleted = await activityStatements.delete(db, orgId, activityId, ownerId, seenUpdatedAt);
  return deleted.length > 0;
}

export interface ActivitySummary {
  totalActivities: number;
  totalSessions: number;
  totalReferrals: number;
  totalCheckIns: number;
  totalDurationMinutes: number;
  uniqueContacts: number;
}

/** A mentor's totals over a time range, from one aggregate query. */
export async function summarizeActivities(
  db: Db,
  orgId: string,
  mentorId: string,
  range: TimeRange,
): Promise<ActivitySummary> {
  const row = await activityStatements.summary(db, orgId, mentorId, range).get();
  return {
    totalActivities: row?.totalActivities ?? 0,
    totalSessions: row?.totalSessions ?? 0,
    totalReferrals: row?.totalReferrals ?? 0,
    totalCheckIns: row?.totalCheckIns ?? 0,
    totalDurationMinutes: row?.totalDurationMinutes ?? 0,
    uniqueContacts: row?.uniqueContacts ?? 0,
  };
}

/** How many activities of each type a mentor has in a time range; types that do not occur are absent. */
export async function countActivitiesByType(
  db: Db,
  orgId: string,
  mentorId: string,
  range: TimeRange,
): Promise<Record<string, number>> {
  const rows = await activityStatements.countByType(db, orgId, mentorId, range).all();
  return Object.fromEntries(rows.map((r) => [r.activityType, r.total]));
}
