import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { AppError } from "../lib/errors";
import { logLine } from "../lib/log";
import type { AppBindings } from "../types";

/** Used when the vars are unset; the values wrangler.toml ships with. */
const DEFAULT_RATE_LIMIT_REQUESTS = 100;
const DEFAULT_RATE_LIMIT_PERIOD_SECONDS = 60;
const DEFAULT_ANONYMOUS_REQUESTS = 30;

interface RatePolicy {
  name: string;
  requests: number;
  periodSeconds: number;
}

const positiveInt = (value: string | undefined, fallback: number) => {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
};

const callerPolicy = (env: Env): RatePolicy => ({
  name: "default",
  requests: positiveInt(env.RATE_LIMIT_REQUESTS, DEFAULT_RATE_LIMIT_REQUESTS),
  periodSeconds: positiveInt(env.RATE_LIMIT_PERIOD_SECONDS, DEFAULT_RATE_LIMIT_PERIOD_SECONDS),
});

const anonymousPolicy = (env: Env): RatePolicy => ({
  name: "anonymous",
  requests: positiveInt(env.IP_RATE_LIMIT_REQUESTS, DEFAULT_ANONYMOUS_REQUESTS),
  periodSeconds: positiveInt(env.IP_RATE_LIMIT_PERIOD_SECONDS, DEFAULT_RATE_LIMIT_PERIOD_SECONDS),
});

const policyHeader = (policy: RatePolicy) =>
  `"${policy.name}";q=${policy.requests};w=${policy.periodSeconds}`;

/**
 * Asks a Workers Rate Limiting binding whether `key` may go on; a refusal is a 429 problem.
 *
 * Headers (draft-ietf-httpapi-ratelimit-headers): the binding answers only allowed or refused,
 * never how much is left or when the window ends, so an allowed response sends no `RateLimit`
 * field rather than a remaining count we would have to invent. A refusal knows the remainder is
 * zero and sends `RateLimit: "<policy>";r=0;t=<w>` and `Retry-After: <w>`, the whole period
 * being the longest a window can still last.
 *
 * If the binding itself fails, the request goes on: throttling protects the service, and
 * refusing every caller because the counter is unreachable would be the outage.
 */
async function enforce(limiter: RateLimit, key: string, policy: RatePolicy, detail: string): Promise<void> {
  let allowed = true;
  try {
    ({ success: allowed } = await limiter.limit({ key }));
  } catch (err) {
    logLine("warn", "rate limiter unavailable; request let through", {
      policy: policy.name,
      error: err instanceof Error ? err.message : String(err),
    });
  }
  if (!allowed) {
    throw new AppError("rate_limited", detail, {
      headers: {
        "Retry-After": String(policy.periodSeconds),
        RateLimit: `"${policy.name}";r=0;t=${policy.periodSeconds}`,
        "RateLimit-Policy": policyHeader(policy),
      },
    });
  }
}

/** Encoded so that no organisation and member pair can spell another's key. */
const callerKey = (org: string, sub: string) => `${encodeURIComponent(org)}:${encodeURIComponent(sub)}`;

/**
 * Limits each caller (organisation + member), after authentication so the key is a verified
 * identity rather than a claim. Every response states the quota as
 * `RateLimit-Policy: "default";q=<requests>;w=<seconds>`.
 */
export const rateLimit = createMiddleware<AppBindings>(async (c, next) => {
  const policy = callerPolicy(c.env);
  c.header("RateLimit-Policy", policyHeader(policy));
  const { org, sub } = c.var.caller;
  await enforce(
    c.env.RATE_LIMITER,
    callerKey(org, sub),
    policy,
    `At most ${policy.requests} requests per ${policy.periodSeconds} seconds per caller`,
  );
  await next();
});

/**
 * Counts a request that brought no valid token against its client IP (`CF-Connecting-IP`),
 * so guessing or replaying tokens is throttled before it costs more; over the quota it is a
 * 429 instead of the 401. Valid callers are never counted here, so people behind one address
 * do not share a quota.
 */
export async function limitAnonymous(c: Context<AppBindings>): Promise<void> {
  const policy = anonymousPolicy(c.env);
  const ip = c.req.header("CF-Connecting-IP")?.trim() || "unknown";
  await enforce(
    c.env.IP_RATE_LIMITER,
    `ip:${ip}`,
    policy,
    `At most ${policy.requests} requests without a valid token per ${policy.periodSeconds} seconds per address`,
  );
}
