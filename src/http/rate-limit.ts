import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { AppError } from "../lib/errors";
import { logLine } from "../lib/log";
import type { AppBindings } from "../types";

/** Used when the vars are unset; the values wrangler.toml ships with. */
const DEFAULT_RATE_LIMIT_REQUESTS = 100;
const DEFAULT_RATE_LIMIT_PERIOD_SECONDS = 60;
const POLICY_NAME = "default";

interface RatePolicy {
  requests: number;
  periodSeconds: number;
}

const positiveInt = (value: string | undefined, fallback: number) => {
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed > 0 ? parsed : fallback;
};

function ratePolicy(env: Env): RatePolicy {
  return {
    requests: positiveInt(env.RATE_LIMIT_REQUESTS, DEFAULT_RATE_LIMIT_REQUESTS),
    periodSeconds: positiveInt(env.RATE_LIMIT_PERIOD_SECONDS, DEFAULT_RATE_LIMIT_PERIOD_SECONDS),
  };
}

/** Encoded so that no organisation and member pair can spell another's key. */
const callerKey = (org: string, sub: string) => `${encodeURIComponent(org)}:${encodeURIComponent(sub)}`;

/**
 * Limits each caller (organisation + member) with the Workers Rate Limiting binding,
 * after authentication so the key is a verified identity rather than a claim.
 *
 * Headers (draft-ietf-httpapi-ratelimit-headers): every response states the quota as
 * `RateLimit-Policy: "default";q=<requests>;w=<seconds>`. The binding answers only
 * allowed or refused, never how much is left or when the window ends, so an allowed
 * response sends no `RateLimit` field rather than a remaining count we would have to
 * invent. A refusal knows the remainder is zero and sends `RateLimit: "default";r=0;t=<w>`
 * and `Retry-After: <w>`, the whole period being the longest a window can still last.
 *
 * If the binding itself fails, the request goes on: throttling protects the service,
 * and refusing every caller because the counter is unreachable would be the outage.
 */
export const rateLimit = createMiddleware<AppBindings>(async (c, next) => {
  const { requests, periodSeconds } = ratePolicy(c.env);
  c.header("RateLimit-Policy", `"${POLICY_NAME}";q=${requests};w=${periodSeconds}`);
  const caller = c.get("caller");
  let allowed = true;
  try {
    ({ success: allowed } = await c.env.RATE_LIMITER.limit({ key: callerKey(caller.org, caller.sub) }));
  } catch (err) {
    logLine("warn", "rate limiter unavailable; request let through", {
      error: err instanceof Error ? err.message : String(err),
    });
  }
  if (!allowed) {
    throw new AppError(
      "rate_limited",
      `At most ${requests} requests per ${periodSeconds} seconds per caller`,
      {
        headers: {
          "Retry-After": String(periodSeconds),
          RateLimit: `"${POLICY_NAME}";r=0;t=${periodSeconds}`,
        },
      },
    );
  }
  await next();
});
