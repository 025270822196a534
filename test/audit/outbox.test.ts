import { createScheduledController, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { auditLogOf } from "../../src/audit/client";
import { auditOutbox } from "../../src/db/schema";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { withAuditDown } from "../helpers/doubles";
import { testOrg } from "../helpers/org";
import { outboxSize } from "../helpers/outbox";

/**
 * Registers an attribution through the Worker with `bindings`, waiting for the work it defers,
 * so the outbox is settled when the answer comes back.
 */
function registerThrough(bindings: Env, claims: TokenClaims, mentorId: string) {
  return api(claims, { bindings }).POST("/api/v1/activity-attributions", {
    body: {
      activity_type_id: "one-on-one",
      activity_date: "2026-03-24T14:00:00Z",
      duration_minutes: 60,
      coordinator_id: "coord-007",
      mentor_id: mentorId,
    },
  });
}

async function drain(): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
}

const entriesOf = async (org: string) =>
  (await auditLogOf(env.AUDIT_LOG, org).list({ limit: 100, offset: 0 })).entries.filter(
    (e) => e.action === "proxy_created",
  );

describe("the audit outbox", () => {
  it("clears the outbox row once the audit object has the event", async () => {
    const o = await testOrg();
    const res = await registerThrough(env, o.coordinator, "mentor-042");
    expect(res.response.status).toBe(201);
    expect(await outboxSize(o.db, o.org)).toBe(0);
    expect(await entriesOf(o.org)).toHaveLength(1);
  });

  it("keeps the event when the audit object fails, answers 2xx, and the scheduled drain appends it exactly once", async () => {
    const o = await testOrg();
    const res = await registerThrough(withAuditDown(), o.coordinator, "mentor-042");
    expect(res.response.status).toBe(201);
    const created = res.data;
    if (!created) throw new Error("the registration answered no attribution");
    const db = o.db;
    expect(await outboxSize(db, o.org)).toBe(1);
    expect(await entriesOf(o.org)).toHaveLength(0);

    await drain();
    expect(await outboxSize(db, o.org)).toBe(0);
    const entries = await entriesOf(o.org);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      attribution_id: created.attribution_id,
      actor_id: "coord-007",
      mentor_name: "Sam Rivera",
    });

    await drain();
    expect(await entriesOf(o.org)).toHaveLength(1);
  });

  it("never appends an event twice when a delivered row is sent again", async () => {
    const o = await testOrg();
    const res = await registerThrough(withAuditDown(), o.coordinator, "mentor-033");
    expect(res.response.status).toBe(201);
    const db = o.db;
    const [row] = await db
      .select()
      .from(auditOutbox)
      .all()
      .then((rows) => rows.filter((r) => r.orgId === o.org));
    expect(row).toBeDefined();
    await drain();
    // As if the first drain's clean-up had been lost: the same event is in the outbox again.
    if (row) await db.insert(auditOutbox).values(row);
    expect(await outboxSize(db, o.org)).toBe(1);
    await drain();
    expect(await outboxSize(db, o.org)).toBe(0);
    expect(await entriesOf(o.org)).toHaveLength(1);
  });
});

describe("draining the outbox", () => {
  it("delivers the other events when the audit object refuses one of them", async () => {
    const o = await testOrg();
    const down = withAuditDown();
    expect((await registerThrough(down, o.coordinator, "mentor-042")).response.status).toBe(201);
    expect((await registerThrough(down, o.coordinator, "mentor-033")).response.status).toBe(201);
    const db = o.db;
    const rows = (await db.select().from(auditOutbox).all()).filter((r) => r.orgId === o.org);
    expect(rows).toHaveLength(2);
    const [bad] = rows;
    if (!bad) throw new Error("setup: no outbox row");
    // An event the object will never accept (an action name outside its rule).
    await db
      .update(auditOutbox)
      .set({ payload: JSON.stringify({ ...JSON.parse(bad.payload), action: "Not-An-Action" }) })
      .where(eq(auditOutbox.eventId, bad.eventId));

    await drain();
    expect(await entriesOf(o.org)).toHaveLength(1);
    const left = (await db.select().from(auditOutbox).all()).filter((r) => r.orgId === o.org);
    expect(left.map((r) => [r.eventId, r.attempts])).toEqual([[bad.eventId, 1]]);
    expect(left[0]?.lastError).toMatch(/action/);
  });
});

