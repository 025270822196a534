import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { call, json } from "../helpers/api";
import { signToken, type TokenClaims } from "../helpers/auth";
import { demoOrg } from "../helpers/org";

const LIMIT = Number(env.LOW_RATE_LIMIT);
/** The real limiter with a quota of LIMIT, as wrangler.toml would configure it. */
const lowEnv: Env = { ...env, RATE_LIMITER: env.LOW_RATE_LIMITER, RATE_LIMIT_REQUESTS: env.LOW_RATE_LIMIT };

async function get(workerEnv: Env, claims: TokenClaims, path = "/api/v1/activity-types"): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`https://api.test${path}`, {
    headers: { Authorization: `Bearer ${await signToken(claims)}` },
  });
  const response = await worker.fetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/**
 * Sends requests until one is refused. Windows are fixed, so one window may end
 * part-way; 2 × LIMIT + 1 requests still overrun a window whichever way they fall.
 */
async function untilRefused(
  claims: TokenClaims,
): Promise<{ allowed: Response[]; refused: Response | undefined }> {
  const allowed: Response[] = [];
  for (let i = 0; i < 2 * LIMIT + 1; i += 1) {
    const res = await get(lowEnv, claims);
    if (res.status === 429) return { allowed, refused: res };
    allowed.push(res);
  }
  return { allowed, refused: undefined };
}

describe("rate limiting per caller", () => {
  it("states the configured policy on every API response and claims no remaining count", async () => {
    const o = await demoOrg();
    const res = await call("GET", "/api/v1/activity-types", { as: o.coordinator });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe('"default";q=100;w=60');
    expect(res.headers.get("RateLimit")).toBeNull();
  });

  it("refuses a caller over its quota with 429, Retry-After and RateLimit headers", async () => {
    const o = await demoOrg();
    const { allowed, refused } = await untilRefused(o.coordinator);
    expect(allowed.length).toBeGreaterThanOrEqual(1);
    for (const res of allowed) expect(res.status).toBe(200);
    expect(refused).toBeDefined();
    if (!refused) return;
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(await json(refused)).toMatchObject({ status: 429, title: "Too Many Requests" });
    expect(refused.headers.get("Retry-After")).toBe("60");
    expect(refused.headers.get("RateLimit")).toBe('"default";r=0;t=60');
    expect(refused.headers.get("RateLimit-Policy")).toBe(`"default";q=${LIMIT};w=60`);
    expect(refused.headers.get("X-Request-Id")).toBeTruthy();
    expect(refused.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("counts each caller on its own", async () => {
    const o = await demoOrg();
    const { refused } = await untilRefused(o.coordinator);
    expect(refused?.status).toBe(429);
    expect((await get(lowEnv, o.otherCoordinator)).status).toBe(200);
  });

  it("lets requests through when the limiter itself fails", async () => {
    const o = await demoOrg();
    const broken: Env = {
      ...env,
      RATE_LIMITER: {
        limit: async () => {
          throw new Error("limiter unavailable");
        },
      },
    };
    expect((await get(broken, o.coordinator)).status).toBe(200);
  });

  it("leaves /health unlimited", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBeNull();
  });
});
