import { env } from "cloudflare:workers";
import { SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../clients/typescript/index";
import type { Env } from "../../src/env";
import { clientKey } from "../../src/http/rate-limit";
import { signToken, TEST_SECRET, type TokenClaims } from "../helpers/auth";
import { api, workerFetch } from "../helpers/client";
import { addMember } from "../helpers/members";
import { testOrg } from "../helpers/org";

type Problem = components["schemas"]["Problem"];

/** The development JWT_SECRET `npm run dev` embeds (scripts/dev/config.ts); public by design. */
const DEV_SECRET = "local-dev-secret-change-me-0123456789abcdef";
const NOW = () => Math.floor(Date.now() / 1000);
const LOGS = "/api/v1/activity-logs";

/** A raw request into the Worker with bindings of the test's choosing. */
async function send(
  bindings: Env,
  path: string,
  init: {
    method?: string;
    token?: string;
    origin?: string;
    headers?: Record<string, string>;
    body?: unknown;
  } = {},
  base = "https://api.test",
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
  if (init.origin) headers.set("Origin", init.origin);
  let body: string | undefined;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers.set("Content-Type", "application/json");
  }
  return workerFetch(bindings)(
    new Request(`${base}${path}`, { method: init.method ?? "GET", headers, body }),
  );
}

/** A token with exactly the times given, signed with the test secret unless told otherwise. */
async function tokenWith(
  claims: TokenClaims,
  times: { exp: number; iat?: number },
  secret = TEST_SECRET,
): Promise<string> {
  let jwt = new SignJWT({ org: claims.org, roles: claims.roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.sub)
    .setExpirationTime(times.exp);
  if (times.iat !== undefined) jwt = jwt.setIssuedAt(times.iat);
  return jwt.sign(new TextEncoder().encode(secret));
}

async function expectProblem(res: Response, status: number): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = (await res.json()) as Problem;
  expect(body.status).toBe(status);
  return body;
}

afterEach(() => vi.restoreAllMocks());

describe("token lifetime", () => {
  it.each([
    ["expires a hundred years ahead", { exp: NOW() + 100 * 365 * 86_400 }],
    ["expires at 1e308", { exp: 1e308 }],
    ["was issued two minutes in the future", { iat: NOW() + 120, exp: NOW() + 3600 }],
    ["was issued for more than a day (exp − iat)", { iat: NOW() - 2 * 86_400, exp: NOW() + 3600 }],
  ])("refuses a token that %s with 401", async (_case, times) => {
    const o = await testOrg();
    const res = await send(env, LOGS, { token: await tokenWith(o.mentor, times) });
    const problem = await expectProblem(res, 401);
    expect(res.headers.get("WWW-Authenticate")).toMatch(/^Bearer/);
    expect(problem.detail).toMatch(/iat|lives longer|exp/);
  });

  it("accepts a token of exactly the longest lifetime, and one issued within the clock skew", async () => {
    const o = await testOrg();
    const now = NOW();
    for (const times of [
      { iat: now, exp: now + 86_400 },
      { iat: now + 30, exp: now + 3600 },
    ]) {
      expect((await send(env, LOGS, { token: await tokenWith(o.mentor, times) })).status).toBe(200);
    }
  });

  it("takes the longest lifetime from JWT_MAX_TTL_SECONDS", async () => {
    const o = await testOrg();
    const short = { ...env, JWT_MAX_TTL_SECONDS: "600" };
    await expectProblem(
      await send(short, LOGS, { token: await tokenWith(o.mentor, { exp: NOW() + 3600 }) }),
      401,
    );
    expect((await send(short, LOGS, { token: await tokenWith(o.mentor, { exp: NOW() + 600 }) })).status).toBe(
      200,
    );
  });
});

