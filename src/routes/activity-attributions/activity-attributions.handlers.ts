import type { TrailItem } from "../../audit/types";
import { type TrailEvent, trailEventOf } from "../../audit/vocabulary";
import { allow, covers, ownerFilter } from "../../auth/policy";
import { attributionSortKey, getAttribution, listAttributions } from "../../db/queries/attributions";
import { isNotModified } from "../../http/etag";
import { nextCursor } from "../../lib/cursor";
import { forbidden, notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import type { AppRouteHandler } from "../../types";
import { attributionTag, fromNamed } from "./activity-attributions.present";
import type { GetRoute, ListRoute } from "./activity-attributions.routes";

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
  // The stub's call is awaited where it is made, inside its own function (see AuditLogStub).
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
