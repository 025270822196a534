import type { Context } from "hono";
import { auditClient } from "../../audit/client";
import { requestContext } from "../../audit/context";
import { deliver } from "../../audit/outbox";
import type { AuditEntry } from "../../audit/types";
import { allow } from "../../auth/authorize";
import { type Caller, hasRole } from "../../auth/caller";
import { createDb } from "../../db/client";
import {
  type ActorContext,
  type AttributionPatch,
  type AttributionWithNames,
  attributionSortKey,
  createAttribution,
  deleteAttribution,
  getAttribution,
  listAttributions,
  updateAttribution,
} from "../../db/queries/attributions";
import {
  type BatchOutcome,
  confirmBatch as confirmBatchQuery,
  createBatch as createBatchQuery,
} from "../../db/queries/batches";
import type { AttributionRow } from "../../db/schema";
import { entityTag, ifMatchHeader, isNotModified, requireIfMatch, staleWrite } from "../../http/etag";
import { nextCursor } from "../../lib/cursor";
import { AppError, forbidden, notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { present } from "../../lib/present";
import { nowIso, toIsoSeconds } from "../../lib/time";
import type { AppBindings, AppRouteHandler } from "../../lib/types";
import type {
  AuditLogRoute,
  ConfirmBatchRoute,
  CreateBatchRoute,
  CreateRoute,
  GetRoute,
  ListRoute,
  RemoveRoute,
  UpdateRoute,
} from "./activity-attributions.routes";
import type { ORG_LOG_EVENTS } from "./activity-attributions.schemas";

const READERS = ["mentor", "coordinator", "admin", "compliance"] as const;
const WRITERS = ["coordinator", "admin"] as const;

/** Stored audit actions and their names in the organisation's log and in a record's trail. */
const ORG_EVENT_OF: Record<string, (typeof ORG_LOG_EVENTS)[number]> = {
  proxy_created: "proxy_activity_created",
  proxy_updated: "proxy_activity_updated",
  proxy_deleted: "proxy_activity_deleted",
  bulk_submission: "bulk_batch_submitted",
  bulk_confirmed: "bulk_batch_confirmed",
};
const ACTION_OF = Object.fromEntries(Object.entries(ORG_EVENT_OF).map(([action, event]) => [event, action]));
const TRAIL_EVENT_OF = {
  proxy_created: "created",
  proxy_updated: "updated",
  proxy_deleted: "deleted",
} as const;

/** The audit log holds events for 30 days by default in the organisation view. */
const DEFAULT_AUDIT_WINDOW_DAYS = 30;
const MAX_TRAIL_EVENTS = 200;

function actorOf(c: Context<AppBindings>, caller: Caller): ActorContext {
  const context = requestContext(c);
  return {
    actorId: caller.sub,
    actorName: caller.name,
    ipAddress: context.ip_address,
    userAgent: context.user_agent,
  };
}

function toAttribution(row: AttributionRow, mentorName: string | null, coordinatorName: string | null) {
  return {
    attribution_id: row.attributionId,
    activity_id: row.activityId,
    attributed_to_mentor_id: row.mentorId,
    attributed_to_mentor_name: mentorName,
    registered_by_coordinator_id: row.coordinatorId,
    registered_by_coordinator_name: coordinatorName,
    activity_type_id: row.activityTypeId,
    activity_date: row.activityDate,
    duration_minutes: row.durationMinutes,
    location: row.location,
    notes: row.notes,
    proxy: row.proxy,
    entry_mode: row.entryMode,
    batch_id: row.batchId,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

const fromNamed = (a: AttributionWithNames) => toAttribution(a.row, a.mentorName, a.coordinatorName);

/**
 * Every write to an attribution records a new event and so a new `last_event_id`,
 * which is the record's version. Its audit trail can still lag: an event whose delivery
 * to the audit object failed shows up only after the outbox drain, so a representation
 * without it gets a tag of its own. A precondition accepts either, since the attribution
 * itself is the same.
 */
const attributionTag = (org: string, a: AttributionWithNames, trailComplete = true) =>
  entityTag("attribution", org, a.row.attributionId, {
    ...fromNamed(a),
    version: a.row.lastEventId,
    trailComplete,
  });
const attributionTags = (org: string, a: AttributionWithNames) => [
  attributionTag(org, a, true),
  attributionTag(org, a, false),
];

const isUniqueViolation = (err: unknown) =>
  err instanceof Error && /UNIQUE constraint failed/i.test(err.message);

const duplicate = () =>
  new AppError(
    "conflict",
    "This mentor already has an attribution of this activity type at this activity_date",
  );

/**
 * A coordinator registers as itself; an admin may name any coordinator. Answers
 * whether the named coordinator still has to be checked as an active coordinator.
 */
function registrant(caller: Caller, coordinatorId: string): { checkCoordinator: boolean } {
  const isAdmin = hasRole(caller, "admin");
  if (!isAdmin && coordinatorId !== caller.sub) {
    throw forbidden("A coordinator registers activities as itself: coordinator_id must be your own ID");
  }
  return { checkCoordinator: !(hasRole(caller, "coordinator") && coordinatorId === caller.sub) };
}

/** Runs a write, turning a unique-constraint race into a 409. */
async function conflictOnDuplicate<T>(
  write: () => Promise<T>,
  conflict: () => AppError = duplicate,
): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict();
    throw err;
  }
}

interface RegistrationBody {
  coordinator_id: string;
  activity_type_id: string;
  activity_date: string;
  duration_minutes?: number | undefined;
  location?: string | undefined;
  notes?: string | undefined;
}

/** The fields single and bulk registration share, checked for who may register as whom. */
function registration(c: Context<AppBindings>, caller: Caller, body: RegistrationBody) {
  return {
    orgId: caller.org,
    coordinatorId: body.coordinator_id,
    ...registrant(caller, body.coordinator_id),
    activityTypeId: body.activity_type_id,
    activityDate: body.activity_date,
    durationMinutes: body.duration_minutes ?? null,
    location: body.location ?? null,
    notes: body.notes ?? null,
    now: nowIso(),
    actor: actorOf(c, caller),
  };
}

const field = (path: string, message: string) =>
  new AppError("validation_failed", message, { errors: [{ path, message }] });

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const caller = allow(c, ...READERS);
  const query = c.req.valid("query");
  const onlyOwn = !hasRole(caller, "coordinator", "admin", "compliance");
  if (onlyOwn && query.mentor_id !== undefined && query.mentor_id !== caller.sub) {
    throw forbidden("A mentor sees only the attributions made to it");
  }
  const { rows, total } = await listAttributions(
    createDb(c.env.DB),
    caller.org,
    {
      mentorId: onlyOwn ? caller.sub : query.mentor_id,
      coordinatorId: query.coordinator_id,
      activityTypeId: query.activity_type_id,
      from: query.from,
      to: query.to,
    },
    { ...pageOffset(query), after: query.cursor },
  );
  return c.json(
    {
      data: rows.map(fromNamed),
      pagination: { page: query.page, limit: query.limit, total },
      next_cursor: nextCursor(rows, query.limit, attributionSortKey),
    },
    HttpStatus.OK,
  );
};

