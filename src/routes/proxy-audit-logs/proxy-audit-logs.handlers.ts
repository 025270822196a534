import type { Context } from "hono";
import { entrySeq } from "../../audit/entry-id";
import { annotationAnswer, entryTag, redactionAnswer } from "../../audit/kept-answers";
import { entrySummary } from "../../audit/summary";
import type {
  AnnotateResult,
  AppendRefusal,
  AppendResult,
  AuditAnnotation,
  AuditEntry,
  AuditEntryDetail,
  AuditEventInput,
  EntryWriteOptions,
  KeyHeld,
  RedactResult,
} from "../../audit/types";
import type { Caller } from "../../auth/caller";
import { allow, covers, type Reach } from "../../auth/policy";
import type { Organisation } from "../../http/database";
import { isNotModified } from "../../http/etag";
import { auditLogKey, settleAuditLogKey } from "../../http/idempotency";
import { checkPrecondition, currentNow, type Precondition } from "../../http/precondition";
import { type Refusing, refusal } from "../../http/refusals";
import { requestActor } from "../../http/request-actor";
import { type AppError, forbidden, notFound } from "../../lib/errors";
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

/** The log will not take a write now: no signing key is configured, or it cannot trust its tree. */
const logRefused = (outcome: AppendRefusal, about: Refusing) =>
  refusal("log_refused", about, { detail: outcome.detail, untrusted: outcome.reason === "untrusted" });

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
 * If-Match on an entry, checked with one more call to the audit object, paid only by requests
 * that send the header. The write then names the version it read (`entryWriteOptions`), so an
 * annotation landing between the two calls fails the write (412) instead of being overwritten.
 */
const entryPrecondition = (id: string): Precondition<AuditEntryDetail> => ({
  read: async (org) => {
    const seq = entrySeq(id);
    return seq === null ? undefined : ((await org.log.get(seq)) ?? undefined);
  },
  // Only admin and compliance write entries, and both see the request data.
  current: (orgId, found) => {
    const tag = entryTag(orgId, id, found.annotation);
    return {
      tags: [tag],
      representation: { body: toDetail(found.entry, found.annotation, true), etag: tag },
    };
  },
});

const entryAbout = (id: string): Refusing => ({ target: `Audit entry ${id}` });

/** The action of the record an annotation or a redaction may not touch, when that is the refusal. */
const factsOf = (result: { status: string; action?: string }) => ({ action: result.action });

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
const eventAbout = (event: AuditEventInput): Refusing => ({ target: `Event ${event.event_id}` });

async function appendOne(c: Context<AppBindings>, event: AuditEventInput): Promise<AppendResult> {
  const { log } = c.var.org;
  const key = auditLogKey(c);
  if (key !== undefined) {
    const outcome = await log.appendKeyed(event, key);
    if (outcome.status === "refused") throw logRefused(outcome, eventAbout(event));
    return settleAuditLogKey(c, outcome, (appended) => appended.kept).result;
  }
  const outcome = await log.append([event]);
  if (outcome.status === "refused") throw logRefused(outcome, eventAbout(event));
  const [result] = outcome.results;
  if (result === undefined) throw new Error("The audit log answered no result for one event");
  return result;
}

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-entries.create");
  const { event_id = crypto.randomUUID(), ...body } = c.req.valid("json");
  const event = { ...body, event_id, ...requestActor(c) };
  const result = await appendOne(c, event);
  if (result.status === "redacted") {
    throw refusal("event_redacted", eventAbout(event), { recordedAs: result.id });
  }
  const status = result.status === "created" ? HttpStatus.CREATED : HttpStatus.OK;
  return c.json(entrySummary(result.entry), status);
};

/** What a write to an entry carries to the object: the request's key, and the version its If-Match read. */
const entryWriteOptions = (
  c: Context<AppBindings>,
  seen: AuditEntryDetail | undefined,
): EntryWriteOptions => ({
  key: auditLogKey(c),
  seen: seen === undefined ? undefined : { annotation: seen.annotation?.record_id ?? null },
});

/** Why an annotation or a redaction wrote nothing. */
type EntryRefusal = Exclude<AnnotateResult | RedactResult, { status: "annotated" | "redacted" } | KeyHeld>;

/** The problem of a write to an entry that wrote nothing; one that lost a race with its If-Match check pays a read for the 412. */
async function entryRefused(org: Organisation, id: string, result: EntryRefusal): Promise<AppError> {
  const about = entryAbout(id);
  if (result.status === "refused") return logRefused(result, about);
  if (result.status === "stale") {
    return refusal("stale", about, { current: await currentNow(org, entryPrecondition(id)) });
  }
  return refusal(result.status, about, factsOf(result));
}

/**
 * The two writes to the log itself (annotate, redact) take their If-Match check like every
 * conditional write, and hand the object the version it read, which the entry must still have
 * when the object writes. The object keeps an Idempotency-Key's answer with the write, in its
 * transaction; a refusal is kept after the handler, by a second call.
 */
export const annotate: AppRouteHandler<AnnotateRoute> = async (c) => {
  const reach = allow(c.var.caller, "audit-entries.annotate");
  const { id } = c.req.valid("param");
  const seen = await checkPrecondition(c, entryPrecondition(id), reach, entryAbout(id));
  const outcome = await c.var.org.log.annotate(
    seqOf(id),
    c.req.valid("json"),
    requestActor(c),
    entryWriteOptions(c, seen),
  );
  const result = settleAuditLogKey(c, outcome, (written) => written.status === "annotated");
  if (result.status !== "annotated") throw await entryRefused(c.var.org, id, result);
  return c.json(annotationAnswer(id, result.annotation), HttpStatus.OK, {
    ETag: entryTag(c.var.org.id, id, result.annotation),
  });
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const reach = allow(c.var.caller, "audit-entries.delete");
  const { id } = c.req.valid("param");
  const seen = await checkPrecondition(c, entryPrecondition(id), reach, entryAbout(id));
  const outcome = await c.var.org.log.redact(seqOf(id), requestActor(c), entryWriteOptions(c, seen));
  const result = settleAuditLogKey(c, outcome, (written) => written.status === "redacted");
  if (result.status !== "redacted") throw await entryRefused(c.var.org, id, result);
  return c.json(redactionAnswer(id, result.record), HttpStatus.OK);
};