describe("configuration that fails closed", () => {
  it.each([
    ["JWKS_URL and JWT_SECRET both set", { JWKS_URL: "https://idp.example/jwks.json" }, /both set/],
    [
      "JWKS_URL without JWT_ISSUER and JWT_AUDIENCE",
      { JWT_SECRET: "", JWKS_URL: "https://idp.example/jwks.json" },
      /JWT_ISSUER is not/,
    ],
    ["neither JWKS_URL nor JWT_SECRET", { JWT_SECRET: "" }, /Neither/],
    ["a JWT_MAX_TTL_SECONDS that is not a number", { JWT_MAX_TTL_SECONDS: "a day" }, /JWT_MAX_TTL_SECONDS/],
    ["a CORS origin with a path", { CORS_ORIGINS: "https://console.example/app" }, /CORS_ORIGINS/],
  ])("answers 503 problem+json on /api/v1 and logs why with %s", async (_case, vars, logged) => {
    const o = await testOrg();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const bindings: Env = { ...env, ...vars };
    const res = await send(bindings, LOGS, { token: await signToken(o.mentor) });
    const problem = await expectProblem(res, 503);
    expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
    // The client learns that the deployment is misconfigured, not how.
    expect(problem.detail).not.toMatch(/JWT|JWKS|CORS/);
    const lines = errors.mock.calls.map(([line]) => String(line));
    expect(lines.some((line) => logged.test(line) && line.includes('"level":"error"'))).toBe(true);
    // What does not depend on the configuration still answers.
    expect((await send(bindings, "/health")).status).toBe(200);
  });
});

describe("the development JWT_SECRET", () => {
  const devBindings = (): Env => ({ ...env, JWT_SECRET: DEV_SECRET });

  it("is refused with 503 on a host that is not this machine", async () => {
    const o = await testOrg();
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const token = await signToken(o.admin, DEV_SECRET);
    for (const base of ["https://api.example.org", "http://192.168.1.20:8787", "http://127.example.com"]) {
      const problem = await expectProblem(await send(devBindings(), LOGS, { token }, base), 503);
      expect(problem.detail).toMatch(/development JWT_SECRET/);
    }
    expect(errors.mock.calls.some(([line]) => String(line).includes("development JWT_SECRET refused"))).toBe(
      true,
    );
  });

  it.each(["http://localhost:8787", "http://127.0.0.1:8787", "http://127.1.2.3", "http://[::1]:8787"])(
    "is accepted on the loopback host %s",
    async (base) => {
      const o = await testOrg();
      const res = await send(devBindings(), LOGS, { token: await signToken(o.admin, DEV_SECRET) }, base);
      expect(res.status).toBe(200);
    },
  );
});