function trailEvent(entry: AuditEntry) {
  const event = TRAIL_EVENT_OF[entry.action as keyof typeof TRAIL_EVENT_OF];
  return {
    event,
    actor: entry.actor_id,
    at: entry.timestamp,
    ...(entry.changes ? { changes: entry.changes } : {}),
  };
}

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const caller = allow(c, ...READERS);
  const { id } = c.req.valid("param");
  // The record (D1) and its trail (the audit object) are asked for at once, so the request
  // waits for one round trip, not two; a trail read for a record the caller may not see is dropped.
  const [found, trail] = await Promise.all([
    getAttribution(createDb(c.env.DB), caller.org, id),
    auditClient(c.env, caller.org).list({
      attribution_id: id,
      actions: Object.keys(TRAIL_EVENT_OF),
      order: "asc",
      limit: MAX_TRAIL_EVENTS,
      offset: 0,
    }),
  ]);
  const onlyOwn = !hasRole(caller, "coordinator", "admin", "compliance");
  if (!found || (onlyOwn && found.row.mentorId !== caller.sub)) throw notFound(`Attribution ${id}`);
  const trailComplete = trail.entries.some((entry) => entry.event_id === found.row.lastEventId);
  const tag = attributionTag(caller.org, found, trailComplete);
  if (isNotModified(c, tag)) return c.body(null, HttpStatus.NOT_MODIFIED, { ETag: tag });
  return c.json({ ...fromNamed(found), audit_trail: trail.entries.map(trailEvent) }, HttpStatus.OK, {
    ETag: tag,
  });
};

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const body = c.req.valid("json");
  const result = await conflictOnDuplicate(() =>
    createAttribution(createDb(c.env.DB), {
      ...registration(c, caller, body),
      mentorId: body.mentor_id,
      eventId: crypto.randomUUID(),
    }),
  );
  if (!result.ok) {
    const d = result.diagnosis;
    if (!d.typeKnown) throw field("activity_type_id", `Unknown activity type ${body.activity_type_id}`);
    if (d.mentorActive === null || !d.mentorIsMentor) {
      throw field("mentor_id", `${body.mentor_id} is not a mentor of this organisation`);
    }
    if (!d.mentorActive) throw field("mentor_id", `${body.mentor_id} is not an active member`);
    if (!d.coordinatorOk) {
      throw field(
        "coordinator_id",
        `${body.coordinator_id} is not an active coordinator of this organisation`,
      );
    }
    throw duplicate();
  }
  await deliver(c.env, c.executionCtx, caller.org, [result.event]);
  return c.json(toAttribution(result.row, result.mentorName, result.coordinatorName), HttpStatus.CREATED);
};