describe("the drain across organisations", () => {
  afterEach(() => vi.restoreAllMocks());

  let serial = 0;
  const registration = (mentorId: string) => {
    serial += 1;
    const at = new Date(Date.UTC(2026, 2, 2) + serial * 60_000).toISOString().slice(0, 19);
    return {
      activity_type_id: "one-on-one",
      activity_date: `${at}Z`,
      duration_minutes: 60,
      coordinator_id: "coord-007",
      mentor_id: mentorId,
    };
  };

  it("is not held up by an organisation whose log refuses appends, however many of its events wait", async () => {
    const stuck = await testOrg("stuck");
    const other = await testOrg("other", { database: stuck.database });
    // The stuck organisation's log stops trusting its tree (SPEC §9): it refuses appends and its
    // events wait in the outbox, 501 of them here, older than anyone else's.
    const first = await api(stuck.coordinator).POST("/api/v1/activity-attributions", {
      body: registration("mentor-042"),
    });
    expect(first.response.status).toBe(201);
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(stuck.org));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("DELETE FROM entries WHERE seq > 0");
    });
    const refused = await api(stuck.coordinator).POST("/api/v1/activity-attributions", {
      body: registration("mentor-033"),
    });
    expect(refused.response.status).toBe(201);
    const [template] = await stuck.db
      .select()
      .from(auditOutbox)
      .where(eq(auditOutbox.orgId, stuck.org))
      .all();
    if (!template) throw new Error("the refused event is not in the outbox");
    const base = Date.parse("2026-01-01T00:00:00Z");
    const backlog = Array.from({ length: 500 }, (_, i) => {
      const eventId = `backlog-${String(i).padStart(4, "0")}`;
      const at = `${new Date(base + i * 1000).toISOString().slice(0, 19)}Z`;
      return {
        ...template,
        eventId,
        createdAt: at,
        payload: JSON.stringify({ ...JSON.parse(template.payload), event_id: eventId }),
      };
    });
    for (let i = 0; i < backlog.length; i += 10)
      await stuck.db.insert(auditOutbox).values(backlog.slice(i, i + 10));
    expect(await outboxSize(stuck.db, stuck.org)).toBe(501);

    // Another organisation on the same database, whose first delivery failed.
    const waiting = await registerThrough(withAuditDown(), other.coordinator, "mentor-042");
    expect(waiting.response.status).toBe(201);
    expect(await outboxSize(other.db, other.org)).toBe(1);

    await drain();
    expect(await outboxSize(other.db, other.org)).toBe(0);
    expect(await entriesOf(other.org)).toHaveLength(1);
    // The stuck organisation's events all still wait, none lost.
    expect(await outboxSize(stuck.db, stuck.org)).toBe(501);
  });

  it("appends an organisation's events in the order they were written, not by their random IDs", async () => {
    const o = await testOrg("bulk-order");
    // Each new ID sorts before the one made before it: the order random IDs give about half the time.
    let made = 0;
    vi.spyOn(crypto, "randomUUID").mockImplementation(() => {
      made += 1;
      return `${(0xffffffff - made).toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;
    });
    const { mentor_id: _, ...activity } = registration("none");
    const bulk = await api(o.coordinator, { bindings: withAuditDown() }).POST(
      "/api/v1/activity-attributions/batches",
      {
        body: { ...activity, mentor_ids: ["mentor-042", "mentor-033"], confirm: true },
      },
    );
    vi.restoreAllMocks();
    expect(bulk.response.status).toBe(201);
    expect(await outboxSize(o.db, o.org)).toBe(4);

    await drain();
    const { entries } = await auditLogOf(env.AUDIT_LOG, o.org).list({ limit: 10, offset: 0, order: "asc" });
    expect(entries.map((e) => e.action)).toEqual([
      "bulk_submission",
      "proxy_created",
      "proxy_created",
      "bulk_confirmed",
    ]);
  });
});
