import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { count, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { attributions, idempotencyKeys } from "../../src/db/schema";
import worker from "../../src/index";
import { sha256Hex } from "../../src/lib/digest";
import { api } from "../helpers/client";
import { orgDb } from "../helpers/databases";
import { faultyWrites } from "../helpers/faults";
import { instrumentD1 } from "../helpers/instrumented-d1";
import { testOrg } from "../helpers/org";

const ATTRIBUTIONS = "/api/v1/activity-attributions";
const REGISTRATION: components["schemas"]["CreateAttribution"] = {
  activity_type_id: "one-on-one",
  activity_date: "2026-03-24T14:00:00Z",
  duration_minutes: 60,
  coordinator_id: "coord-007",
  mentor_id: "mentor-042",
};

type Problem = components["schemas"]["Problem"];

async function attributionCount(org: string): Promise<number> {
  const [row] = await (await orgDb(org))
    .select({ n: count() })
    .from(attributions)
    .where(eq(attributions.orgId, org));
  return row?.n ?? 0;
}

async function keyRows(org: string) {
  return (await orgDb(org)).select().from(idempotencyKeys).where(eq(idempotencyKeys.orgId, org)).all();
}

/** The typed header parameter every idempotent POST of the contract takes. */
const withKey = (key: string) => ({ header: { "idempotency-key": key } });

async function expectProblem(
  { response, error }: { response: Response; error?: Problem },
  status: number,
): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  expect(error?.status).toBe(status);
}

