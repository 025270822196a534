import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AuditIdempotencyKey, KeptResponse, KeyHeld } from "../audit/types";
import { LeaseLost } from "../db/client";
import {
  type AnswerBody,
  BatchAnswer,
  claimIdempotencyKey,
  type IdempotencyLease,
  type IdempotencyScope,
  releaseIdempotencyKey,
  storeIdempotentResponse,
} from "../db/queries/idempotency";
import type { IdempotencyKeyRow } from "../db/schema";
import { sha256Hex } from "../lib/digest";
import { entityTag } from "../lib/entity-tag";
import { AppError, problemResponse, StoredAnswer } from "../lib/errors";
import { HttpStatus } from "../lib/http-status";
import { IDEMPOTENCY_KEY_TTL_SECONDS, MAX_IDEMPOTENCY_KEY_LENGTH } from "../lib/limits";
import { loggableError, logLine } from "../lib/log";
import { toIsoSeconds } from "../lib/time";
import type { AppBindings } from "../types";

const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
/** Marks a response that was replayed from the first request with the same key. */
const REPLAYED_HEADER = "Idempotent-Replayed";

/**
 * How long a request may hold its key before a retry may take it over. A few times what a
 * request takes, so that a client retrying after a crash waits seconds, not a minute. Taking
 * over is safe however short this is: the write batch of the request that lost its key writes
 * nothing (see `BatchAnswer`), so only one of them ever commits.
 */
const IDEMPOTENCY_LEASE_SECONDS = 10;

/** The response headers a replay repeats; the rest (request ID, security headers) are the replay's own. */
const REPLAYED_HEADERS = ["content-type", "etag", "location"] as const;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/** An RFC 8941 sf-string: printable ASCII in double quotes, `"` and `\` escaped with `\`. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/** How the request with an Idempotency-Key keeps its answer. */
type KeyedRequest =
  /** In D1: the key is claimed first, and a write stores its answer in its own batch. */
  | { keeper: "d1"; lease: IdempotencyLease; replay: { readonly stored: boolean } | null }
  /** In the audit object, for a route that writes only there: with the write, in its transaction. */
  | { keeper: "audit-log"; key: AuditIdempotencyKey; settled: boolean };

/** What the idempotency middleware puts on the request's context. */
export interface IdempotencyVariables {
  /** Set on a write (POST, PUT, DELETE) that carries an Idempotency-Key. */
  idempotency: KeyedRequest | undefined;
}

/**
 * The key from the header. The draft sends it as a structured-field string
 * (`"8e03…"`); a bare value is accepted too, as most clients send one.
 */
