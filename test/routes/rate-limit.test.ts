import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import type { Env } from "../../src/env";
import { call } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

const LIMIT = Number(env.LOW_RATE_LIMIT);
/** The real limiter with a quota of LIMIT, as wrangler.toml would configure it. */
const lowEnv: Env = { ...env, RATE_LIMITER: env.LOW_RATE_LIMITER, RATE_LIMIT_REQUESTS: env.LOW_RATE_LIMIT };

interface Answer {
  response: Response;
  error?: components["schemas"]["Problem"];
}

const get = (bindings: Env, claims: TokenClaims): Promise<Answer> =>
  api(claims, { bindings }).GET("/api/v1/activity-types");

/**
 * Sends requests until one is refused. Windows are fixed, so one window may end
 * part-way; 2 × LIMIT + 1 requests still overrun a window whichever way they fall.
 */
async function untilRefused(
  claims: TokenClaims,
): Promise<{ allowed: Response[]; refused: Answer | undefined }> {
  const allowed: Response[] = [];
  for (let i = 0; i < 2 * LIMIT + 1; i += 1) {
    const answer = await get(lowEnv, claims);
    if (answer.response.status === 429) return { allowed, refused: answer };
    allowed.push(answer.response);
  }
  return { allowed, refused: undefined };
}

describe("rate limiting per caller", () => {
  it("states the configured policy on every API response and claims no remaining count", async () => {
    const o = await testOrg();
    const { response } = await api(o.coordinator).GET("/api/v1/activity-types");
    expect(response.status).toBe(200);
    expect(response.headers.get("RateLimit-Policy")).toBe('"default";q=100;w=60');
    expect(response.headers.get("RateLimit")).toBeNull();
  });

  it("refuses a caller over its quota with 429, Retry-After and RateLimit headers", async () => {
    const o = await testOrg();
    const { allowed, refused } = await untilRefused(o.coordinator);
    expect(allowed.length).toBeGreaterThanOrEqual(1);
    for (const res of allowed) expect(res.status).toBe(200);
    expect(refused).toBeDefined();
    if (!refused) return;
    const { response, error } = refused;
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(error).toMatchObject({ status: 429, title: "Too Many Requests" });
    expect(response.headers.get("Retry-After")).toBe("60");
    expect(response.headers.get("RateLimit")).toBe('"default";r=0;t=60');
    expect(response.headers.get("RateLimit-Policy")).toBe(`"default";q=${LIMIT};w=60`);
    expect(response.headers.get("X-Request-Id")).toBeTruthy();
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("counts each caller on its own", async () => {
    const o = await testOrg();
    const { refused } = await untilRefused(o.coordinator);
    expect(refused?.response.status).toBe(429);
    expect((await get(lowEnv, o.otherCoordinator)).response.status).toBe(200);
  });

  it("lets requests through when the limiter itself fails", async () => {
    const o = await testOrg();
    const broken: Env = {
      ...env,
      RATE_LIMITER: {
        limit: async () => {
          throw new Error("limiter unavailable");
        },
      },
    };
    expect((await get(broken, o.coordinator)).response.status).toBe(200);
  });

  it("leaves /health unlimited", async () => {
    // A probe sends no token, which the typed client cannot leave out: sent raw.
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBeNull();
  });
});