const PATCHABLE = [
  "mentor_id",
  "activity_type_id",
  "activity_date",
  "duration_minutes",
  "location",
  "notes",
] as const;

function currentValue(row: AttributionRow, key: (typeof PATCHABLE)[number]): unknown {
  switch (key) {
    case "mentor_id":
      return row.mentorId;
    case "activity_type_id":
      return row.activityTypeId;
    case "activity_date":
      return row.activityDate;
    case "duration_minutes":
      return row.durationMinutes;
    case "location":
      return row.location;
    case "notes":
      return row.notes;
  }
}

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const db = createDb(c.env.DB);
  const found = await getAttribution(db, caller.org, id);
  if (!found) throw notFound(`Attribution ${id}`);
  if (!hasRole(caller, "admin") && found.row.coordinatorId !== caller.sub) {
    throw forbidden("Only the coordinator who registered this attribution, or an admin, may change it");
  }
  const precondition = ifMatchHeader(c);
  if (precondition !== undefined) requireIfMatch(precondition, attributionTags(caller.org, found));
  const patch: AttributionPatch = {};
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of PATCHABLE) {
    const next = body[key];
    if (next === undefined) continue;
    const previous = currentValue(found.row, key);
    if (previous === next) continue;
    Object.assign(patch, { [key]: next });
    changes[key] = { from: previous, to: next };
  }
  if (Object.keys(changes).length === 0) {
    return c.json(fromNamed(found), HttpStatus.OK, { ETag: attributionTag(caller.org, found) });
  }

  const result = await conflictOnDuplicate(() =>
    updateAttribution(db, {
      orgId: caller.org,
      attributionId: id,
      activityId: found.row.activityId,
      seenEventId: found.row.lastEventId,
      patch,
      changes,
      eventId: crypto.randomUUID(),
      now: nowIso(),
      actor: actorOf(c, caller),
    }),
  );
  if (!result.ok) {
    if (result.reason === "mentor_not_active") {
      throw field("mentor_id", `${body.mentor_id} is not an active mentor of this organisation`);
    }
    if (result.reason === "type_unknown") {
      throw field("activity_type_id", `Unknown activity type ${body.activity_type_id}`);
    }
    // The client's precondition held when read; a write in between now fails it.
    if (precondition !== undefined) throw staleWrite();
    throw new AppError(
      "conflict",
      "The attribution changed while this correction was made; read it and retry",
    );
  }
  const delivered = await deliver(c.env, c.executionCtx, caller.org, [result.event]);
  return c.json(fromNamed(result), HttpStatus.OK, { ETag: attributionTag(caller.org, result, delivered) });
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const { id } = c.req.valid("param");
  const now = nowIso();
  const db = createDb(c.env.DB);
  const onlyCoordinator = hasRole(caller, "admin") ? null : caller.sub;
  const precondition = ifMatchHeader(c);
  let seenEventId: string | undefined;
  if (precondition !== undefined) {
    // The delete is one blind batch; only a request with If-Match pays a read to check it.
    const found = await getAttribution(db, caller.org, id);
    if (!found) throw notFound(`Attribution ${id}`);
    if (onlyCoordinator !== null && found.row.coordinatorId !== onlyCoordinator) {
      throw forbidden("Only the coordinator who registered this attribution, or an admin, may delete it");
    }
    requireIfMatch(precondition, attributionTags(caller.org, found));
    seenEventId = found.row.lastEventId;
  }
  const result = await deleteAttribution(db, {
    orgId: caller.org,
    attributionId: id,
    onlyCoordinator,
    seenEventId,
    eventId: crypto.randomUUID(),
    now,
    actor: actorOf(c, caller),
  });
  if (!result.ok) {
    if (result.reason === "not_found") throw notFound(`Attribution ${id}`);
    if (result.reason === "stale") throw staleWrite();
    throw forbidden("Only the coordinator who registered this attribution, or an admin, may delete it");
  }
  await deliver(c.env, c.executionCtx, caller.org, [result.event]);
  return c.json({ message: `Attribution ${id} deleted`, deleted_at: now }, HttpStatus.OK);
};