describe("CORS", () => {
  const CONSOLE = "https://console.example";
  const withCors = (): Env => ({ ...env, CORS_ORIGINS: `${CONSOLE}, https://dashboard.example` });
  const corsHeaders = (res: Response) =>
    [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));

  it("answers an allowed origin's preflight before authentication, with the API's headers and no credentials", async () => {
    const res = await send(withCors(), `${LOGS}/log_0123456789abcdef`, {
      method: "OPTIONS",
      origin: CONSOLE,
      headers: {
        "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization, content-type, if-match, idempotency-key",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(CONSOLE);
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("PUT");
    const allowed = (res.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase().split(",");
    for (const header of [
      "authorization",
      "content-type",
      "idempotency-key",
      "if-match",
      "if-none-match",
      "x-d1-bookmark",
      "x-request-id",
    ]) {
      expect(allowed).toContain(header);
    }
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBeNull();
    expect(res.headers.get("Access-Control-Max-Age")).toMatch(/^\d+$/);
  });

  it("lets an allowed origin read the API's headers on an actual request", async () => {
    const o = await testOrg();
    const res = await send(withCors(), LOGS, { origin: CONSOLE, token: await signToken(o.mentor) });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(CONSOLE);
    expect(res.headers.get("Vary")).toMatch(/Origin/);
    const exposed = (res.headers.get("Access-Control-Expose-Headers") ?? "").split(",");
    for (const header of [
      "ETag",
      "Location",
      "X-Request-Id",
      "X-D1-Bookmark",
      "RateLimit-Policy",
      "RateLimit",
      "Retry-After",
      "Idempotent-Replayed",
    ]) {
      expect(exposed).toContain(header);
    }
  });

  it("gives an origin it does not list no CORS headers at all, preflight or not", async () => {
    const o = await testOrg();
    const preflight = await send(withCors(), LOGS, {
      method: "OPTIONS",
      origin: "https://evil.example",
      headers: { "Access-Control-Request-Method": "GET" },
    });
    expect(corsHeaders(preflight)).toEqual([]);
    expect(preflight.status).toBe(401);
    const actual = await send(withCors(), LOGS, {
      origin: "https://evil.example",
      token: await signToken(o.mentor),
    });
    expect(actual.status).toBe(200);
    expect(corsHeaders(actual)).toEqual([]);
  });

  it("sends no CORS headers when CORS_ORIGINS is empty", async () => {
    const preflight = await send(env, LOGS, {
      method: "OPTIONS",
      origin: CONSOLE,
      headers: { "Access-Control-Request-Method": "GET" },
    });
    expect(corsHeaders(preflight)).toEqual([]);
  });
});

describe("Cache-Control", () => {
  it("lets the device keep a successful GET but revalidate it, and keeps nothing else", async () => {
    const o = await testOrg();
    const mentor = api(o.mentor);
    const created = await mentor.POST(LOGS, {
      body: { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-24T14:00:00Z" },
    });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get("Cache-Control")).toBe("no-store");
    const id = created.data?.log_id ?? "";

    const read = await mentor.GET("/api/v1/activity-logs/{id}", { params: { path: { id } } });
    expect(read.response.headers.get("Cache-Control")).toBe("private, no-cache");
    const tag = read.response.headers.get("ETag") ?? "";
    const notModified = await mentor.GET("/api/v1/activity-logs/{id}", {
      params: { path: { id }, header: { "if-none-match": tag } },
    });
    expect(notModified.response.status).toBe(304);
    expect(notModified.response.headers.get("Cache-Control")).toBe("private, no-cache");
    expect((await mentor.GET(LOGS)).response.headers.get("Cache-Control")).toBe("private, no-cache");

    const missing = await mentor.GET("/api/v1/activity-logs/{id}", {
      params: { path: { id: "log_nothing" } },
    });
    expect(missing.response.status).toBe(404);
    expect(missing.response.headers.get("Cache-Control")).toBe("no-store");
    const badQuery = await mentor.GET(LOGS, { params: { query: { limit: 0 } } });
    expect(badQuery.response.status).toBe(400);
    expect(badQuery.response.headers.get("Cache-Control")).toBe("no-store");
    const anonymous = await send(env, LOGS);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("Cache-Control")).toBe("no-store");
    const removed = await mentor.DELETE("/api/v1/activity-logs/{id}", { params: { path: { id } } });
    expect(removed.response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("keeps nothing of a refused media type (415) or an oversized body (413) either", async () => {
    const o = await testOrg();
    const token = await signToken(o.admin);
    const asText = await workerFetch(env)(
      new Request(`https://api.test${LOGS}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain" },
        body: "check-in",
      }),
    );
    await expectProblem(asText, 415);
    expect(asText.headers.get("Cache-Control")).toBe("no-store");
    const oversized = await send(env, LOGS, {
      method: "POST",
      token,
      body: { description: "x".repeat(70_000) },
    });
    await expectProblem(oversized, 413);
    expect(oversized.headers.get("Cache-Control")).toBe("no-store");
  });
});

describe("a validation problem with many errors", () => {
  it("lists at most 20 and says it cut the list, and writes nothing", async () => {
    const o = await testOrg();
    const body: Record<string, unknown> = {
      activity_type: "check_in",
      description: "Check-in",
      occurred_at: "2026-03-24T14:00:00Z",
    };
    for (let i = 0; i < 6000; i += 1) body[`k${i}`] = 1;
    const raw = JSON.stringify(body);
    expect(raw.length).toBeLessThanOrEqual(64 * 1024);
    const res = await send(env, LOGS, { method: "POST", token: await signToken(o.mentor), body });
    const text = await res.clone().text();
    const problem = await expectProblem(res, 400);
    expect(problem.errors).toHaveLength(20);
    expect(problem.errors_truncated).toBe(true);
    expect(text.length).toBeLessThan(4096);
    expect((await api(o.mentor).GET(LOGS)).data?.pagination.total).toBe(0);
  });

  it("says nothing of truncation when the list is whole", async () => {
    const o = await testOrg();
    const problem = await expectProblem(
      await send(env, LOGS, { method: "POST", token: await signToken(o.mentor), body: { extra: 1 } }),
      400,
    );
    expect((problem.errors ?? []).length).toBeLessThanOrEqual(20);
    expect(problem.errors_truncated).toBeUndefined();
  });
});

describe("another mentor's activity log", () => {
  it("answers 404 to a mentor, as for one that does not exist, on read, change and delete, and changes nothing", async () => {
    const o = await testOrg();
    const theirs = await api(o.otherMentor).POST(LOGS, {
      body: { activity_type: "check_in", description: "Theirs", occurred_at: "2026-03-24T14:00:00Z" },
    });
    const id = theirs.data?.log_id ?? "";
    const mentor = api(o.mentor);
    const path = { params: { path: { id } } };
    const absent = { params: { path: { id: "log_ffffffffffffffff" } } };

    const read = await mentor.GET("/api/v1/activity-logs/{id}", path);
    const readMissing = await mentor.GET("/api/v1/activity-logs/{id}", absent);
    expect([read.response.status, readMissing.response.status]).toEqual([404, 404]);
    expect(read.error?.title).toBe(readMissing.error?.title);
    const changed = await mentor.PUT("/api/v1/activity-logs/{id}", {
      ...path,
      body: { description: "Mine now" },
    });
    expect(changed.response.status).toBe(404);
    const changedWithTag = await mentor.PUT("/api/v1/activity-logs/{id}", {
      params: { path: { id }, header: { "if-match": "*" } },
      body: { description: "Mine now" },
    });
    expect(changedWithTag.response.status).toBe(404);
    expect((await mentor.DELETE("/api/v1/activity-logs/{id}", path)).response.status).toBe(404);

    const still = await api(o.otherMentor).GET("/api/v1/activity-logs/{id}", path);
    expect(still.data?.description).toBe("Theirs");
  });
});

describe("a bulk registration in which every mentor would be skipped", () => {
  const batch = (mentorIds: string[], confirm = false) => ({
    activity_type_id: "workshop",
    activity_date: "2026-03-26T09:00:00Z",
    coordinator_id: "coord-007",
    mentor_ids: mentorIds,
    confirm,
  });

  async function auditTotal(o: Awaited<ReturnType<typeof testOrg>>): Promise<number> {
    const { data } = await api(o.admin).GET("/api/v1/proxy-audit-logs");
    return data?.pagination.total ?? -1;
  }

  it.each([false, true])(
    "is 422 with each mentor's reason at submission (confirm: %s) and records nothing",
    async (confirm) => {
      const o = await testOrg();
      const coordinator = api(o.coordinator);
      const res = await coordinator.POST("/api/v1/activity-attributions/batches", {
        body: batch(["mentor-nobody", "mentor-999", "coord-119"], confirm),
      });
      expect(res.response.status).toBe(422);
      const problem = res.error as Problem & { items?: { mentor_id: string; reason: string }[] };
      expect(problem.items).toEqual([
        { mentor_id: "mentor-nobody", status: "skipped", reason: "unknown_mentor" },
        { mentor_id: "mentor-999", status: "skipped", reason: "inactive_mentor" },
        { mentor_id: "coord-119", status: "skipped", reason: "unknown_mentor" },
      ]);
      expect(problem.errors?.map((e) => e.path)).toEqual(["mentor_ids.0", "mentor_ids.1", "mentor_ids.2"]);
      expect(await auditTotal(o)).toBe(0);
      // No batch ID was taken: the next batch is the day's first.
      const next = await coordinator.POST("/api/v1/activity-attributions/batches", {
        body: batch(["mentor-042"]),
      });
      expect(next.data?.batch_id).toMatch(/-001$/);
    },
  );

  it("is 422 at confirmation when every mentor became skippable since the preview, and records nothing", async () => {
    const o = await testOrg();
    await addMember(o.org, "mentor-leaving", ["mentor"], { name: "Leaving" });
    const coordinator = api(o.coordinator);
    const submitted = await coordinator.POST("/api/v1/activity-attributions/batches", {
      body: batch(["mentor-leaving"]),
    });
    expect(submitted.response.status).toBe(201);
    const batchId = submitted.data?.batch_id ?? "";
    await addMember(o.org, "mentor-leaving", ["mentor"], { name: "Leaving", active: false });
    const before = await auditTotal(o);

    const confirmed = await coordinator.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", {
      params: { path: { batch_id: batchId } },
    });
    expect(confirmed.response.status).toBe(422);
    expect((confirmed.error as { items?: unknown }).items).toEqual([
      { mentor_id: "mentor-leaving", status: "skipped", reason: "inactive_mentor" },
    ]);
    expect(await auditTotal(o)).toBe(before);
    const attributions = await api(o.admin).GET("/api/v1/activity-attributions");
    expect(attributions.data?.pagination.total).toBe(0);

    // Back in service, the same batch confirms: it was left pending and untouched.
    await addMember(o.org, "mentor-leaving", ["mentor"], { name: "Leaving" });
    const again = await coordinator.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", {
      params: { path: { batch_id: batchId } },
    });
    expect(again.response.status).toBe(200);
    expect(again.data?.attributions).toHaveLength(1);
  });
});

describe("requests without a valid token", () => {
  const limited = (): Env => ({
    ...env,
    IP_RATE_LIMITER: env.LOW_RATE_LIMITER,
    IP_RATE_LIMIT_REQUESTS: env.LOW_RATE_LIMIT,
  });
  const quota = Number(env.LOW_RATE_LIMIT);

  it("are limited per client IP: 401 within the quota, then 429 with Retry-After", async () => {
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const from = { "CF-Connecting-IP": ip };
    for (let i = 0; i < quota; i += 1) {
      await expectProblem(await send(limited(), LOGS, { headers: from, token: "not.a.token" }), 401);
    }
    const over = await send(limited(), LOGS, { headers: from });
    await expectProblem(over, 429);
    expect(over.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(over.headers.get("RateLimit")).toMatch(/^"anonymous";r=0;t=\d+$/);
  });

  it("count an IPv6 client by its /64, whichever address in it it sends from", async () => {
    const prefix = `2001:db8:${(Math.floor(Math.random() * 0xfff0) + 1).toString(16)}:1`;
    const statuses: number[] = [];
    for (let i = 1; i <= quota + 1; i += 1) {
      const from = { "CF-Connecting-IP": `${prefix}:${i.toString(16)}::${(i * 7).toString(16)}` };
      statuses.push((await send(limited(), LOGS, { headers: from, token: "not.a.token" })).status);
    }
    expect(statuses).toEqual([...Array(quota).fill(401), 429]);
    // Another /64 has its own quota.
    const neighbour = await send(limited(), LOGS, {
      headers: { "CF-Connecting-IP": `${prefix.slice(0, -1)}2::1` },
      token: "not.a.token",
    });
    expect(neighbour.status).toBe(401);
    expect(
      ["2001:db8::1", "2001:DB8:0:0:ffff::1", "::ffff:192.0.2.7", "192.0.2.7", " ", undefined].map(clientKey),
    ).toEqual([
      "ip6:2001:db8:0:0::/64",
      "ip6:2001:db8:0:0::/64",
      "ip:192.0.2.7",
      "ip:192.0.2.7",
      "ip:unknown",
      "ip:unknown",
    ]);
  });

  it("do not count against valid callers from the same address, nor against other addresses", async () => {
    const o = await testOrg();
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    for (let i = 0; i <= quota; i += 1) await send(limited(), LOGS, { headers: { "CF-Connecting-IP": ip } });
    const valid = await send(limited(), LOGS, {
      headers: { "CF-Connecting-IP": ip },
      token: await signToken(o.mentor),
    });
    expect(valid.status).toBe(200);
    const elsewhere = await send(limited(), LOGS, { headers: { "CF-Connecting-IP": `${ip}0` } });
    expect(elsewhere.status).toBe(401);
    expect((await send(limited(), "/health", { headers: { "CF-Connecting-IP": ip } })).status).toBe(200);
    expect((await send(limited(), "/openapi.json", { headers: { "CF-Connecting-IP": ip } })).status).toBe(
      200,
    );
  });
});
