import { allow, covers, ownerFilter, type Reach } from "../../auth/policy";
import {
  activitySortKey,
  countActivitiesByType,
  getActivity,
  listActivities,
  summarizeActivities,
} from "../../db/queries/activities";
import { isNotModified } from "../../http/etag";
import { nextCursor } from "../../lib/cursor";
import { forbidden, notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { type Period, parseLocalDate, periodBounds, todayIn } from "../../lib/periods";
import type { AppRouteHandler } from "../../types";
import { activityLogTag, toActivityLog } from "./activity-logs.present";
import type { CountByTypeRoute, GetRoute, ListRoute, SummaryRoute } from "./activity-logs.routes";

const DEFAULT_PERIOD: Period = "month";

const notOwn = (action: string) => forbidden(`Mentors can only ${action} their own activity logs`);

/** A mentor confined to its own entries may only name itself. */
function requireReach(reach: Reach, mentorId: string, action: string): void {
  if (!covers(reach, mentorId)) throw notOwn(action);
}

/**
 * Another mentor's entry answers as a missing one does, so log IDs (and the sequential
 * `pact-…` IDs above all) reveal nothing about entries the caller may not see.
 */
const missing = (id: string) => notFound(`Activity log ${id}`);

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "activity-logs.read");
  const { page, limit, cursor, mentor_id, activity_type, contact_id, entry_mode, from, to } =
    c.req.valid("query");
  if (mentor_id !== undefined) requireReach(reach, mentor_id, "read");
  const { rows, total } = await listActivities(
    c.var.org.db,
    caller.org,
    {
      mentorId: mentor_id ?? ownerFilter(reach),
      activityType: activity_type,
      contactId: contact_id,
      entryMode: entry_mode,
      from,
      to,
    },
    { ...pageOffset({ page, limit }), after: cursor },
  );
  return c.json(
    {
      data: rows.map(toActivityLog),
      pagination: { page, limit, total },
      next_cursor: nextCursor(rows, limit, activitySortKey),
    },
    HttpStatus.OK,
  );
};

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "activity-logs.read");
  const { id } = c.req.valid("param");
  const row = await getActivity(c.var.org.db, caller.org, id);
  if (!row || !covers(reach, row.mentorId)) throw missing(id);
  const tag = activityLogTag(caller.org, row);
  if (isNotModified(c, tag)) return c.body(null, HttpStatus.NOT_MODIFIED, { ETag: tag });
  return c.json(toActivityLog(row), HttpStatus.OK, { ETag: tag });
};

export const summary: AppRouteHandler<SummaryRoute> = async (c) => {
  const caller = c.var.caller;
  const { mentor_id } = c.req.valid("param");
  requireReach(allow(caller, "activity-logs.read"), mentor_id, "read");
  const { period, date, tz, from, to } = c.req.valid("query");
  const custom = from !== undefined && to !== undefined;
  const bounds = custom
    ? { start: from, end: to }
    : periodBounds(period ?? DEFAULT_PERIOD, date ? parseLocalDate(date) : todayIn(tz), tz);
  const totals = await summarizeActivities(c.var.org.db, caller.org, mentor_id, {
    from: bounds.start,
    to: bounds.end,
  });
  return c.json(
    {
      mentor_id,
      period: custom ? ("custom" as const) : (period ?? DEFAULT_PERIOD),
      period_start: bounds.start,
      period_end: bounds.end,
      time_zone: tz,
      total_activities: totals.totalActivities,
      total_sessions: totals.totalSessions,
      total_referrals: totals.totalReferrals,
      total_check_ins: totals.totalCheckIns,
      total_duration_minutes: totals.totalDurationMinutes,
      unique_contacts_supported: totals.uniqueContacts,
      pending_confirmation: totals.pendingConfirmation,
      disputed: totals.disputed,
    },
    HttpStatus.OK,
  );
};

export const countByType: AppRouteHandler<CountByTypeRoute> = async (c) => {
  const caller = c.var.caller;
  const { mentor_id } = c.req.valid("param");
  requireReach(allow(caller, "activity-logs.read"), mentor_id, "read");
  const { from, to } = c.req.valid("query");
  const counts = await countActivitiesByType(c.var.org.db, caller.org, mentor_id, { from, to });
  return c.json({ mentor_id, counts }, HttpStatus.OK);
};
