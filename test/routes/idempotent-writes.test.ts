import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { MentorActivityClient } from "../../clients/typescript/index";
import { auditLogOf } from "../../src/audit/client";
import { syncCounters } from "../../src/db/schema";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { faultyWrites, type WriteFault } from "../helpers/faults";
import { type TestOrg, testOrg } from "../helpers/org";
import { activityLogOf, attributionOf, auditEntryOf } from "../helpers/world";

/**
 * An Idempotency-Key on PUT and DELETE: a correction or a deletion retried with its key answers
 * what the first request answered (a retried DELETE is not a 404, a retried PUT carries the tag
 * it first carried), and does not write again. The answer of a write to the database is stored in
 * the write's own D1 batch, so it survives every failure around that batch as a creating POST's does.
 */

async function drain(): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
}

const auditEntries = async (org: string) =>
  (await auditLogOf(env.AUDIT_LOG, org).list({ limit: 1, offset: 0 })).total;

/**
 * How many record changes the organisation's changes feed has counted: every write to an
 * activity, attribution or member moves it (even one that sets the values a record already
 * has), so a write that ran twice shows here.
 */
async function changesCounted(o: TestOrg): Promise<number> {
  const row = await o.db
    .select({ seq: syncCounters.seq })
    .from(syncCounters)
    .where(eq(syncCounters.orgId, o.org))
    .get();
  return row?.seq ?? 0;
}

interface Sent {
  response: Response;
  data?: unknown;
  error?: unknown;
}

function textOf(sent: Sent): string {
  if (typeof sent.data !== "string")
    throw new Error(`answered ${sent.response.status}: ${JSON.stringify(sent.error)}`);
  return sent.data;
}

const headerOf = (key: string) => ({ "idempotency-key": key });

interface Prepared {
  as: TokenClaims;
  send: (client: MentorActivityClient, key: string) => Promise<Sent>;
}

interface KeyedWrite {
  name: string;
  status: number;
  prepare: (o: TestOrg) => Promise<Prepared>;
  /** Audit entries one such write adds (after the drain). */
  auditEvents: number;
  /** Whether the answer carries the resource's ETag. */
  tagged: boolean;
}

const KEYED_WRITES: KeyedWrite[] = [
  {
    name: "PUT /activity-attributions/{id}",
    status: 200,
    prepare: async (o) => {
      const id = await attributionOf(o, o.coordinator.sub, o.mentor.sub);
      return {
        as: o.coordinator,
        send: (c, key) =>
          c.PUT("/api/v1/activity-attributions/{id}", {
            params: { path: { id }, header: headerOf(key) },
            body: { duration_minutes: 75, notes: 'Moved to "Room 2"' },
            parseAs: "text",
          }),
      };
    },
    auditEvents: 1,
    tagged: true,
  },
  {
    name: "DELETE /activity-attributions/{id}",
    status: 200,
    prepare: async (o) => {
      const id = await attributionOf(o, o.coordinator.sub, o.mentor.sub);
      return {
        as: o.coordinator,
        send: (c, key) =>
          c.DELETE("/api/v1/activity-attributions/{id}", {
            params: { path: { id }, header: headerOf(key) },
            parseAs: "text",
          }),
      };
    },
    auditEvents: 1,
    tagged: false,
  },
  {
    name: "PUT /activity-logs/{id} (the mentor's own)",
    status: 200,
    prepare: async (o) => {
      const id = await activityLogOf(o, o.mentor.sub);
      return {
        as: o.mentor,
        send: (c, key) =>
          c.PUT("/api/v1/activity-logs/{id}", {
            params: { path: { id }, header: headerOf(key) },
            body: { description: "Longer call – ✓", duration_minutes: 45 },
            parseAs: "text",
          }),
      };
    },
    auditEvents: 0,
    tagged: true,
  },
  {
    name: "PUT /activity-logs/{id} (an admin, for a mentor)",
    status: 200,
    prepare: async (o) => {
      const id = await activityLogOf(o, o.mentor.sub);
      return {
        as: o.admin,
        send: (c, key) =>
          c.PUT("/api/v1/activity-logs/{id}", {
            params: { path: { id }, header: headerOf(key) },
            body: { duration_minutes: 20 },
            parseAs: "text",
          }),
      };
    },
    auditEvents: 1,
    tagged: true,
  },
  {
    name: "DELETE /activity-logs/{id}",
    status: 200,
    prepare: async (o) => {
      const id = await activityLogOf(o, o.mentor.sub);
      return {
        as: o.mentor,
        send: (c, key) =>
          c.DELETE("/api/v1/activity-logs/{id}", {
            params: { path: { id }, header: headerOf(key) },
            parseAs: "text",
          }),
      };
    },
    auditEvents: 0,
    tagged: false,
  },
  {
    name: "PUT /members/{member_id} (a new member)",
    status: 201,
    prepare: async (o) => ({
      as: o.admin,
      send: (c, key) =>
        c.PUT("/api/v1/members/{member_id}", {
          params: { path: { member_id: "mentor-new" }, header: headerOf(key) },
          body: { name: "Noor Haddad", roles: ["mentor"], active: true },
          parseAs: "text",
        }),
    }),
    auditEvents: 1,
    tagged: true,
  },
  {
    name: "PUT /members/{member_id} (a change)",
    status: 200,
    prepare: async (o) => ({
      as: o.admin,
      send: (c, key) =>
        c.PUT("/api/v1/members/{member_id}", {
          params: { path: { member_id: o.otherMentor.sub }, header: headerOf(key) },
          body: { name: "Alex Chen-Ward", roles: ["mentor", "coordinator"], active: true },
          parseAs: "text",
        }),
    }),
    auditEvents: 1,
    tagged: true,
  },
];

