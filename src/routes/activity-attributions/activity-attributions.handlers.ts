import type { Context } from "hono";
import type { TrailItem } from "../../audit/types";
import { type TrailEvent, trailEventOf } from "../../audit/vocabulary";
import { allow, allowOn, covers, ownerFilter } from "../../auth/policy";
import {
  type AttributionPatch,
  createAttribution,
  deleteAttribution,
  updateAttribution,
} from "../../db/queries/attribution-writes";
import { attributionSortKey, getAttribution, listAttributions } from "../../db/queries/attributions";
import type { AttributionWithNames } from "../../db/queries/representations";
import type { AttributionRow } from "../../db/schema";
import { ifMatchHeader, isNotModified, preconditionFailed, requireIfMatch } from "../../http/etag";
import { batchAnswer } from "../../http/idempotency";
import { requestActor } from "../../http/request-actor";
import { nextCursor } from "../../lib/cursor";
import {
  conflict,
  forbidden,
  invalidField,
  mentorRefusal,
  notFound,
  unknownActivityType,
} from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { nowIso } from "../../lib/time";
import type { AppBindings, AppRouteHandler } from "../../types";
import {
  attributionTag,
  attributionTags,
  currentOf,
  fromNamed,
  toAttribution,
} from "./activity-attributions.present";
import {
  conflictOnDuplicate,
  duplicateRegistration,
  registration,
} from "./activity-attributions.registration";
import type {
  CreateRoute,
  GetRoute,
  ListRoute,
  RemoveRoute,
  UpdateRoute,
} from "./activity-attributions.routes";

const NOT_THE_REGISTRANT =
  "Only the coordinator who registered this attribution, or an admin, may correct or delete it";

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "attributions.read");
  const query = c.req.valid("query");
  if (query.mentor_id !== undefined && !covers(reach, query.mentor_id)) {
    throw forbidden("A mentor sees only the attributions made to it");
  }
  const { rows, total } = await listAttributions(
    c.var.org.db,
    caller.org,
    {
      mentorId: ownerFilter(reach) ?? query.mentor_id,
      coordinatorId: query.coordinator_id,
      activityTypeId: query.activity_type_id,
      confirmationStatus: query.confirmation_status,
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

/**
 * A record's audit trail: its entries by their trail names, and a redacted one as `redacted`
 * with who redacted it and when (from its deletion record).
 */
type TrailEventView = {
  event: TrailEvent | "redacted";
  id: string;
  actor: string;
  at: string;
  changes?: Record<string, { from: unknown; to: unknown }>;
};

const trailOf = (items: TrailItem[]): TrailEventView[] =>
  items.flatMap((item): TrailEventView[] => {
    if (item.kind === "redacted") {
      return [{ event: "redacted", id: item.id, actor: item.actor_id ?? "", at: item.at ?? "" }];
    }
    const { entry } = item;
    const event = trailEventOf(entry.action);
    if (event === null) return [];
    return [
      {
        event,
        id: entry.id,
        actor: entry.actor_id,
        at: entry.timestamp,
        ...(entry.changes ? { changes: entry.changes } : {}),
      },
    ];
  });

const eventIdOf = (item: TrailItem) => (item.kind === "entry" ? item.entry.event_id : item.event_id);

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "attributions.read");
  const { id } = c.req.valid("param");
  // The record (D1) and its trail (the audit object) are asked for at once, so the request
  // waits for one round trip, not two; a trail read for a record the caller may not see is dropped.
  const { db, log } = c.var.org;
  const [found, trail] = await Promise.all([
    getAttribution(db, caller.org, id),
    (async () => await log.trail(id))(),
  ]);
  if (!found || !covers(reach, found.row.mentorId)) throw notFound(`Attribution ${id}`);
  const trailComplete = trail.some((item) => eventIdOf(item) === found.row.lastEventId);
  const tag = attributionTag(caller.org, found, trailComplete);
  if (isNotModified(c, tag)) return c.body(null, HttpStatus.NOT_MODIFIED, { ETag: tag });
  return c.json({ ...fromNamed(found), audit_trail: trailOf(trail) }, HttpStatus.OK, {
    ETag: tag,
  });
};

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const body = c.req.valid("json");
  const input = registration(c, body);
  const result = await conflictOnDuplicate(() =>
    createAttribution(c.var.org.db, {
      ...input,
      mentorId: body.mentor_id,
      eventId: crypto.randomUUID(),
      replay: batchAnswer(c, HttpStatus.CREATED),
    }),
  );
  if (!result.ok) {
    switch (result.reason) {
      case "type_unknown":
        throw unknownActivityType("activity_type_id", body.activity_type_id);
      case "mentor_unknown":
      case "not_a_mentor":
      case "mentor_inactive":
        throw mentorRefusal("mentor_id", body.mentor_id, result.reason);
      case "coordinator_not_active":
        throw invalidField(
          "coordinator_id",
          `${body.coordinator_id} is not an active coordinator of this organisation`,
        );
      case "duplicate":
        throw duplicateRegistration();
    }
  }
  const { row, mentorName, coordinatorName, event } = result.value;
  await c.var.org.deliver([event]);
  return c.json(toAttribution(row, mentorName, coordinatorName), HttpStatus.CREATED);
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