function parseIdempotencyKey(header: string): string {
  const value = header.trim();
  const quoted = SF_STRING.exec(value);
  const key = quoted?.[1] !== undefined ? quoted[1].replace(/\\(["\\])/g, "$1") : value;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !PRINTABLE_ASCII.test(key)) {
    throw new AppError(
      "bad_request",
      `${IDEMPOTENCY_KEY_HEADER} must be 1..${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`,
    );
  }
  return key;
}

const secondsFrom = (now: Date, seconds: number) => toIsoSeconds(new Date(now.getTime() + seconds * 1000));

async function fingerprintOf(c: Context<AppBindings>): Promise<string> {
  const url = new URL(c.req.url);
  // Hono caches the text, so the route's validator reads the same body again.
  const body = await c.req.text();
  return sha256Hex(`${c.req.method}\n${url.pathname}${url.search}\n${body}`);
}

function storedHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return headers;
}

async function outcomeOf(response: Response): Promise<KeptResponse> {
  return { status: response.status, headers: storedHeaders(response), body: await response.clone().text() };
}

const keyReused = () =>
  new AppError(
    "unprocessable",
    `This ${IDEMPOTENCY_KEY_HEADER} was used for a different request; use a new key for a new request`,
  );

const replayed = (response: KeptResponse): KeptResponse => ({
  ...response,
  headers: { ...response.headers, [REPLAYED_HEADER]: "true" },
});

/**
 * A stored D1 answer as it is replayed. An ETag that hashes the representation was not stored
 * (SQL cannot hash); it is computed here from the stored body and the version stored beside it.
 */
function replayOf(row: IdempotencyKeyRow, orgId: string, body: string, status: number): KeptResponse {
  const headers = { ...row.responseHeaders };
  const tag = row.responseTag;
  if (tag !== null) {
    const representation: unknown = JSON.parse(body);
    if (typeof representation === "object" && representation !== null) {
      headers.etag = entityTag(tag.kind, orgId, tag.id, { ...representation, ...tag.version });
    }
  }
  return replayed({ status, headers, body });
}

const respond = (c: Context<AppBindings>, response: KeptResponse) =>
  c.newResponse(response.body, response.status as ContentfulStatusCode, response.headers);

/**
 * The answer a write stores in its own D1 batch when the request carries an Idempotency-Key
 * (undefined otherwise), with the status and the headers the route answers and its body in SQL.
 * The write executor adds its statements to the write's batch and settles it with their results.
 */
export function batchAnswer<X>(c: Context<AppBindings>, answer: AnswerBody<X>): BatchAnswer<X> | undefined {
  const request = c.var.idempotency;
  if (request?.keeper !== "d1") return undefined;
  const replay = new BatchAnswer(request.lease, {
    ...answer,
    headers: { "content-type": "application/json", ...answer.headers },
  });
  request.replay = replay;
  return replay;
}

/** The key of a request whose answer the audit object keeps (its writes alone), or undefined. */
export function auditLogKey(c: Context<AppBindings>): AuditIdempotencyKey | undefined {
  const request = c.var.idempotency;
  return request?.keeper === "audit-log" ? request.key : undefined;
}

/** An object's outcome without the answers of a key that already holds one. */
type Unheld<O> = Exclude<O, { status: KeyHeld["status"] }>;

const isKeyHeld = (outcome: { status: string }): outcome is KeyHeld =>
  outcome.status === "held" || outcome.status === "key_reused";

/**
 * What the handler does with the audit object's answer to a keyed write (the system `POST`'s
 * append, an annotation, a redaction): the 422 when the key holds another request's answer; that
 * answer itself, replayed, when it holds this request's; else the write's own outcome. `kept`
 * says whether the object kept the outcome's answer with the write; when it did not (a refusal),
 * the handler's response is kept after it, by a second call.
 */
export function settleAuditLogKey<O extends { status: string }>(
  c: Context<AppBindings>,
  outcome: O,
  kept: (outcome: Unheld<O>) => boolean,
): Unheld<O> {
  const request = c.var.idempotency;
  if (isKeyHeld(outcome)) {
    if (request?.keeper === "audit-log") request.settled = true;
    if (outcome.status === "key_reused") throw keyReused();
    throw new StoredAnswer(replayed(outcome.response));
  }
  // Every outcome but a held key's, which the guard above took.
  const written = outcome as Unheld<O>;
  if (request?.keeper === "audit-log" && kept(written)) request.settled = true;
  return written;
}

/** Whole seconds until a lease ends (at least 1): when a retry may take the key over. */
function leaseLeft(lockedUntil: string): number {
  const left = Math.ceil((Date.parse(lockedUntil) - Date.now()) / 1000);
  return Math.min(
    IDEMPOTENCY_LEASE_SECONDS,
    Math.max(1, Number.isFinite(left) ? left : IDEMPOTENCY_LEASE_SECONDS),
  );
}

/** A request whose key another request holds: its replay, or why it cannot have one. */
function answerHeld(c: Context<AppBindings>, row: IdempotencyKeyRow, fingerprint: string): Response {
  if (row.fingerprint !== fingerprint) throw keyReused();
  if (row.responseStatus === null || row.responseBody === null) {
    throw new AppError(
      "conflict",
      `A request with this ${IDEMPOTENCY_KEY_HEADER} is still being processed; retry after it completes`,
      { headers: { "Retry-After": String(leaseLeft(row.lockedUntil)) } },
    );
  }
  return respond(c, replayOf(row, c.var.caller.org, row.responseBody, row.responseStatus));
}

/**
 * After the handler of a D1-kept request: its answer is already stored when its write batch stored
 * it; otherwise the outcome is recorded now (a 4xx, or a POST that creates nothing), or the key is
 * freed after a 5xx. A request whose lease was taken over records nothing: the key is not its own.
 */
async function settleD1(c: Context<AppBindings>, request: Extract<KeyedRequest, { keeper: "d1" }>) {
  if (request.replay?.stored || c.error instanceof LeaseLost) return;
  const db = c.var.org.db;
  // The request's own outcome stands even if the bookkeeping fails: nothing it wrote is left
  // unanswered (a write stores its answer in its batch). The key then stays held until its lease
  // ends, and a retry after that runs again.
  try {
    if (c.res.status >= HttpStatus.INTERNAL_SERVER_ERROR) await releaseIdempotencyKey(db, request.lease);
    else await storeIdempotentResponse(db, request.lease, await outcomeOf(c.res));
  } catch (err) {
    logLine("warn", "idempotency key not recorded; it is freed when its lease ends", {
      status: c.res.status,
      error: loggableError(err),
    });
  }
}

/**
 * Answers `response` instead of the handler's. Hono carries the headers of the response it
 * replaces over to the new one, so the handler's own (its ETag, its Location) are dropped first.
 */
function answerInstead(c: Context<AppBindings>, response: Response): void {
  for (const name of REPLAYED_HEADERS) c.res.headers.delete(name);
  c.res = response;
}

/**
 * After the handler of a request whose key the audit object keeps: unless the object kept the
 * answer with the write, the outcome (below 500) is kept now, in one object call that answers
 * what the key already holds instead, if anything.
 */
async function settleAuditLog(
  c: Context<AppBindings>,
  request: Extract<KeyedRequest, { keeper: "audit-log" }>,
) {
  if (request.settled || c.res.status >= HttpStatus.INTERNAL_SERVER_ERROR) return;
  try {
    const kept = await c.var.org.log.keep(request.key, await outcomeOf(c.res));
    if (kept.status === "key_reused") {
      const error = keyReused();
      answerInstead(c, problemResponse(c, error.code, error.message));
    } else if (kept.status === "held") {
      answerInstead(c, respond(c, replayed(kept.response)));
    }
  } catch (err) {
    logLine("warn", "idempotency key not kept by the audit log; a retry runs again", {
      status: c.res.status,
      error: loggableError(err),
    });
  }
}

/** A route (method and path, as its `createRoute` declares them). */
interface RouteRef {
  method: string;
  path: string;
}

/** The methods that honour an Idempotency-Key: every write. */
const KEYED_METHODS = new Set(["POST", "PUT", "DELETE"]);

/**
 * `Idempotency-Key` on POST, PUT and DELETE (draft-ietf-httpapi-idempotency-key-header): PUT and
 * DELETE are idempotent in their effect, but not in their answer (a retried DELETE would answer
 * 404, a retried correction another ETag), which is what a key makes repeatable. Runs after
 * authentication: keys belong to the caller within its organisation. Without the header it does
 * nothing and costs no round trip.
 *
 * Every response below 500 is stored and replayed, 4xx included: the outcome of a
 * request the server judged is the outcome, and a retry that answered differently
 * (say 201 after a 409 duplicate) would tell the client something that did not happen.
 * A 5xx releases the key, because the client cannot tell what went wrong and must be
 * able to retry; a key whose write committed keeps its answer, so the retry replays it.
 *
 * Keys are claimed in D1 before the handler runs, except for `keptByAuditLog`: routes that write
 * only to the audit object keep their keys there and need no claim. The object looks the key up
 * and keeps the answer of a write in the write's own transaction (the system POST's append, an
 * annotation, a redaction); an outcome it did not keep (a refusal) is kept by a second call after
 * the handler, which answers what the key holds instead, if anything.
 */
export function idempotency(options: { keptByAuditLog: readonly RouteRef[] }) {
  const keptByAuditLog = options.keptByAuditLog.map((route) => ({
    method: route.method.toUpperCase(),
    // A path parameter (`{id}`) stands for one segment.
    path: new RegExp(`^${route.path.replace(/\{[^/}]+\}/g, "[^/]+")}$`),
  }));
  const inAuditLog = (c: Context<AppBindings>) =>
    keptByAuditLog.some((route) => route.method === c.req.method && route.path.test(c.req.path));

  return createMiddleware<AppBindings>(async (c, next) => {
    const header = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (!KEYED_METHODS.has(c.req.method) || header === undefined) return next();
    const caller = c.get("caller");
    const scope: IdempotencyScope = {
      orgId: caller.org,
      callerId: caller.sub,
      key: parseIdempotencyKey(header),
    };
    const fingerprint = await fingerprintOf(c);

    if (inAuditLog(c)) {
      const request = {
        keeper: "audit-log" as const,
        key: { caller_id: scope.callerId, key: scope.key, fingerprint },
        settled: false,
      };
      c.set("idempotency", request);
      await next();
      await settleAuditLog(c, request);
      return;
    }

    const now = new Date();
    const claim = await claimIdempotencyKey(c.var.org.db, scope, {
      fingerprint,
      now: toIsoSeconds(now),
      lockedUntil: secondsFrom(now, IDEMPOTENCY_LEASE_SECONDS),
      expiresAt: secondsFrom(now, IDEMPOTENCY_KEY_TTL_SECONDS),
    });
    if (!claim.claimed) return answerHeld(c, claim.row, fingerprint);
    const request = { keeper: "d1" as const, lease: claim.lease, replay: null };
    c.set("idempotency", request);
    await next();
    await settleD1(c, request);
  });
}
