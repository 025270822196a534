import { and, asc, between, count, desc, eq, gte, lte, ne, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { SortKey } from "../../lib/cursor";
import type { Db } from "../client";
import { type ActivityRow, activities, activityTotals, activityTypes, type EntryMode } from "../schema";

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
const SUMMARY_CATEGORIES = {
  sessions: "session",
  referrals: "referral",
  checkIns: "check_in",
} as const;

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

const countWhere = (condition: SQL | undefined) =>
  sql<number>`count(case when ${condition} then 1 end)`.mapWith(Number);

/**
 * What a mentor's totals count (SPEC §11): everything but what the mentor disputed. Pending
 * registrations still count; the summary says how many there are beside the totals.
 */
const counted = ne(activities.confirmationStatus, "disputed");

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

  /** The mentor's activities in the range are read once; each figure picks its rows in the aggregate. */
  summary: (db: Db, orgId: string, mentorId: string, range: TimeRange) =>
    db
      .select({
        totalActivities: countWhere(counted),
        totalSessions: countWhere(and(counted, eq(activityTypes.category, SUMMARY_CATEGORIES.sessions))),
        totalReferrals: countWhere(and(counted, eq(activityTypes.category, SUMMARY_CATEGORIES.referrals))),
        totalCheckIns: countWhere(and(counted, eq(activityTypes.category, SUMMARY_CATEGORIES.checkIns))),
        totalDurationMinutes: sql<number>`coalesce(sum(case when ${counted}
          then ${activities.durationMinutes} end), 0)`.mapWith(Number),
        uniqueContacts: sql<number>`count(distinct case when ${counted}
          then ${activities.contactId} end)`.mapWith(Number),
        pendingConfirmation: countWhere(eq(activities.confirmationStatus, "pending")),
        disputed: countWhere(eq(activities.confirmationStatus, "disputed")),
      })
      .from(activities)
      .innerJoin(activityTypes, eq(activities.activityType, activityTypes.id))
      .where(filterConditions(orgId, { mentorId, ...range })),

  countByType: (db: Db, orgId: string, mentorId: string, range: TimeRange) =>
    db
      .select({ activityType: activities.activityType, total: count() })
      .from(activities)
      .where(and(filterConditions(orgId, { mentorId, ...range }), counted))
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

export interface ActivitySummary {
  totalActivities: number;
  totalSessions: number;
  totalReferrals: number;
  totalCheckIns: number;
  totalDurationMinutes: number;
  uniqueContacts: number;
  /** Registrations in the range the mentor has not answered yet; counted in the totals. */
  pendingConfirmation: number;
  /** Registrations in the range the mentor disputed; left out of every other figure. */
  disputed: number;
}

/** A mentor's totals over a time range, disputed activities left out, from one aggregate query. */
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
    pendingConfirmation: row?.pendingConfirmation ?? 0,
    disputed: row?.disputed ?? 0,
  };
}

/**
 * How many activities of each type a mentor has in a time range, disputed ones left out; types
 * that do not occur are absent.
 */
export async function countActivitiesByType(
  db: Db,
  orgId: string,
  mentorId: string,
  range: TimeRange,
): Promise<Record<string, number>> {
  const rows = await activityStatements.countByType(db, orgId, mentorId, range).all();
  return Object.fromEntries(rows.map((r) => [r.activityType, r.total]));
}
