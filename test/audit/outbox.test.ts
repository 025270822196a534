import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditClient } from "../../src/audit/client";
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
  (await auditClient(env, org).list({ limit: 100, offset: 0 })).entries.filter(
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
