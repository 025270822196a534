import { allow } from "../../auth/authorize";
import { type Caller, hasRole } from "../../auth/caller";
import { createDb, type Db } from "../../db/client";
import {
  type ActivityLogChanges,
  activitySortKey,
  countActivitiesByType,
  createActivityLog,
  deleteActivityLog,
  getActivity,
  inspectCreateRejection,
  inspectUpdateRejection,
  listActivities,
  type NewActivityLog,
  newActivityLogId,
  summarizeActivities,
  toActivityLog,
  updateActivityLog,
} from "../../db/queries/activities";
import type { ActivityRow, MemberRow } from "../../db/schema";
import { entityTag, ifMatchHeader, isNotModified, requireIfMatch, staleWrite } from "../../http/etag";
import { nextCursor } from "../../lib/cursor";
import { AppError, type FieldError, forbidden, notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { type Period, parseLocalDate, periodBounds, todayIn } from "../../lib/periods";
import type { AppRouteHandler } from "../../lib/types";
import type {
  CountByTypeRoute,
  CreateRoute,
  GetRoute,
  ListRoute,
  RemoveRoute,
  SummaryRoute,
  UpdateRoute,
} from "./activity-logs.routes";

const READERS = ["mentor", "coordinator", "admin", "compliance"] as const;
const READ_ANY = ["coordinator", "admin", "compliance"] as const;
const WRITERS = ["mentor", "admin"] as const;
const WRITE_ANY = ["admin"] as const;
const DEFAULT_PERIOD: Period = "month";

/**
 * The mentor whose entries a caller is confined to, or undefined when it may
 * reach every mentor's. A caller holding a wider role besides `mentor` gets the wider reach.
 */
const readScope = (caller: Caller) => (hasRole(caller, ...READ_ANY) ? undefined : caller.sub);
const writeScope = (caller: Caller) => (hasRole(caller, ...WRITE_ANY) ? undefined : caller.sub);

function ensureInScope(scope: string | undefined, mentorId: string, action: string): void {
  if (scope !== undefined && scope !== mentorId) {
    throw forbidden(`Mentors can only ${action} their own activity logs`);
  }
}

const CONCURRENT_CHANGE = "The entry or its references changed while this request ran; try again";

function mentorProblem(member: MemberRow | undefined, mentorId: string): string | undefined {
  if (!member) return `No member ${mentorId} in this organisation`;
  if (!member.active) return `Member ${mentorId} is inactive`;
  if (!member.roles.includes("mentor")) return `Member ${mentorId} does not hold the mentor role`;
  return undefined;
}

const unknownActivityType = (activityType: string): FieldError => ({
  path: "activity_type",
  message: `Unknown activity type ${activityType}; see GET /api/v1/activity-types`,
});

const invalidBody = (errors: FieldError[]) =>
  new AppError("validation_failed", "The request body is invalid", { errors });

/** Runs only after a create inserted nothing, to say which reference was at fault. */
async function createRejection(
  db: Db,
  orgId: string,
  entry: NewActivityLog,
  mentorChecked: boolean,
): Promise<AppError> {
  const { member, activityTypeKnown } = await inspectCreateRejection(
    db,
    orgId,
    entry.mentorId,
    entry.activityType,
  );
  const errors: FieldError[] = [];
  const problem = mentorChecked ? mentorProblem(member, entry.mentorId) : undefined;
  if (problem) errors.push({ path: "mentor_id", message: problem });
  if (!activityTypeKnown) errors.push(unknownActivityType(entry.activityType));
  return errors.length > 0 ? invalidBody(errors) : new AppError("conflict", CONCURRENT_CHANGE);
}

/**
 * Throws why an update or delete of `id` matched no row, most fundamental reason
 * first. `unknownType` is an update's new activity type when the catalogue lacks it.
 */
function rejectWrite(
  row: ActivityRow | undefined,
  id: string,
  scope: string | undefined,
  action: "change" | "delete",
  unknownType?: string,
): never {
  if (!row) throw notFound(`Activity log ${id}`);
  ensureInScope(scope, row.mentorId, action);
  if (row.entryMode !== "self") {
    const owner = row.attributionId ? `attribution ${row.attributionId}` : "its attribution";
    throw new AppError(
      "conflict",
      `Activity ${id} was registered by a coordinator and belongs to ${owner}; ${action} it through ` +
        "/api/v1/activity-attributions",
    );
  }
  if (unknownType !== undefined) throw invalidBody([unknownActivityType(unknownType)]);
  throw new AppError("conflict", CONCURRENT_CHANGE);
}

const logTag = (org: string, row: ActivityRow) =>
  entityTag("activity", org, row.activityId, toActivityLog(row));

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
  scope: string | undefined,
  action: "change" | "delete",
): Promise<string | undefined> {
  if (precondition === undefined) return undefined;
  const current = await getActivity(db, orgId, id);
  if (!current) throw notFound(`Activity log ${id}`);
  ensureInScope(scope, current.mentorId, action);
  requireIfMatch(precondition, logTag(orgId, current));
  return current.updatedAt;
}

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const caller = allow(c, ...READERS);
  const { page, limit, cursor, mentor_id, activity_type, contact_id, entry_mode, from, to } =
    c.req.valid("query");
  const scope = readScope(caller);
  if (mentor_id !== undefined) ensureInScope(scope, mentor_id, "read");
  const { rows, total } = await listActivities(
    createDb(c.env.DB),
    caller.org,
    {
      mentorId: mentor_id ?? scope,
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
  const caller = allow(c, ...READERS);
  const { id } = c.req.valid("param");
  const row = await getActivity(createDb(c.env.DB), caller.org, id);
  if (!row) throw notFound(`Activity log ${id}`);
  ensureInScope(readScope(caller), row.mentorId, "read");
  const tag = logTag(caller.org, row);
  if (isNotModified(c, tag)) return c.body(null, HttpStatus.NOT_MODIFIED, { ETag: tag });
  return c.json(toActivityLog(row), HttpStatus.OK, { ETag: tag });
};

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const input = c.req.valid("json");
  const mentorId = input.mentor_id ?? caller.sub;
  ensureInScope(writeScope(caller), mentorId, "record");
  // A mentor's own token already vouches for it; anyone else must name a mentor on record.
  const mentorChecked = !(mentorId === caller.sub && hasRole(caller, "mentor"));
  const entry: NewActivityLog = {
    activityId: newActivityLogId(),
    mentorId,
    activityType: input.activity_type,
    description: input.description,
    contactId: input.contact_id ?? null,
    durationMinutes: input.duration_minutes ?? null,
    occurredAt: input.occurred_at,
    createdBy: caller.sub,
  };
  const db = createDb(c.env.DB);
  const row = await createActivityLog(db, caller.org, entry, mentorChecked);
  if (!row) throw await createRejection(db, caller.org, entry, mentorChecked);
  return c.json(toActivityLog(row), HttpStatus.CREATED, {
    Location: `/api/v1/activity-logs/${encodeURIComponent(row.activityId)}`,
  });
};

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const { id } = c.req.valid("param");
  const input = c.req.valid("json");
  const changes: ActivityLogChanges = {
    description: input.description,
    durationMinutes: input.duration_minutes,
    activityType: input.activity_type,
    contactId: input.contact_id,
    occurredAt: input.occurred_at,
  };
  const scope = writeScope(caller);
  const db = createDb(c.env.DB);
  const seenUpdatedAt = await checkPrecondition(ifMatchHeader(c), db, caller.org, id, scope, "change");
  const row = await updateActivityLog(db, caller.org, id, changes, scope, seenUpdatedAt);
  if (row) return c.json(toActivityLog(row), HttpStatus.OK, { ETag: logTag(caller.org, row) });

  const current = await inspectUpdateRejection(db, caller.org, id, changes.activityType);
  if (seenUpdatedAt !== undefined && current.row && current.row.updatedAt !== seenUpdatedAt)
    throw staleWrite();
  rejectWrite(current.row, id, scope, "change", current.activityTypeKnown ? undefined : changes.activityType);
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const { id } = c.req.valid("param");
  const scope = writeScope(caller);
  const db = createDb(c.env.DB);
  const seenUpdatedAt = await checkPrecondition(ifMatchHeader(c), db, caller.org, id, scope, "delete");
  if (await deleteActivityLog(db, caller.org, id, scope, seenUpdatedAt)) {
    return c.json({ deleted: true as const, log_id: id }, HttpStatus.OK);
  }
  const current = await getActivity(db, caller.org, id);
  if (seenUpdatedAt !== undefined && current && current.updatedAt !== seenUpdatedAt) throw staleWrite();
  rejectWrite(current, id, scope, "delete");
};

export const summary: AppRouteHandler<SummaryRoute> = async (c) => {
  const caller = allow(c, ...READERS);
  const { mentor_id } = c.req.valid("param");
  ensureInScope(readScope(caller), mentor_id, "read");
  const { period, date, tz, from, to } = c.req.valid("query");
  const custom = from !== undefined && to !== undefined;
  const bounds = custom
    ? { start: from, end: to }
    : periodBounds(period ?? DEFAULT_PERIOD, date ? parseLocalDate(date) : todayIn(tz), tz);
  const totals = await summarizeActivities(createDb(c.env.DB), caller.org, mentor_id, {
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
    },
    HttpStatus.OK,
  );
};

export const countByType: AppRouteHandler<CountByTypeRoute> = async (c) => {
  const caller = allow(c, ...READERS);
  const { mentor_id } = c.req.valid("param");
  ensureInScope(readScope(caller), mentor_id, "read");
  const { from, to } = c.req.valid("query");
  const counts = await countActivitiesByType(createDb(c.env.DB), caller.org, mentor_id, { from, to });
  return c.json({ mentor_id, counts }, HttpStatus.OK);
};
