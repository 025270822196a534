import type { Context } from "hono";
import { allow, allowOn, covers, ownerFilter, type Reach } from "../../auth/policy";
import type { Db } from "../../db/client";
import {
  activitySortKey,
  countActivitiesByType,
  getActivity,
  listActivities,
  summarizeActivities,
} from "../../db/queries/activities";
import type { ActivityLogChanges, RecordAudit } from "../../db/queries/activity-write-statements";
import {
  type ActivityLogWriteRefusal,
  createActivityLog,
  deleteActivityLog,
  updateActivityLog,
} from "../../db/queries/activity-writes";
import type { ActivityRow } from "../../db/schema";
import {
  type CurrentRepresentation,
  ifMatchHeader,
  isNotModified,
  preconditionFailed,
  requireIfMatch,
} from "../../http/etag";
import { batchAnswer } from "../../http/idempotency";
import { requestActor } from "../../http/request-actor";
import { nextCursor } from "../../lib/cursor";
import { conflict, forbidden, mentorRefusal, notFound, unknownActivityType } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { type Period, parseLocalDate, periodBounds, todayIn } from "../../lib/periods";
import { nowIso } from "../../lib/time";
import type { AppBindings, AppRouteHandler } from "../../types";
import { entryOf, ONLY_OWN_LOGS } from "./activity-logs.entry";
import { activityLogTag, clientRefConflict, toActivityLog } from "./activity-logs.present";
import type {
  CountByTypeRoute,
  CreateRoute,
  GetRoute,
  ListRoute,
  RemoveRoute,
  SummaryRoute,
  UpdateRoute,
} from "./activity-logs.routes";

const DEFAULT_PERIOD: Period = "month";

/** The actor and event of a write that may be done to someone else's entry. */
const recordAudit = (c: Context<AppBindings>): RecordAudit => ({
  eventId: crypto.randomUUID(),
  actor: requestActor(c),
  now: nowIso(),
});

const CONCURRENT_CHANGE = "The entry or its references changed while this request ran; try again";

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

/** The entry and its ETag, as a 412 carries them. */
const currentOf = (orgId: string, row: ActivityRow): CurrentRepresentation => ({
  body: toActivityLog(row),
  etag: activityLogTag(orgId, row),
});

/** Turns the reason an update or delete wrote nothing into its error. */
function writeRefused(
  orgId: string,
  refusal: { reason: ActivityLogWriteRefusal; current: ActivityRow | null },
  id: string,
  action: "change" | "delete",
  type?: string,
) {
  switch (refusal.reason) {
    case "not_found":
    case "not_owner":
      return missing(id);
    case "not_self":
      return conflict(
        `Activity ${id} was registered by a coordinator and belongs to attribution ` +
          `${refusal.current?.attributionId ?? "(unknown)"}; ${action} it through /api/v1/activity-attributions`,
      );
    case "stale":
      // The entry changed after the precondition was checked: it is in the batch's answer.
      return preconditionFailed(
        "The entry changed while this request ran",
        refusal.current ? currentOf(orgId, refusal.current) : null,
      );
    case "type_unknown":
      return unknownActivityType("activity_type", type ?? "");
    case "conflict":
      return conflict(CONCURRENT_CHANGE);
  }
}

/**
 * Checks a write's If-Match against the entry as it is now and answers the
 * `updated_at` the write must still find, or undefined when the client set no
 * precondition. The check costs one read, and only requests that send the header
 * pay it; the write's WHERE then holds `updated_at`, so a change that lands between
 * the read and the write makes the write miss rather than overwrite it.
 */
async function checkPrecondition(
  precondition: string | undefined,
  db: Db,
  orgId: string,
  id: string,
  reach: Reach,
): Promise<ActivityRow | undefined> {
  if (precondition === undefined) return undefined;
  const current = await getActivity(db, orgId, id);
  if (!current || !covers(reach, current.mentorId)) throw missing(id);
  requireIfMatch(precondition, activityLogTag(orgId, current), currentOf(orgId, current));
  return current;
}

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

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const caller = c.var.caller;
  const input = c.req.valid("json");
  const { entry, checkMentor } = entryOf(caller, input);
  const { mentorId, activityId } = entry;
  allowOn(caller, "activity-logs.create", mentorId, ONLY_OWN_LOGS);
  // Written for someone else (an admin for a mentor): the audit log records it (SPEC §9).
  const audit = mentorId === caller.sub ? undefined : recordAudit(c);
  const location = `/api/v1/activity-logs/${encodeURIComponent(activityId)}`;
  const result = await createActivityLog(
    c.var.org.db,
    caller.org,
    entry,
    checkMentor,
    audit,
    batchAnswer(c, HttpStatus.CREATED, { location }),
  );
  if (!result.ok) {
    switch (result.reason) {
      case "type_unknown":
        throw unknownActivityType("activity_type", input.activity_type);
      case "mentor_unknown":
      case "not_a_mentor":
      case "mentor_inactive":
        throw mentorRefusal("mentor_id", mentorId, result.reason);
      case "conflict":
        throw conflict(CONCURRENT_CHANGE);
      case "client_ref_conflict":
        throw clientRefConflict(input.client_ref ?? "", result.current);
    }
  }
  const { row, events, existing } = result.value;
  await c.var.org.deliver(events);
  // Sent again under its client_ref: the entry as stored, nothing written (SPEC §10).
  if (existing) {
    const stored = `/api/v1/activity-logs/${encodeURIComponent(row.activityId)}`;
    return c.json(toActivityLog(row), HttpStatus.OK, { Location: stored });
  }
  return c.json(toActivityLog(row), HttpStatus.CREATED, { Location: location });
};

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "activity-logs.write");
  const { id } = c.req.valid("param");
  const input = c.req.valid("json");
  const changes: ActivityLogChanges = {
    description: input.description,
    durationMinutes: input.duration_minutes,
    activityType: input.activity_type,
    contactId: input.contact_id,
    occurredAt: input.occurred_at,
  };
  const seen = await checkPrecondition(ifMatchHeader(c), c.var.org.db, caller.org, id, reach);
  const result = await updateActivityLog(
    c.var.org.db,
    caller.org,
    id,
    changes,
    ownerFilter(reach),
    seen,
    recordAudit(c),
  );
  if (!result.ok) throw writeRefused(caller.org, result, id, "change", changes.activityType);
  const { row, events } = result.value;
  await c.var.org.deliver(events);
  return c.json(toActivityLog(row), HttpStatus.OK, { ETag: activityLogTag(caller.org, row) });
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "activity-logs.write");
  const { id } = c.req.valid("param");
  const seen = await checkPrecondition(ifMatchHeader(c), c.var.org.db, caller.org, id, reach);
  const result = await deleteActivityLog(
    c.var.org.db,
    caller.org,
    id,
    ownerFilter(reach),
    seen,
    recordAudit(c),
  );
  if (!result.ok) throw writeRefused(caller.org, result, id, "delete");
  await c.var.org.deliver(result.value.events);
  return c.json({ deleted: true as const, log_id: id }, HttpStatus.OK);
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