describe("Idempotency-Key on POST", () => {
  it("replays the first response with a marker, and creates nothing twice", async () => {
    const o = await testOrg();
    const coordinator = api(o.coordinator);
    // Read as text: the replay must be the first body byte for byte, not just equal JSON.
    const first = await coordinator.POST(ATTRIBUTIONS, {
      params: withKey("key-1"),
      body: REGISTRATION,
      parseAs: "text",
    });
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get("Idempotent-Replayed")).toBeNull();

    const retry = await coordinator.POST(ATTRIBUTIONS, {
      params: withKey("key-1"),
      body: REGISTRATION,
      parseAs: "text",
    });
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.response.headers.get("content-type")).toBe(first.response.headers.get("content-type"));
    expect(retry.data).toBe(first.data);
    expect(retry.response.headers.get("X-Request-Id")).not.toBe(first.response.headers.get("X-Request-Id"));
    expect(await attributionCount(o.org)).toBe(1);
  });

  it("replays the Location of a created activity log", async () => {
    const o = await testOrg();
    const mentor = api(o.mentor);
    const body = { activity_type: "check_in", description: "Call", occurred_at: "2026-03-10T10:00:00Z" };
    const first = await mentor.POST("/api/v1/activity-logs", { params: withKey("log-key"), body });
    const retry = await mentor.POST("/api/v1/activity-logs", { params: withKey("log-key"), body });
    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("Location")).toBe(first.response.headers.get("Location"));
    expect(retry.data).toEqual(first.data);
    const list = await mentor.GET("/api/v1/activity-logs");
    expect(list.data?.pagination.total).toBe(1);
  });

  it("treats a structured-field string and the bare key as the same key", async () => {
    const o = await testOrg();
    const coordinator = api(o.coordinator);
    const first = await coordinator.POST(ATTRIBUTIONS, { params: withKey('"sf-key"'), body: REGISTRATION });
    const retry = await coordinator.POST(ATTRIBUTIONS, { params: withKey("sf-key"), body: REGISTRATION });
    expect(first.response.status).toBe(201);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("answers 422 when the key is reused with another body, and changes nothing", async () => {
    const o = await testOrg();
    const coordinator = api(o.coordinator);
    await coordinator.POST(ATTRIBUTIONS, { params: withKey("key-2"), body: REGISTRATION });
    const other = await coordinator.POST(ATTRIBUTIONS, {
      params: withKey("key-2"),
      body: { ...REGISTRATION, mentor_id: "mentor-033" },
    });
    await expectProblem(other, 422);
    expect(await attributionCount(o.org)).toBe(1);
  });

  it("answers 422 when the key is reused on another path", async () => {
    const o = await testOrg();
    const coordinator = api(o.coordinator);
    await coordinator.POST(ATTRIBUTIONS, { params: withKey("key-3"), body: REGISTRATION });
    const { mentor_id: _single, ...activity } = REGISTRATION;
    const batch = await coordinator.POST("/api/v1/activity-attributions/batches", {
      params: withKey("key-3"),
      body: { ...activity, mentor_ids: ["mentor-033"] },
    });
    await expectProblem(batch, 422);
  });

  it("answers 409 while the first request with the key is still running", async () => {
    const o = await testOrg();
    const now = Date.now();
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    // The first request holds the key: its row has no response yet and a live lease.
    await o.db.insert(idempotencyKeys).values({
      orgId: o.org,
      callerId: o.coordinator.sub,
      key: "key-4",
      fingerprint: sha256Hex(`POST\n${ATTRIBUTIONS}\n${JSON.stringify(REGISTRATION)}`),
      createdAt: iso(now),
      lockedUntil: iso(now + 3_600_000),
      expiresAt: iso(now + 86_400_000),
    });
    const retry = await api(o.coordinator).POST(ATTRIBUTIONS, {
      params: withKey("key-4"),
      body: REGISTRATION,
    });
    await expectProblem(retry, 409);
    expect(await attributionCount(o.org)).toBe(0);
  });

  it("lets a retry take over a key whose first request died holding it", async () => {
    const o = await testOrg();
    const now = Date.now();
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    await o.db.insert(idempotencyKeys).values({
      orgId: o.org,
      callerId: o.coordinator.sub,
      key: "key-5",
      fingerprint: sha256Hex(`POST\n${ATTRIBUTIONS}\n${JSON.stringify(REGISTRATION)}`),
      createdAt: iso(now - 7_200_000),
      lockedUntil: iso(now - 3_600_000),
      expiresAt: iso(now + 86_400_000),
    });
    const retry = await api(o.coordinator).POST(ATTRIBUTIONS, {
      params: withKey("key-5"),
      body: REGISTRATION,
    });
    expect(retry.response.status).toBe(201);
    expect(await attributionCount(o.org)).toBe(1);
  });

  it("stores and replays a 4xx outcome", async () => {
    const o = await testOrg();
    const coordinator = api(o.coordinator);
    const bad = { ...REGISTRATION, activity_type_id: "juggling" };
    const first = await coordinator.POST(ATTRIBUTIONS, { params: withKey("key-6"), body: bad });
    await expectProblem(first, 400);
    const retry = await coordinator.POST(ATTRIBUTIONS, { params: withKey("key-6"), body: bad });
    await expectProblem(retry, 400);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("frees the key when the first request failed with a 5xx before writing, so the retry runs", async () => {
    const o = await testOrg();
    const failed = await api(o.coordinator, {
      bindings: faultyWrites("fail-before", o.database).bindings,
    }).POST(ATTRIBUTIONS, { params: withKey("key-7"), body: REGISTRATION });
    await expectProblem(failed, 500);
    expect(await keyRows(o.org)).toHaveLength(0);

    const retry = await api(o.coordinator).POST(ATTRIBUTIONS, {
      params: withKey("key-7"),
      body: REGISTRATION,
    });
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await attributionCount(o.org)).toBe(1);
  });

  it("answers the request's own 4xx outcome when the key cannot record it", async () => {
    const o = await testOrg();
    // A database (and every session opened on it) that refuses only the write recording an outcome
    // after the handler; a creating write stores its answer in its own batch instead.
    const failingStore = instrumentD1(o.d1, {
      statement: ({ sql }) => {
        if (/^update "idempotency_keys"/i.test(sql) && !/exists \(select 1/.test(sql)) {
          throw new Error("D1 unavailable");
        }
      },
    });
    const res = await api(o.coordinator, { bindings: { ...env, [o.database]: failingStore } }).POST(
      ATTRIBUTIONS,
      {
        params: withKey("key-8"),
        body: { ...REGISTRATION, activity_type_id: "juggling" },
      },
    );
    await expectProblem(res, 400);
    expect(await attributionCount(o.org)).toBe(0);
    const [held] = await keyRows(o.org);
    expect(held?.responseStatus).toBeNull();
  });

  it("keeps keys apart per caller", async () => {
    const o = await testOrg();
    const first = await api(o.coordinator).POST(ATTRIBUTIONS, {
      params: withKey("shared"),
      body: REGISTRATION,
    });
    const other = await api(o.otherCoordinator).POST(ATTRIBUTIONS, {
      params: withKey("shared"),
      body: { ...REGISTRATION, coordinator_id: "coord-119", mentor_id: "mentor-033" },
    });
    expect(first.response.status).toBe(201);
    expect(other.response.status).toBe(201);
    expect(other.response.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it.each([
    ["empty", ""],
    ["too long", "k".repeat(256)],
    ["not ASCII", "clé-1"],
    ["a control character", "a\tb"],
  ])("refuses a key that is %s with 400", async (_label, key) => {
    const o = await testOrg();
    const res = await api(o.coordinator).POST(ATTRIBUTIONS, { params: withKey(key), body: REGISTRATION });
    await expectProblem(res, 400);
    expect(await attributionCount(o.org)).toBe(0);
  });

  it("accepts a key of 255 characters", async () => {
    const o = await testOrg();
    const res = await api(o.coordinator).POST(ATTRIBUTIONS, {
      params: withKey("k".repeat(255)),
      body: REGISTRATION,
    });
    expect(res.response.status).toBe(201);
  });

  it("stores nothing for a request without the header", async () => {
    const o = await testOrg();
    const res = await api(o.coordinator).POST(ATTRIBUTIONS, { body: REGISTRATION });
    expect(res.response.status).toBe(201);
    expect(await keyRows(o.org)).toHaveLength(0);
  });

  it("deletes expired keys in the scheduled run and keeps live ones", async () => {
    const o = await testOrg();
    const row = (key: string, expiresAt: string) => ({
      orgId: o.org,
      callerId: o.coordinator.sub,
      key,
      fingerprint: "f",
      responseStatus: 201,
      responseHeaders: {},
      responseBody: "{}",
      createdAt: "2020-01-01T00:00:00Z",
      lockedUntil: "2020-01-01T00:01:00Z",
      expiresAt,
    });
    await o.db
      .insert(idempotencyKeys)
      .values([row("old", "2020-01-02T00:00:00Z"), row("live", "9999-01-01T00:00:00Z")]);
    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
    const left = await o.db
      .select({ key: idempotencyKeys.key })
      .from(idempotencyKeys)
      .where(eq(idempotencyKeys.orgId, o.org))
      .all();
    expect(left.map((r) => r.key)).toEqual(["live"]);
  });
});
