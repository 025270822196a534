import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { api } from "../helpers/client";
import { d1Of, orgRowCount, orgRows } from "../helpers/databases";
import { withAuditDown } from "../helpers/doubles";
import { type TestOrg, testOrg } from "../helpers/org";
import { outboxSize } from "../helpers/outbox";
import { activityLogOf, attributionBody, attributionOf, batchBody } from "../helpers/world";

const drain = (bindings: Env = env) =>
  worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), bindings);

/** Something in every table: logs, attributions, a batch, a remembered key, a waiting audit event. */
async function busy(o: TestOrg): Promise<void> {
  await activityLogOf(o, o.mentor.sub);
  await attributionOf(o, o.coordinator.sub, o.mentor.sub);
  const bulk = await api(o.coordinator, { headers: { "Idempotency-Key": `bulk-${o.org}` } }).POST(
    "/api/v1/activity-attributions/batches",
    { body: batchBody(o, o.coordinator.sub, true) },
  );
  expect(bulk.response.status).toBe(201);
  const late = await api(o.coordinator, { bindings: withAuditDown() }).POST("/api/v1/activity-attributions", {
    body: attributionBody(o.coordinator.sub, o.otherMentor.sub),
  });
  expect(late.response.status).toBe(201);
}

describe("two organisations on two databases", () => {
  it("never see each other's rows, and each database holds only its own organisation's", async () => {
    const one = await testOrg("one", { database: "DB_1" });
    const two = await testOrg("two", { database: "DB_2" });
    await busy(one);
    await busy(two);

    for (const [o, other] of [
      [one, two],
      [two, one],
    ] as const) {
      const home = await orgRows(o.d1, o.org);
      for (const [table, rows] of Object.entries(home))
        expect(rows.length, `${o.org} ${table}`).toBeGreaterThan(0);
      expect(await orgRowCount(other.d1, o.org)).toBe(0);
      // What one organisation's callers are shown comes from its own database only.
      const logs = await api(o.admin).GET("/api/v1/activity-logs", { params: { query: { limit: 100 } } });
      const shown = (logs.data?.data.map((log) => log.log_id) ?? []).sort();
      expect(shown).toEqual((home.activities ?? []).map((row) => String(row[1])).sort());
      // Self-entered IDs are random, so the other organisation's can be told apart: none is shown.
      const theirs = (await orgRows(other.d1, other.org)).activities ?? [];
      for (const row of theirs.filter((r) => String(r[1]).startsWith("log_"))) {
        expect(shown).not.toContain(String(row[1]));
      }
      const attributions = await api(o.admin).GET("/api/v1/activity-attributions");
      expect(attributions.data?.pagination.total).toBe(home.attributions?.length);
    }
    // IDs are numbered per organisation, so both have attr-…-001: each reaches only its own.
    const [mine] = (await orgRows(one.d1, one.org)).attributions ?? [];
    const id = String(mine?.[1]);
    const fromOne = await api(one.admin).GET("/api/v1/activity-attributions/{id}", {
      params: { path: { id } },
    });
    const fromTwo = await api(two.admin).GET("/api/v1/activity-attributions/{id}", {
      params: { path: { id } },
    });
    expect(fromOne.data?.attributed_to_mentor_id).toBe(one.mentor.sub);
    expect(fromTwo.data?.attributed_to_mentor_id).toBe(two.mentor.sub);
    expect(fromOne.data?.created_at).not.toBeUndefined();
  });
});

describe("the scheduled work", () => {
  it("drains the audit outbox and forgets expired idempotency keys in every database", async () => {
    const one = await testOrg("cron-one", { database: "DB_1" });
    const two = await testOrg("cron-two", { database: "DB_2" });
    for (const o of [one, two]) {
      const late = await api(o.coordinator, { bindings: withAuditDown() }).POST(
        "/api/v1/activity-attributions",
        {
          body: attributionBody(o.coordinator.sub, o.mentor.sub),
        },
      );
      expect(late.response.status).toBe(201);
      expect(await outboxSize(o.db, o.org)).toBe(1);
      await o.d1
        .prepare(
          `insert into idempotency_keys (org_id, caller_id, key, fingerprint, created_at, locked_until, expires_at)
           values (?, 'coord-007', 'expired', 'f', '2020-01-01T00:00:00Z', '2020-01-01T00:01:00Z', '2020-01-02T00:00:00Z')`,
        )
        .bind(o.org)
        .run();
    }
    await drain();
    for (const o of [one, two]) {
      expect(await outboxSize(o.db, o.org), o.database).toBe(0);
      const trail = await api(o.compliance).GET("/api/v1/proxy-audit-logs");
      expect(trail.data?.pagination.total, o.database).toBe(1);
      expect((await orgRows(o.d1, o.org)).idempotency_keys, o.database).toEqual([]);
    }
  });

  it("leaves a moving organisation's rows alone, and tends the others of its database", async () => {
    const moving = await testOrg("cron-moving", { database: "DB_2" });
    const neighbour = await testOrg("cron-neighbour", { database: "DB_2" });
    for (const o of [moving, neighbour]) {
      await api(o.coordinator, { bindings: withAuditDown() }).POST("/api/v1/activity-attributions", {
        body: attributionBody(o.coordinator.sub, o.mentor.sub),
      });
    }
    await moving.d1
      .prepare(
        "insert into org_freezes (org_id, state, other_database, since) values (?, 'frozen', 'DB_1', ?)",
      )
      .bind(moving.org, "2026-01-01T00:00:00Z")
      .run();
    await drain();
    expect(await outboxSize(moving.db, moving.org)).toBe(1);
    expect(await outboxSize(neighbour.db, neighbour.org)).toBe(0);
  });

  it("tends the other databases when one of them fails", async () => {
    const o = await testOrg("cron-survivor", { database: "DB_2" });
    await api(o.coordinator, { bindings: withAuditDown() }).POST("/api/v1/activity-attributions", {
      body: attributionBody(o.coordinator.sub, o.mentor.sub),
    });
    const broken = {
      ...env,
      DB_1: new Proxy(env.DB_1, {
        get: (target, prop) => {
          if (prop === "prepare") {
            return () => {
              throw new Error("DB_1 unavailable");
            };
          }
          const value: unknown = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    };
    await drain(broken);
    expect(await outboxSize(o.db, o.org)).toBe(0);
  });
});

describe("an organisation in the EU", () => {
  it("lives on the EU database with its audit log, and is reached like any other", async () => {
    const o = await testOrg("eu", { database: "DB_3" });
    expect(o.d1).toBe(d1Of("DB_3"));
    await attributionOf(o, o.coordinator.sub, o.mentor.sub);
    expect(await orgRowCount(env.DB_1, o.org)).toBe(0);
    expect(await orgRowCount(env.DB_2, o.org)).toBe(0);
    expect((await orgRows(env.DB_3, o.org)).attributions).toHaveLength(1);
    const trail = await api(o.compliance).GET("/api/v1/proxy-audit-logs");
    expect(trail.data?.pagination.total).toBe(1);
  });
});
