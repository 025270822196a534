import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { RateQuota } from "../config";
import { AppError } from "../lib/errors";
import { loggableError, logLine } from "../lib/log";
import type { AppBindings } from "../types";
import { clientAddress } from "./request-actor";

interface RatePolicy extends RateQuota {
  name: string;
}

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
      error: loggableError(err),
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
  const policy: RatePolicy = { name: "default", ...c.var.config.rateLimits.caller };
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
 * Counts a request that brought no valid token against its client IP (`clientAddress`: `CF-Connecting-IP`, none under `npm run dev`),
 * so guessing or replaying tokens is throttled before it costs more; over the quota it is a
 * 429 instead of the 401. Valid callers are never counted here, so people behind one address
 * do not share a quota.
 */
export async function limitAnonymous(c: Context<AppBindings>): Promise<void> {
  const policy: RatePolicy = { name: "anonymous", ...c.var.config.rateLimits.anonymous };
  await enforce(
    c.env.IP_RATE_LIMITER,
    clientKey(clientAddress(c)),
    policy,
    `At most ${policy.requests} requests without a valid token per ${policy.periodSeconds} seconds per address`,
  );
}

/**
 * The key an address is counted under: an IPv4 address as it is; an IPv6 address by its /64,
 * since every IPv6 host is given at least a /64 and may send from any address in it.
 */
export function clientKey(header: string | undefined): string {
  const ip = header?.trim() || "unknown";
  if (!ip.includes(":")) return `ip:${ip}`;
  // An IPv4 address written as IPv6 (::ffff:192.0.2.1) is that IPv4 address.
  if (ip.includes(".")) return `ip:${ip.slice(ip.lastIndexOf(":") + 1)}`;
  const [head = "", tail = ""] = ip.split("::", 2);
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  // "::" stands for as many zero groups as the address lacks; an address without it has all eight.
  const groups = ip.includes("::")
    ? [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right]
    : left;
  const prefix = groups.slice(0, 4).map((g) => (Number.parseInt(g, 16) || 0).toString(16));
  return `ip6:${prefix.join(":")}::/64`;
}
