import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { attributions, idempotencyKeys } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { sha256Hex } from "../../src/http/digest";
import worker from "../../src/index";
import { call, json } from "../helpers/api";
import { signToken, type TokenClaims } from "../helpers/auth";
import { demoOrg } from "../helpers/org";

const ATTRIBUTIONS = "/api/v1/activity-attributions";
const REGISTRATION = {
  activity_type_id: "one-on-one",
  activity_date: "2026-03-24T14:00:00Z",
  duration_minutes: 60,
  coordinator_id: "coord-007",
  mentor_id: "mentor-042",
};

const db = () => createDb(env.DB);

async function attributionCount(org: string): Promise<number> {
  const [row] = await db().select({ n: count() }).from(attributions).where(eq(attributions.orgId, org));
  return row?.n ?? 0;
}

async function keyRows(org: string) {
  return db().select().from(idempotencyKeys).where(eq(idempotencyKeys.orgId, org)).all();
}

const withKey = (key: string) => ({ "Idempotency-Key": key });

async function expectProblem(res: Response, status: number): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect((await json(res)).status).toBe(status);
}

/** An audit namespace whose objects cannot be reached, so a system append answers 500. */
const unreachableAuditLog = {
  idFromName: (name: string) => env.AUDIT_LOG.idFromName(name),
  get: () => ({
    append: async () => {
      throw new Error("audit object unavailable");
    },
  }),
} as unknown as Env["AUDIT_LOG"];

