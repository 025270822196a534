import type { Context } from "hono";
import { entrySeq } from "../../audit/entry-id";
import { entrySummary } from "../../audit/summary";
import type {
  AppendRefusal,
  AppendResult,
  AuditAnnotation,
  AuditEntry,
  AuditEventInput,
} from "../../audit/types";
import type { Caller } from "../../auth/caller";
import { allow, covers, type Reach } from "../../auth/policy";
import type { Organisation } from "../../http/database";
import { entityTag, ifMatchHeader, isNotModified, requireIfMatch } from "../../http/etag";
import { auditLogKey, settleAuditLogKey } from "../../http/idempotency";
import { requestActor } from "../../http/request-actor";
import { AppError, forbidden, notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { present } from "../../lib/present";
import type { AppBindings, AppRouteHandler } from "../../types";
import type {
  AnnotateRoute,
  ByCoordinatorRoute,
  CreateRoute,
  GetRoute,
  ListRoute,
  RemoveRoute,
} from "./proxy-audit-logs.routes";

/** The coordinator whose entries the caller reads; undefined means any. */
function coordinatorScope(reach: Reach, requested: string | undefined): string | undefined {
  if (reach.all) return requested;
  if (requested !== undefined && requested !== reach.owner) {
    throw forbidden("A coordinator may read only its own audit entries");
  }
  return reach.owner;
}

function seqOf(id: string): number {
  const seq = entrySeq(id);
  if (seq === null) throw notFound(`Audit entry ${id}`);
  return seq;
}

/**
 * The log will not take a write now: no signing key is configured, or the stored tree no longer
 * gives the last signed root. Either needs an operator; the detail says which.
 */
const refused = (refusal: AppendRefusal) =>
  new AppError(
    refusal.reason === "untrusted" ? "audit_log_untrusted" : "service_unavailable",
    `The audit log accepts no writes now: ${refusal.detail}`,
    { headers: { "Retry-After": "300" } },
  );

/** `ip_address` and `user_agent` are personal data: only admin and compliance see them. */
function toDetail(entry: AuditEntry, annotation: AuditAnnotation | null, seesRequestData: boolean) {
  return {
    ...entrySummary(entry),
    actor_id: entry.actor_id,
    seq: entry.seq,
    event_id: entry.event_id,
    ...present({
      actor_name: entry.actor_name,
      mentor_name: entry.mentor_name,
      attribution_id: entry.attribution_id,
      activity_type_id: entry.activity_type_id,
      activity_date: entry.activity_date,
      mentor_count: entry.mentor_count,
      skipped_count: entry.skipped_count,
      annotation: annotation?.annotation ?? entry.annotation,
      reviewed_by: annotation?.reviewed_by ?? entry.reviewed_by,
      updated_at: annotation?.updated_at ?? null,
    }),
    changes: entry.changes,
    ip_address: seesRequestData ? entry.ip_address : null,
    user_agent: seesRequestData ? entry.user_agent : null,
    recorded_at: entry.recorded_at,
    payload_hash: entry.payload_hash,
    prev_hash: entry.prev_hash,
    hash: entry.hash,
  };
}

/**
 * An entry's own fields never change (a deletion makes it 404), so its version is
 * its latest annotation, the only thing a write adds to what GET shows.
 */
const entryTag = (org: string, id: string, annotation: AuditAnnotation | null) =>
  entityTag("audit-entry", org, id, annotation);

/**
 * Checks If-Match against the entry's current tag with one more call to the audit
 * object, paid only by requests that send the header. The check and the write are two
 * calls, so an annotation landing between them is not caught; the object would need
 * to take the expected version to close that window.
 */
async function checkPrecondition(
  precondition: string | undefined,
  org: Organisation,
  id: string,
): Promise<void> {
  if (precondition === undefined) return;
  const found = await org.log.get(seqOf(id));
  if (!found) throw notFound(`Audit entry ${id}`);
  const tag = entryTag(org.id, id, found.annotation);
  // Only admin and compliance write entries, and both see the request data.
  requireIfMatch(precondition, tag, { body: toDetail(found.entry, found.annotation, true), etag: tag });
}

interface PageFilters {
  page: number;
  limit: number;
  action?: string;
  mentor_id?: string;
  activity_id?: string;
  batch_id?: string;
  member_id?: string;
  from?: string;
  to?: string;
}

/** One page of entries as both list routes answer it. */
async function entryPage(
  org: Organisation,
  caller: Caller,
  filters: PageFilters,
  coordinatorId: string | undefined,
) {
  const { page, limit, action, ...rest } = filters;
  const reach = allow(caller, "audit-entries.read");
  const { entries, total } = await org.log.list({
    ...rest,
    coordinator_id: coordinatorScope(reach, coordinatorId),
    actions: action === undefined ? undefined : [action],
    ...pageOffset({ page, limit }),
  });
  return { data: entries.map(entrySummary), pagination: { page, limit, total } };
}

export const list: AppRouteHandler<ListRoute> = async (c) => {
  const { coordinator_id, ...filters } = c.req.valid("query");
  return c.json(await entryPage(c.var.org, c.var.caller, filters, coordinator_id), HttpStatus.OK);
};

export const byCoordinator: AppRouteHandler<ByCoordinatorRoute> = async (c) => {
  const { coordinator_id } = c.req.valid("param");
  return c.json(
    await entryPage(c.var.org, c.var.caller, c.req.valid("query"), coordinator_id),
    HttpStatus.OK,
  );
};

export const get: AppRouteHandler<GetRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "audit-entries.read");
  const { id } = c.req.valid("param");
  const found = await c.var.org.log.get(seqOf(id));
  if (!found || !covers(reach, found.entry.coordinator_id ?? "")) throw notFound(`Audit entry ${id}`);
  const tag = entryTag(caller.org, id, found.annotation);
  if (isNotModified(c, tag)) return c.body(null, HttpStatus.NOT_MODIFIED, { ETag: tag });
  const seesRequestData = caller.roles.some((role) => role === "admin" || role === "compliance");
  return c.json(toDetail(found.entry, found.annotation, seesRequestData), HttpStatus.OK, { ETag: tag });
};