async function arrange(write: KeyedWrite) {
  const o = await testOrg("keyed");
  const prepared = await write.prepare(o);
  await drain();
  return {
    o,
    prepared,
    before: { entries: await auditEntries(o.org), changes: await changesCounted(o) },
    key: `key-${crypto.randomUUID()}`,
  };
}

const sendWith = (prepared: Prepared, key: string, bindings?: Env) =>
  prepared.send(api(prepared.as, bindings ? { bindings } : {}), key);

/** The write happened once: its audit events once, and the feed moved as much as one write moves it. */
async function expectWrittenOnce(
  write: KeyedWrite,
  o: TestOrg,
  before: { entries: number; changes: number },
  changesOfOneWrite: number,
) {
  await drain();
  expect(await auditEntries(o.org)).toBe(before.entries + write.auditEvents);
  expect(await changesCounted(o)).toBe(before.changes + changesOfOneWrite);
}

describe.each(KEYED_WRITES)("$name with an Idempotency-Key", (write) => {
  it("replays its first answer byte for byte, with its ETag, and writes nothing again", async () => {
    const { o, prepared, before, key } = await arrange(write);
    const first = await sendWith(prepared, key);
    expect(first.response.status).toBe(write.status);
    const changesOfOneWrite = (await changesCounted(o)) - before.changes;
    expect(changesOfOneWrite).toBeGreaterThan(0);
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.response.status).toBe(write.status);
    expect(textOf(retry)).toBe(textOf(first));
    for (const header of ["Content-Type", "ETag"]) {
      expect(retry.response.headers.get(header), header).toBe(first.response.headers.get(header));
    }
    expect(first.response.headers.has("ETag")).toBe(write.tagged);
    await expectWrittenOnce(write, o, before, changesOfOneWrite);
  });

  it.each<[string, WriteFault]>([
    ["the connection fails right after the D1 batch commits", "fail-after"],
    ["the Worker dies right after the D1 batch commits", "hold-after"],
  ])("replays the committed answer when %s", async (_label, fault) => {
    const { o, prepared, before, key } = await arrange(write);
    const faulty = faultyWrites(fault, o.database);
    const first = sendWith(prepared, key, faulty.bindings);
    await faulty.reached;
    const changesOfOneWrite = (await changesCounted(o)) - before.changes;
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.response.status).toBe(write.status);
    faulty.release();
    expect((await first).response.status).toBe(500);
    expect(textOf(await sendWith(prepared, key))).toBe(textOf(retry));
    await expectWrittenOnce(write, o, before, changesOfOneWrite);
  });

  it("runs the write on the retry when D1 failed before the batch", async () => {
    const { o, prepared, before, key } = await arrange(write);
    const faulty = faultyWrites("fail-before", o.database);
    expect((await sendWith(prepared, key, faulty.bindings)).response.status).toBe(500);
    expect(await changesCounted(o)).toBe(before.changes);
    const retry = await sendWith(prepared, key);
    expect(retry.response.status).toBe(write.status);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBeNull();
    await expectWrittenOnce(write, o, before, (await changesCounted(o)) - before.changes);
  });
});

