import { and, between, count, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { SortKey } from "../../lib/cursor";
import type { Db } from "../client";
import { attributions, attributionTotals, type ConfirmationStatus, members } from "../schema";
import type { AttributionWithNames } from "./representations";

/** Reads of attributions; their writes are in attribution-writes.ts. */
const mentorMember = sql.raw("mm");
const coordinatorMember = sql.raw("cm");

function withNames(db: Db) {
  return db
    .select({
      row: attributions,
      mentorName: sql<string | null>`${mentorMember}.name`.as("mentor_name"),
      coordinatorName: sql<string | null>`${coordinatorMember}.name`.as("coordinator_name"),
    })
    .from(attributions)
    .leftJoin(
      sql`${members} ${mentorMember}`,
      sql`${mentorMember}.org_id = ${attributions.orgId} and ${mentorMember}.member_id = ${attributions.mentorId}`,
    )
    .leftJoin(
      sql`${members} ${coordinatorMember}`,
      sql`${coordinatorMember}.org_id = ${attributions.orgId} and ${coordinatorMember}.member_id = ${attributions.coordinatorId}`,
    );
}

export async function getAttribution(
  db: Db,
  orgId: string,
  attributionId: string,
): Promise<AttributionWithNames | undefined> {
  return withNames(db)
    .where(and(eq(attributions.orgId, orgId), eq(attributions.attributionId, attributionId)))
    .get();
}

export interface AttributionFilter {
  mentorId?: string;
  coordinatorId?: string;
  activityTypeId?: string;
  confirmationStatus?: ConfirmationStatus;
  from?: string;
  to?: string;
}

/** Where a page starts: `offset` rows in, or right after the row whose (activity_date, attribution_id) is `after`. */
export interface AttributionPage {
  limit: number;
  offset: number;
  after?: SortKey;
}

export const attributionSortKey = (a: AttributionWithNames): SortKey => [
  a.row.activityDate,
  a.row.attributionId,
];

/**
 * The filter as SQL. Bounds on activity_date are one range term (BETWEEN when both are
 * given; a cursor's date joins `to`), since two terms make SQLite, which has no statistics,
 * prefer the broad (org_id, activity_date) index over a mentor's or a coordinator's; the
 * cursor's tie-break on attribution_id is written `+activity_date`, checked row by row.
 */
function listConditions(orgId: string, filter: AttributionFilter, after?: SortKey): SQL | undefined {
  const conditions: SQL[] = [eq(attributions.orgId, orgId)];
  if (filter.mentorId !== undefined) conditions.push(eq(attributions.mentorId, filter.mentorId));
  if (filter.coordinatorId !== undefined)
    conditions.push(eq(attributions.coordinatorId, filter.coordinatorId));
  if (filter.activityTypeId !== undefined)
    conditions.push(eq(attributions.activityTypeId, filter.activityTypeId));
  if (filter.confirmationStatus !== undefined) {
    // One mentor's attributions are far fewer than the organisation's pending ones (a mentor's badge);
    // SQLite, without statistics, cannot tell, so `+` keeps the status index out of the choice there.
    conditions.push(
      filter.mentorId === undefined
        ? eq(attributions.confirmationStatus, filter.confirmationStatus)
        : sql`+${attributions.confirmationStatus} = ${filter.confirmationStatus}`,
    );
  }
  const from = filter.from;
  let to = filter.to;
  if (after !== undefined && (to === undefined || after[0] < to)) to = after[0];
  if (from !== undefined && to !== undefined) conditions.push(between(attributions.activityDate, from, to));
  else if (from !== undefined) conditions.push(gte(attributions.activityDate, from));
  else if (to !== undefined) conditions.push(lte(attributions.activityDate, to));
  if (after !== undefined) {
    conditions.push(
      sql`(+${attributions.activityDate}, ${attributions.attributionId}) < (${after[0]}, ${after[1]})`,
    );
  }
  return and(...conditions);
}

/** The statements of a list, built but not run, so a test can ask SQLite for their plans. */
export const attributionListStatements = {
  page: (db: Db, orgId: string, filter: AttributionFilter, page: AttributionPage) =>
    withNames(db)
      .where(listConditions(orgId, filter, page.after))
      .orderBy(desc(attributions.activityDate), desc(attributions.attributionId))
      .limit(page.limit)
      .offset(page.offset),
  /** Unfiltered, the organisation's running count (one row); a filter counts its own index range. */
  total: (db: Db, orgId: string, filter: AttributionFilter) =>
    Object.values(filter).every((value) => value === undefined)
      ? db
          .select({ total: sql<number>`coalesce(max(${attributionTotals.total}), 0)`.mapWith(Number) })
          .from(attributionTotals)
          .where(eq(attributionTotals.orgId, orgId))
      : db.select({ total: count() }).from(attributions).where(listConditions(orgId, filter)),
};

/** One page, newest activity first, and the total under the filter, in one round trip. */
export async function listAttributions(
  db: Db,
  orgId: string,
  filter: AttributionFilter,
  page: AttributionPage,
): Promise<{ rows: AttributionWithNames[]; total: number }> {
  const [rows, totals] = await db.batch([
    attributionListStatements.page(db, orgId, filter, page),
    attributionListStatements.total(db, orgId, filter),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}
