import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  claimIdempotencyKey,
  type IdempotencyScope,
  releaseIdempotencyKey,
  storeIdempotentResponse,
} from "../db/queries/idempotency";
import { AppError } from "../lib/errors";
import { HttpStatus } from "../lib/http-status";
import { logLine } from "../lib/log";
import { toIsoSeconds } from "../lib/time";
import type { AppBindings } from "../types";
import { sha256Hex } from "./digest";

const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";
/** Marks a response that was replayed from the first request with the same key. */
const REPLAYED_HEADER = "Idempotent-Replayed";

const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long a key and its response are kept; the draft asks for at least a day. */
const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;
/**
 * How long a request may hold its key before a retry may take it over. Far longer
 * than any request runs, so only a request that died without answering loses it.
 */
const IDEMPOTENCY_LEASE_SECONDS = 60;

/** The response headers a replay repeats; the rest (request ID, security headers) are the replay's own. */
const REPLAYED_HEADERS = ["content-type", "etag", "location"] as const;

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/** An RFC 8941 sf-string: printable ASCII in double quotes, `"` and `\` escaped with `\`. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

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

/**
 * `Idempotency-Key` on POST (draft-ietf-httpapi-idempotency-key-header); other methods
 * are idempotent by themselves and pass through. Runs after
 * authentication: keys belong to the caller within its organisation. Without the
 * header it does nothing and costs no round trip.
 *
 * Every response below 500 is stored and replayed, 4xx included: the outcome of a
 * request the server judged is the outcome, and a retry that answered differently
 * (say 201 after a 409 duplicate) would tell the client something that did not happen.
 * A 5xx releases the key, because the client cannot tell what went wrong and must be
 * able to retry.
 */
export const idempotency = createMiddleware<AppBindings>(async (c, next) => {
  const header = c.req.header(IDEMPOTENCY_KEY_HEADER);
  if (c.req.method !== "POST" || header === undefined) return next();
  const caller = c.get("caller");
  const scope: IdempotencyScope = {
    orgId: caller.org,
    callerId: caller.sub,
    key: parseIdempotencyKey(header),
  };
  const fingerprint = await fingerprintOf(c);
  const db = c.var.db;
  const now = new Date();
  const claim = await claimIdempotencyKey(db, scope, {
    fingerprint,
    now: toIsoSeconds(now),
    lockedUntil: secondsFrom(now, IDEMPOTENCY_LEASE_SECONDS),
    expiresAt: secondsFrom(now, IDEMPOTENCY_KEY_TTL_SECONDS),
  });

  if (!claim.claimed) {
    const { row } = claim;
    if (row.fingerprint !== fingerprint) {
      throw new AppError(
        "unprocessable",
        `This ${IDEMPOTENCY_KEY_HEADER} was used for a different request; use a new key for a new request`,
      );
    }
    if (row.responseStatus === null || row.responseBody === null) {
      throw new AppError(
        "conflict",
        `A request with this ${IDEMPOTENCY_KEY_HEADER} is still being processed; retry after it completes`,
      );
    }
    return c.newResponse(row.responseBody, row.responseStatus as ContentfulStatusCode, {
      ...row.responseHeaders,
      [REPLAYED_HEADER]: "true",
    });
  }

  await next();
  // The request's own outcome stands even if the bookkeeping fails: its writes are
  // committed. The key then stays held until its lease ends, and a retry after that runs again.
  try {
    if (c.res.status >= HttpStatus.INTERNAL_SERVER_ERROR) {
      await releaseIdempotencyKey(db, scope, fingerprint);
      return;
    }
    await storeIdempotentResponse(db, scope, fingerprint, {
      status: c.res.status,
      headers: storedHeaders(c.res),
      body: await c.res.clone().text(),
    });
  } catch (err) {
    logLine("warn", "idempotency key not recorded; it is freed when its lease ends", {
      status: c.res.status,
      error: err instanceof Error ? err.message : String(err),
    });
  }
});