/**
 * Appends one event. With an Idempotency-Key the object keeps the answer with the append, in its
 * own transaction, and answers a retry from there (no D1 round trip at all).
 */
async function appendOne(c: Context<AppBindings>, event: AuditEventInput): Promise<AppendResult> {
  const { log } = c.var.org;
  const key = auditLogKey(c);
  if (key !== undefined) {
    const outcome = await log.appendKeyed(event, key);
    if (outcome.status === "refused") throw refused(outcome);
    return settleAuditLogKey(c, outcome);
  }
  const outcome = await log.append([event]);
  if (outcome.status === "refused") throw refused(outcome);
  const [result] = outcome.results;
  if (result === undefined) throw new Error("The audit log answered no result for one event");
  return result;
}

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-entries.create");
  const { event_id = crypto.randomUUID(), ...body } = c.req.valid("json");
  const result = await appendOne(c, { ...body, event_id, ...requestActor(c) });
  switch (result.status) {
    case "created":
      return c.json(entrySummary(result.entry), HttpStatus.CREATED);
    case "existing":
      return c.json(entrySummary(result.entry), HttpStatus.OK);
    case "redacted":
      throw new AppError(
        "conflict",
        `Event ${event_id} was recorded as ${result.id}, which has since been deleted`,
      );
  }
};

export const annotate: AppRouteHandler<AnnotateRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-entries.annotate");
  const { id } = c.req.valid("param");
  await checkPrecondition(ifMatchHeader(c), c.var.org, id);
  const result = await c.var.org.log.annotate(seqOf(id), c.req.valid("json"), requestActor(c));
  switch (result.status) {
    case "refused":
      throw refused(result);
    case "not_found":
      throw notFound(`Audit entry ${id}`);
    case "not_annotatable":
      throw new AppError("conflict", `${id} is an ${result.action} record, which cannot be annotated`);
    case "annotated": {
      const { annotation, reviewed_by, updated_at, record_id } = result.annotation;
      return c.json({ id, annotation, reviewed_by, updated_at, record_id }, HttpStatus.OK, {
        ETag: entryTag(caller.org, id, result.annotation),
      });
    }
  }
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-entries.delete");
  const { id } = c.req.valid("param");
  await checkPrecondition(ifMatchHeader(c), c.var.org, id);
  const result = await c.var.org.log.redact(seqOf(id), requestActor(c));
  switch (result.status) {
    case "refused":
      throw refused(result);
    case "not_found":
      throw notFound(`Audit entry ${id}`);
    case "not_redactable":
      throw new AppError("conflict", `${id} is an ${result.action} record, the evidence of a deletion`);
    case "redacted":
      return c.json(
        { success: true as const, deleted_id: id, deletion_record_id: result.record.id },
        HttpStatus.OK,
      );
  }
};