function orgEvent(entry: AuditEntry) {
  const event = ORG_EVENT_OF[entry.action];
  if (!event) return null;
  return {
    event,
    ...present({
      attribution_id: entry.attribution_id,
      activity_id: entry.activity_id,
      batch_id: entry.batch_id,
    }),
    actor_id: entry.actor_id,
    actor_name: entry.actor_name,
    // The mentor's name is shown, null or not, wherever the event names a mentor.
    ...(entry.mentor_id === null ? {} : { mentor_id: entry.mentor_id, mentor_name: entry.mentor_name }),
    ...present({
      activity_type_id: entry.activity_type_id,
      activity_date: entry.activity_date,
      mentor_count: entry.mentor_count,
      skipped_count: entry.skipped_count,
      changes: entry.changes,
    }),
    occurred_at: entry.timestamp,
  };
}

export const auditLog: AppRouteHandler<AuditLogRoute> = async (c) => {
  const caller = allow(c, "admin", "compliance");
  const query = c.req.valid("query");
  const to = query.to ?? nowIso();
  // The default window never reaches before 1970, where the audit log keeps no time.
  const from =
    query.from ??
    toIsoSeconds(new Date(Math.max(0, Date.parse(to) - DEFAULT_AUDIT_WINDOW_DAYS * 86_400_000)));
  if (from > to) throw field("from", "from must not be after to");
  const result = await auditClient(c.env, caller.org).list({
    actions: query.event ? [ACTION_OF[query.event] ?? query.event] : Object.keys(ORG_EVENT_OF),
    actor_id: query.actor_id,
    mentor_id: query.mentor_id,
    from,
    to,
    order: "desc",
    ...pageOffset(query),
  });
  const data = result.entries.map(orgEvent).filter((e) => e !== null);
  return c.json(
    { data, pagination: { page: query.page, limit: query.limit, total: result.total } },
    HttpStatus.OK,
  );
};

function toBatch(outcome: BatchOutcome) {
  const { batch, created } = outcome;
  return {
    batch_id: batch.batchId,
    status: batch.status,
    coordinator_id: batch.coordinatorId,
    activity_type_id: batch.activityTypeId,
    activity_date: batch.activityDate,
    duration_minutes: batch.durationMinutes,
    location: batch.location,
    notes: batch.notes,
    mentor_count: batch.mentorCount,
    skipped_count: batch.skippedCount,
    will_create_count: batch.items.filter((i) => i.status !== "skipped").length,
    items: batch.items.map((i) => ({
      mentor_id: i.mentor_id,
      status: i.status,
      reason: i.reason,
      attribution_id: i.attribution_id ?? null,
    })),
    attributions: created.map((row) => toAttribution(row, null, null)),
    created_at: batch.createdAt,
    confirmed_at: batch.confirmedAt,
  };
}

export const createBatch: AppRouteHandler<CreateBatchRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const body = c.req.valid("json");
  const result = await conflictOnDuplicate(() =>
    createBatchQuery(createDb(c.env.DB), {
      ...registration(c, caller, body),
      mentorIds: body.mentor_ids,
      submissionEventId: crypto.randomUUID(),
      confirmEventId: body.confirm ? crypto.randomUUID() : null,
    }),
  );
  if (!result.ok) {
    if (result.reason === "type_unknown") {
      throw field("activity_type_id", `Unknown activity type ${body.activity_type_id}`);
    }
    throw field("coordinator_id", `${body.coordinator_id} is not an active coordinator of this organisation`);
  }
  await deliver(c.env, c.executionCtx, caller.org, result.outcome.events);
  return c.json(toBatch(result.outcome), HttpStatus.CREATED);
};

export const confirmBatch: AppRouteHandler<ConfirmBatchRoute> = async (c) => {
  const caller = allow(c, ...WRITERS);
  const { batch_id } = c.req.valid("param");
  const outcome = await conflictOnDuplicate(
    () =>
      confirmBatchQuery(createDb(c.env.DB), {
        orgId: caller.org,
        batchId: batch_id,
        onlyCoordinator: hasRole(caller, "admin") ? null : caller.sub,
        eventId: crypto.randomUUID(),
        now: nowIso(),
        actor: actorOf(c, caller),
      }),
    () =>
      new AppError(
        "conflict",
        "A mentor of this batch was registered for the same activity meanwhile; retry",
      ),
  );
  if (!outcome) throw notFound(`Batch ${batch_id}`);
  if (outcome.batch.coordinatorId !== caller.sub && !hasRole(caller, "admin")) {
    throw forbidden("Only the coordinator who submitted this batch, or an admin, may confirm it");
  }
  await deliver(c.env, c.executionCtx, caller.org, outcome.events);
  return c.json(toBatch(outcome), HttpStatus.OK);
};