/**
 * A 412 for a conditional write that missed because the attribution changed after its
 * precondition was checked: the write's batch cannot say how it looks now, so this race, and
 * only it, pays one more read to carry the current version.
 */
export async function changedMeanwhile(c: Context<AppBindings>, id: string) {
  const now = await getAttribution(c.var.org.db, c.var.caller.org, id);
  return preconditionFailed(
    "The attribution changed while this request ran",
    now ? currentOf(c.var.caller.org, now) : null,
  );
}

/**
 * For a write that sends If-Match: reads the attribution, lets `authorize` refuse a caller who
 * may not write it, checks the tag, and answers the event it read, which the write then requires
 * (a change in between is a 412). Without the header nothing is read: the write is one batch.
 */
export async function preconditionEvent(
  c: Context<AppBindings>,
  id: string,
  authorize: (found: AttributionWithNames) => void,
): Promise<string | undefined> {
  const precondition = ifMatchHeader(c);
  if (precondition === undefined) return undefined;
  const { org } = c.var.caller;
  const found = await getAttribution(c.var.org.db, org, id);
  if (!found) throw notFound(`Attribution ${id}`);
  authorize(found);
  requireIfMatch(precondition, attributionTags(org, found), currentOf(org, found));
  return found.row.lastEventId;
}

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "attributions.write");
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const found = await getAttribution(c.var.org.db, caller.org, id);
  if (!found) throw notFound(`Attribution ${id}`);
  if (!covers(reach, found.row.coordinatorId)) throw forbidden(NOT_THE_REGISTRANT);
  const precondition = ifMatchHeader(c);
  if (precondition !== undefined) {
    requireIfMatch(precondition, attributionTags(caller.org, found), currentOf(caller.org, found));
  }
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
  // The write sets every correction back to pending; the event says so when that is a change.
  if (found.row.confirmationStatus !== "pending") {
    changes.confirmation_status = { from: found.row.confirmationStatus, to: "pending" };
  }

  const result = await conflictOnDuplicate(() =>
    updateAttribution(c.var.org.db, {
      orgId: caller.org,
      attributionId: id,
      activityId: found.row.activityId,
      seenEventId: found.row.lastEventId,
      patch,
      changes,
      eventId: crypto.randomUUID(),
      now: nowIso(),
      actor: requestActor(c),
    }),
  );
  if (!result.ok) {
    switch (result.reason) {
      case "mentor_not_active":
        throw invalidField("mentor_id", `${body.mentor_id} is not an active mentor of this organisation`);
      case "type_unknown":
        throw unknownActivityType("activity_type_id", body.activity_type_id ?? "");
      case "stale":
        // The client's precondition held when read; a write in between now fails it.
        if (precondition !== undefined) throw await changedMeanwhile(c, id);
        throw conflict("The attribution changed while this correction was made; read it and retry");
    }
  }
  const delivered = await c.var.org.deliver([result.value.event]);
  return c.json(fromNamed(result.value), HttpStatus.OK, {
    ETag: attributionTag(caller.org, result.value, delivered),
  });
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "attributions.write");
  const { id } = c.req.valid("param");
  const now = nowIso();
  const seenEventId = await preconditionEvent(c, id, (found) =>
    allowOn(caller, "attributions.write", found.row.coordinatorId, NOT_THE_REGISTRANT),
  );
  const result = await deleteAttribution(c.var.org.db, {
    orgId: caller.org,
    attributionId: id,
    onlyCoordinator: ownerFilter(reach) ?? null,
    seenEventId,
    eventId: crypto.randomUUID(),
    now,
    actor: requestActor(c),
  });
  if (!result.ok) {
    switch (result.reason) {
      case "not_found":
        throw notFound(`Attribution ${id}`);
      case "stale":
        throw await changedMeanwhile(c, id);
      case "forbidden":
        throw forbidden(NOT_THE_REGISTRANT);
    }
  }
  await c.var.org.deliver([result.value]);
  return c.json({ message: `Attribution ${id} deleted`, deleted_at: now }, HttpStatus.OK);
};