async function postThrough(workerEnv: Env, claims: TokenClaims, path: string, body: unknown, key: string) {
  const ctx = createExecutionContext();
  const request = new Request(`https://api.test${path}`, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${await signToken(claims)}`,
      "Content-Type": "application/json",
      "Idempotency-Key": key,
    },
    body: JSON.stringify(body),
  });
  const response = await worker.fetch(request, workerEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("Idempotency-Key on POST", () => {
  it("replays the first response with a marker, and creates nothing twice", async () => {
    const o = await demoOrg();
    const first = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey("key-1"),
    });
    expect(first.status).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const firstBody = await first.text();

    const retry = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey("key-1"),
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(await retry.text()).toBe(firstBody);
    expect(retry.headers.get("X-Request-Id")).not.toBe(first.headers.get("X-Request-Id"));
    expect(await attributionCount(o.org)).toBe(1);
  });

  it("replays the Location of a created activity log", async () => {
    const o = await demoOrg();
    const mentor = o.as("mentor-042", "mentor");
    const body = { activity_type: "check_in", description: "Call", occurred_at: "2026-03-10T10:00:00Z" };
    const first = await call("POST", "/api/v1/activity-logs", {
      as: mentor,
      body,
      headers: withKey("log-key"),
    });
    const retry = await call("POST", "/api/v1/activity-logs", {
      as: mentor,
      body,
      headers: withKey("log-key"),
    });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Location")).toBe(first.headers.get("Location"));
    expect(await retry.json()).toEqual(await first.json());
    const list = await call("GET", "/api/v1/activity-logs", { as: mentor });
    expect((await json<{ pagination: { total: number } }>(list)).pagination.total).toBe(1);
  });

  it("treats a structured-field string and the bare key as the same key", async () => {
    const o = await demoOrg();
    const first = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey('"sf-key"'),
    });
    const retry = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey("sf-key"),
    });
    expect(first.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("answers 422 when the key is reused with another body, and changes nothing", async () => {
    const o = await demoOrg();
    await call("POST", ATTRIBUTIONS, { as: o.coordinator, body: REGISTRATION, headers: withKey("key-2") });
    const other = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: { ...REGISTRATION, mentor_id: "mentor-033" },
      headers: withKey("key-2"),
    });
    await expectProblem(other, 422);
    expect(await attributionCount(o.org)).toBe(1);
  });

  it("answers 422 when the key is reused on another path", async () => {
    const o = await demoOrg();
    await call("POST", ATTRIBUTIONS, { as: o.coordinator, body: REGISTRATION, headers: withKey("key-3") });
    const batch = await call("POST", `${ATTRIBUTIONS}/batches`, {
      as: o.coordinator,
      body: { ...REGISTRATION, mentor_id: undefined, mentor_ids: ["mentor-033"] },
      headers: withKey("key-3"),
    });
    await expectProblem(batch, 422);
  });

  it("answers 409 while the first request with the key is still running", async () => {
    const o = await demoOrg();
    const now = Date.now();
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    // The first request holds the key: its row has no response yet and a live lease.
    await db()
      .insert(idempotencyKeys)
      .values({
        orgId: o.org,
        callerId: "coord-007",
        key: "key-4",
        fingerprint: sha256Hex(`POST\n${ATTRIBUTIONS}\n${JSON.stringify(REGISTRATION)}`),
        createdAt: iso(now),
        lockedUntil: iso(now + 3_600_000),
        expiresAt: iso(now + 86_400_000),
      });
    const retry = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey("key-4"),
    });
    await expectProblem(retry, 409);
    expect(await attributionCount(o.org)).toBe(0);
  });

  it("lets a retry take over a key whose first request died holding it", async () => {
    const o = await demoOrg();
    const now = Date.now();
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    await db()
      .insert(idempotencyKeys)
      .values({
        orgId: o.org,
        callerId: "coord-007",
        key: "key-5",
        fingerprint: sha256Hex(`POST\n${ATTRIBUTIONS}\n${JSON.stringify(REGISTRATION)}`),
        createdAt: iso(now - 7_200_000),
        lockedUntil: iso(now - 3_600_000),
        expiresAt: iso(now + 86_400_000),
      });
    const retry = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey("key-5"),
    });
    expect(retry.status).toBe(201);
    expect(await attributionCount(o.org)).toBe(1);
  });

  it("stores and replays a 4xx outcome", async () => {
    const o = await demoOrg();
    const bad = { ...REGISTRATION, activity_type_id: "juggling" };
    const first = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: bad,
      headers: withKey("key-6"),
    });
    await expectProblem(first, 400);
    const retry = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: bad,
      headers: withKey("key-6"),
    });
    await expectProblem(retry, 400);
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("frees the key when the first request failed with a 5xx, so the retry runs", async () => {
    const o = await demoOrg();
    const system: TokenClaims = { sub: "svc-attribution", org: o.org, roles: ["system"] };
    const body = { action: "proxy_created", coordinator_id: "coord-007", mentor_id: "mentor-042" };
    const path = "/api/v1/proxy-audit-logs";
    const failed = await postThrough({ ...env, AUDIT_LOG: unreachableAuditLog }, system, path, body, "key-7");
    await expectProblem(failed, 500);
    expect(await keyRows(o.org)).toHaveLength(0);

    const retry = await postThrough(env, system, path, body, "key-7");
    expect(retry.status).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("answers the request's own outcome when its key cannot be recorded", async () => {
    const o = await demoOrg();
    // A database (and every session opened on it) that refuses only the write recording the response.
    const refuseRecording = <T extends D1Database | D1DatabaseSession>(db: T): T =>
      new Proxy(db, {
        get(target, property) {
          if (property === "prepare") {
            return (query: string) => {
              if (/^update "idempotency_keys"/i.test(query)) throw new Error("D1 unavailable");
              return target.prepare(query);
            };
          }
          if (property === "withSession" && "withSession" in target) {
            return (constraint?: string) => refuseRecording(target.withSession(constraint));
          }
          const value = Reflect.get(target, property);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    const failingStore = refuseRecording(env.DB);
    const res = await postThrough(
      { ...env, DB: failingStore },
      o.coordinator,
      ATTRIBUTIONS,
      REGISTRATION,
      "key-8",
    );
    expect(res.status).toBe(201);
    expect(await attributionCount(o.org)).toBe(1);
    const [held] = await keyRows(o.org);
    expect(held?.responseStatus).toBeNull();
  });

  it("keeps keys apart per caller", async () => {
    const o = await demoOrg();
    const first = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey("shared"),
    });
    const other = await call("POST", ATTRIBUTIONS, {
      as: o.otherCoordinator,
      body: { ...REGISTRATION, coordinator_id: "coord-119", mentor_id: "mentor-033" },
      headers: withKey("shared"),
    });
    expect(first.status).toBe(201);
    expect(other.status).toBe(201);
    expect(other.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it.each([
    ["empty", ""],
    ["too long", "k".repeat(256)],
    ["not ASCII", "clé-1"],
    ["a control character", "a\tb"],
  ])("refuses a key that is %s with 400", async (_label, key) => {
    const o = await demoOrg();
    const res = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey(key),
    });
    await expectProblem(res, 400);
    expect(await attributionCount(o.org)).toBe(0);
  });

  it("accepts a key of 255 characters", async () => {
    const o = await demoOrg();
    const res = await call("POST", ATTRIBUTIONS, {
      as: o.coordinator,
      body: REGISTRATION,
      headers: withKey("k".repeat(255)),
    });
    expect(res.status).toBe(201);
  });

  it("stores nothing for a request without the header", async () => {
    const o = await demoOrg();
    const res = await call("POST", ATTRIBUTIONS, { as: o.coordinator, body: REGISTRATION });
    expect(res.status).toBe(201);
    expect(await keyRows(o.org)).toHaveLength(0);
  });

  it("deletes expired keys in the scheduled run and keeps live ones", async () => {
    const o = await demoOrg();
    const row = (key: string, expiresAt: string) => ({
      orgId: o.org,
      callerId: "coord-007",
      key,
      fingerprint: "f",
      responseStatus: 201,
      responseHeaders: {},
      responseBody: "{}",
      createdAt: "2020-01-01T00:00:00Z",
      lockedUntil: "2020-01-01T00:01:00Z",
      expiresAt,
    });
    await db()
      .insert(idempotencyKeys)
      .values([row("old", "2020-01-02T00:00:00Z"), row("live", "9999-01-01T00:00:00Z")]);
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
    const left = await db()
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.orgId, o.org))
      .all();
    expect(left.map((r) => r.key)).toEqual(["live"]);
  });
});