describe("a keyed PUT or DELETE that was refused", () => {
  it("replays its 412 as it was, though the attribution changed since", async () => {
    const o = await testOrg("keyed-412");
    const id = await attributionOf(o, o.coordinator.sub, o.mentor.sub);
    const correct = (key: string, ifMatch: string, duration: number) =>
      api(o.coordinator).PUT("/api/v1/activity-attributions/{id}", {
        params: { path: { id }, header: { "idempotency-key": key, "if-match": ifMatch } },
        body: { duration_minutes: duration },
        parseAs: "text",
      });
    const stale = await correct("stale-key", '"0123456789abcdef0123456789abcdef"', 50);
    expect(stale.response.status).toBe(412);
    const tag = (
      await api(o.coordinator).GET("/api/v1/activity-attributions/{id}", { params: { path: { id } } })
    ).response.headers.get("ETag");
    expect((await correct("fresh-key", tag ?? "", 55)).response.status).toBe(200);
    const retry = await correct("stale-key", '"0123456789abcdef0123456789abcdef"', 50);
    expect(retry.response.status).toBe(412);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.error).toEqual(stale.error);
  });

  it("answers 422 to the same key sent with another body", async () => {
    const o = await testOrg("keyed-422");
    const id = await activityLogOf(o, o.mentor.sub);
    const change = (description: string) =>
      api(o.mentor).PUT("/api/v1/activity-logs/{id}", {
        params: { path: { id }, header: headerOf("one-key") },
        body: { description },
      });
    expect((await change("First")).response.status).toBe(200);
    expect((await change("Second")).response.status).toBe(422);
    const now = await api(o.mentor).GET("/api/v1/activity-logs/{id}", { params: { path: { id } } });
    expect(now.data?.description).toBe("First");
  });
});

describe("a keyed annotation or deletion of an audit entry (kept by the audit object with the write)", () => {
  it("answers a retried deletion with its first answer, not a 404", async () => {
    const o = await testOrg("keyed-redact");
    const id = await auditEntryOf(o, o.coordinator.sub);
    const redact = () =>
      api(o.admin).DELETE("/api/v1/proxy-audit-logs/{id}", {
        params: { path: { id }, header: headerOf("redact-once") },
        parseAs: "text",
      });
    const first = await redact();
    expect(first.response.status).toBe(200);
    const retry = await redact();
    expect(retry.response.status).toBe(200);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(retry)).toBe(textOf(first));
  });

  it("answers 422 to the key of an annotation sent with a deletion of the entry, and deletes nothing", async () => {
    const o = await testOrg("keyed-reused");
    const id = await auditEntryOf(o, o.coordinator.sub);
    const annotated = await api(o.admin).PUT("/api/v1/proxy-audit-logs/{id}", {
      params: { path: { id }, header: headerOf("one-entry-key") },
      body: { annotation: "Reviewed", reviewed_by: "admin-007" },
    });
    expect(annotated.response.status).toBe(200);
    const reused = await api(o.admin).DELETE("/api/v1/proxy-audit-logs/{id}", {
      params: { path: { id }, header: headerOf("one-entry-key") },
    });
    expect(reused.response.status).toBe(422);
    const entry = await api(o.admin).GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } });
    expect(entry.data).toMatchObject({ id, annotation: "Reviewed" });
  });

  it("answers a retried annotation with its first answer and ETag", async () => {
    const o = await testOrg("keyed-annotate");
    const id = await auditEntryOf(o, o.coordinator.sub);
    const annotate = () =>
      api(o.admin).PUT("/api/v1/proxy-audit-logs/{id}", {
        params: { path: { id }, header: headerOf("annotate-once") },
        body: { annotation: "Reviewed", reviewed_by: "admin-007" },
        parseAs: "text",
      });
    const first = await annotate();
    expect(first.response.status).toBe(200);
    const retry = await annotate();
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(retry)).toBe(textOf(first));
    expect(retry.response.headers.get("ETag")).toBe(first.response.headers.get("ETag"));
  });
});
