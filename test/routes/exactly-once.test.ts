import { createScheduledController, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { components, MentorActivityClient } from "../../clients/typescript/index";
import { auditLogOf } from "../../src/audit/client";
import { activities, attributions, batches, idempotencyKeys } from "../../src/db/schema";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { withAuditDown } from "../helpers/doubles";
import { auditAnswerLost, faultyWrites, type WriteFault } from "../helpers/faults";
import { instrumentD1 } from "../helpers/instrumented-d1";
import { type TestOrg, testOrg } from "../helpers/org";

/**
 * Exactly-once answers across a crash (issue 16): every creating POST stores the answer its
 * Idempotency-Key replays in the same D1 batch as the write it answers, so whatever fails around
 * that batch, a retry with the key either replays the answer of the one write that committed, or
 * runs the write for the first time. Never both, never neither.
 */

type CreateAttribution = components["schemas"]["CreateAttribution"];

async function drain(): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
}

/** Entries in the organisation's audit log. */
async function auditEntries(org: string): Promise<number> {
  return (await auditLogOf(env.AUDIT_LOG, org).list({ limit: 1, offset: 0 })).total;
}

/** What a call of the typed client answers, read as text so a replay can be compared byte for byte. */
interface Sent {
  response: Response;
  data?: unknown;
  error?: unknown;
}

/** The answer's body as it was sent (every call here reads it as text). */
function textOf(sent: Sent): string {
  if (typeof sent.data !== "string")
    throw new Error(`answered ${sent.response.status}: ${JSON.stringify(sent.error)}`);
  return sent.data;
}

/** The answer's body as JSON. */
const bodyOf = (sent: Sent) => JSON.parse(textOf(sent)) as Record<string, unknown>;

let serial = 0;
/** A workshop for `mentorId` at a time no other registration of the file uses. */
function workshop(mentorId: string): CreateAttribution {
  serial += 1;
  const at = new Date(Date.UTC(2026, 2, 2) + serial * 60_000).toISOString().slice(0, 19);
  return {
    activity_type_id: "workshop",
    activity_date: `${at}Z`,
    duration_minutes: 90,
    location: 'Room "B"\nsecond floor',
    notes: "Résumé clinic – ✓ 😀 \\ \u0001",
    coordinator_id: "coord-007",
    mentor_id: mentorId,
  };
}

/** The mentors a bulk registration creates attributions for; mentor-999 (inactive) is skipped. */
const BULK_MENTORS = ["mentor-042", "mentor-033", "mentor-482"];

const bulk = (confirm: boolean) => {
  const { mentor_id: _single, ...activity } = workshop("unused");
  return { ...activity, mentor_ids: [...BULK_MENTORS, "mentor-999"], confirm };
};

interface Prepared {
  as: TokenClaims;
  /** Sends the request with the key, through the given client. */
  send: (client: MentorActivityClient, key: string) => Promise<Sent>;
}

interface CreatingPost {
  name: string;
  status: number;
  /** Makes what the request needs (uncounted, unkeyed); answers who sends it and how. */
  prepare: (o: TestOrg) => Promise<Prepared>;
  /** The ID the answer names. */
  idOf: (body: Record<string, unknown>) => unknown;
  /** The IDs of what requests of this kind made or changed in the organisation, as D1 holds them. */
  written: (o: TestOrg) => Promise<string[]>;
  /** Audit entries one such request adds (after the drain). */
  auditEvents: number;
  /** Whether the answer carries the resource's ETag. */
  tagged?: boolean;
  /** The resource as GET shows it now, to compare a replay with (without its audit trail). */
  current?: (o: TestOrg, id: string) => Promise<{ body: Record<string, unknown>; etag: string | null }>;
}

const headerOf = (key: string) => ({ "idempotency-key": key });

async function registered(o: TestOrg, mentorId: string): Promise<string> {
  const { data, response } = await api(o.coordinator).POST("/api/v1/activity-attributions", {
    body: workshop(mentorId),
  });
  expect(response.status).toBe(201);
  if (!data) throw new Error("no attribution");
  return data.attribution_id;
}

async function attributionNow(o: TestOrg, id: string) {
  const got = await api(o.coordinator).GET("/api/v1/activity-attributions/{id}", {
    params: { path: { id } },
    parseAs: "text",
  });
  expect(got.response.status).toBe(200);
  const { audit_trail: _trail, ...body } = bodyOf(got);
  return { body, etag: got.response.headers.get("ETag") };
}

async function attributionIds(o: TestOrg, where = sql`1`): Promise<string[]> {
  const rows = await o.db
    .select({ id: attributions.attributionId })
    .from(attributions)
    .where(and(eq(attributions.orgId, o.org), where))
    .all();
  return rows.map((r) => r.id).sort();
}

async function batchIds(o: TestOrg, status?: "pending" | "confirmed"): Promise<string[]> {
  const rows = await o.db
    .select({ id: batches.batchId })
    .from(batches)
    .where(and(eq(batches.orgId, o.org), status === undefined ? undefined : eq(batches.status, status)))
    .all();
  return rows.map((r) => r.id).sort();
}

async function selfLogIds(o: TestOrg): Promise<string[]> {
  const rows = await o.db
    .select({ id: activities.activityId })
    .from(activities)
    .where(and(eq(activities.orgId, o.org), eq(activities.entryMode, "self")))
    .all();
  return rows.map((r) => r.id).sort();
}

const LOG = {
  activity_type: "check_in",
  description: 'Weekly call with "Ana"\n– follow-up ✓',
  contact_id: "contact-7",
  duration_minutes: 30,
  occurred_at: "2026-03-10T10:00:00Z",
};

let uploads = 0;
/** An entry queued offline under a client_ref no other upload of the file uses. */
function queued() {
  uploads += 1;
  return [{ ...LOG, client_ref: `once-${uploads}` }];
}

const CREATING_POSTS: CreatingPost[] = [
  {
    name: "POST /activity-logs/batch (entries queued offline)",
    status: 200,
    prepare: async (o) => {
      const entries = queued();
      return {
        as: o.mentor,
        send: (c, key) =>
          c.POST("/api/v1/activity-logs/batch", {
            params: { header: headerOf(key) },
            body: { entries },
            parseAs: "text",
          }),
      };
    },
    // The entry's log ID: a retry must name the entry the first request wrote.
    idOf: (b) => (b.results as { log: { log_id: string } | null }[])[0]?.log?.log_id,
    written: selfLogIds,
    auditEvents: 0,
  },
  {
    name: "POST /activity-logs (a mentor's own)",
    status: 201,
    prepare: async (o) => ({
      as: o.mentor,
      send: (c, key) =>
        c.POST("/api/v1/activity-logs", { params: { header: headerOf(key) }, body: LOG, parseAs: "text" }),
    }),
    idOf: (b) => b.log_id,
    written: selfLogIds,
    auditEvents: 0,
    current: async (o, id) => {
      const got = await api(o.mentor).GET("/api/v1/activity-logs/{id}", {
        params: { path: { id } },
        parseAs: "text",
      });
      return { body: bodyOf(got), etag: null };
    },
  },
  {
    name: "POST /activity-logs (an admin's, for a mentor)",
    status: 201,
    prepare: async (o) => ({
      as: o.admin,
      send: (c, key) =>
        c.POST("/api/v1/activity-logs", {
          params: { header: headerOf(key) },
          body: { ...LOG, mentor_id: "mentor-042" },
          parseAs: "text",
        }),
    }),
    idOf: (b) => b.log_id,
    written: selfLogIds,
    auditEvents: 1,
  },
  {
    name: "POST /activity-attributions",
    status: 201,
    prepare: async (o) => {
      const body = workshop("mentor-042");
      return {
        as: o.coordinator,
        send: (c, key) =>
          c.POST("/api/v1/activity-attributions", {
            params: { header: headerOf(key) },
            body,
            parseAs: "text",
          }),
      };
    },
    idOf: (b) => b.attribution_id,
    written: (o) => attributionIds(o),
    auditEvents: 1,
    current: attributionNow,
  },
  {
    name: "POST /activity-attributions/batches (preview)",
    status: 201,
    prepare: async (o) => {
      const body = bulk(false);
      return {
        as: o.coordinator,
        send: (c, key) =>
          c.POST("/api/v1/activity-attributions/batches", {
            params: { header: headerOf(key) },
            body,
            parseAs: "text",
          }),
      };
    },
    idOf: (b) => b.batch_id,
    written: (o) => batchIds(o),
    auditEvents: 1,
  },
  {
    name: "POST /activity-attributions/batches (confirm: true)",
    status: 201,
    prepare: async (o) => {
      const body = bulk(true);
      return {
        as: o.coordinator,
        send: (c, key) =>
          c.POST("/api/v1/activity-attributions/batches", {
            params: { header: headerOf(key) },
            body,
            parseAs: "text",
          }),
      };
    },
    idOf: (b) => b.batch_id,
    written: (o) => batchIds(o),
    auditEvents: 2 + BULK_MENTORS.length,
  },
  {
    name: "POST /activity-attributions/batches/{batch_id}/confirm",
    status: 200,
    prepare: async (o) => {
      const preview = await api(o.coordinator).POST("/api/v1/activity-attributions/batches", {
        body: bulk(false),
      });
      const batchId = preview.data?.batch_id;
      if (batchId === undefined) throw new Error("no batch");
      return {
        as: o.coordinator,
        send: (c, key) =>
          c.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", {
            params: { path: { batch_id: batchId }, header: headerOf(key) },
            parseAs: "text",
          }),
      };
    },
    idOf: (b) => b.batch_id,
    written: (o) => batchIds(o, "confirmed"),
    auditEvents: 1 + BULK_MENTORS.length,
  },
  {
    name: "POST /activity-attributions/{id}/confirm",
    status: 200,
    prepare: async (o) => {
      const id = await registered(o, "mentor-042");
      return {
        as: o.mentor,
        send: (c, key) =>
          c.POST("/api/v1/activity-attributions/{id}/confirm", {
            params: { path: { id }, header: headerOf(key) },
            parseAs: "text",
          }),
      };
    },
    idOf: (b) => b.attribution_id,
    written: (o) => attributionIds(o, eq(attributions.confirmationStatus, "confirmed")),
    auditEvents: 1,
    tagged: true,
    current: attributionNow,
  },
  {
    name: "POST /activity-attributions/{id}/dispute",
    status: 200,
    prepare: async (o) => {
      const id = await registered(o, "mentor-042");
      return {
        as: o.mentor,
        send: (c, key) =>
          c.POST("/api/v1/activity-attributions/{id}/dispute", {
            params: { path: { id }, header: headerOf(key) },
            body: { reason: 'Not me: "on leave"\nall week' },
            parseAs: "text",
          }),
      };
    },
    idOf: (b) => b.attribution_id,
    written: (o) => attributionIds(o, eq(attributions.confirmationStatus, "disputed")),
    auditEvents: 1,
    tagged: true,
    current: attributionNow,
  },
];

/** An organisation with the request prepared and its setup's audit events delivered. */
async function arrange(post: CreatingPost) {
  const o = await testOrg("once");
  const prepared = await post.prepare(o);
  await drain();
  return { o, prepared, entriesBefore: await auditEntries(o.org), key: `key-${crypto.randomUUID()}` };
}

/** Sends the prepared request with the key, on the given bindings (the test environment's by default). */
const sendWith = (prepared: Prepared, key: string, bindings?: Env) =>
  prepared.send(api(prepared.as, bindings ? { bindings } : {}), key);

/**
 * The outcome every scenario ends with: one write, named by the answer the key replays, with
 * its audit events delivered once.
 */
async function expectExactlyOnce(post: CreatingPost, o: TestOrg, entriesBefore: number, answer: Sent) {
  const body = bodyOf(answer);
  expect(answer.response.status).toBe(post.status);
  expect(await post.written(o)).toEqual([post.idOf(body)]);
  await drain();
  expect(await auditEntries(o.org)).toBe(entriesBefore + post.auditEvents);
  if (post.current) {
    const now = await post.current(o, String(post.idOf(body)));
    expect(body).toEqual(now.body);
    if (post.tagged) expect(answer.response.headers.get("ETag")).toBe(now.etag);
  }
}

/** Moves the key's lease into the past, as the clock would after IDEMPOTENCY_LEASE_SECONDS. */
async function expireLease(o: TestOrg): Promise<void> {
  await o.db
    .update(idempotencyKeys)
    .set({ lockedUntil: "2000-01-01T00:00:00Z" })
    .where(eq(idempotencyKeys.orgId, o.org));
}

describe.each(CREATING_POSTS)("$name with an Idempotency-Key", (post) => {
  it("replays its first answer byte for byte, with the headers it replays", async () => {
    const { o, prepared, entriesBefore, key } = await arrange(post);
    const first = await sendWith(prepared, key);
    const retry = await sendWith(prepared, key);
    expect(first.response.status).toBe(post.status);
    expect(first.response.headers.get("Idempotent-Replayed")).toBeNull();
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(retry)).toBe(textOf(first));
    for (const header of ["Content-Type", "Location", "ETag"]) {
      expect(retry.response.headers.get(header), header).toBe(first.response.headers.get(header));
    }
    await expectExactlyOnce(post, o, entriesBefore, retry);
  });

  it.each<[string, WriteFault]>([
    ["the connection fails right after the D1 batch commits", "fail-after"],
    ["the Worker dies right after the D1 batch commits", "hold-after"],
  ])("replays the committed answer and its ID when %s", async (_label, fault) => {
    const { o, prepared, entriesBefore, key } = await arrange(post);
    const faulty = faultyWrites(fault, o.database);
    const first = sendWith(prepared, key, faulty.bindings);
    await faulty.reached;
    // The client never got an answer; it retries with the key while (or after) the first one died.
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    faulty.release();
    expect((await first).response.status).toBe(500);
    await expectExactlyOnce(post, o, entriesBefore, retry);
    // And so does every later retry.
    const again = await sendWith(prepared, key);
    expect(textOf(again)).toBe(textOf(retry));
  });

  it("runs the write on the retry when D1 failed before the batch", async () => {
    const { o, prepared, entriesBefore, key } = await arrange(post);
    const faulty = faultyWrites("fail-before", o.database);
    const first = await sendWith(prepared, key, faulty.bindings);
    expect(first.response.status).toBe(500);
    expect(await post.written(o)).toEqual([]);
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBeNull();
    await expectExactlyOnce(post, o, entriesBefore, retry);
  });

  it("lets a retry take over once the lease ends; the request that outlived it writes nothing", async () => {
    const { o, prepared, entriesBefore, key } = await arrange(post);
    const faulty = faultyWrites("hold-before", o.database);
    const stalled = sendWith(prepared, key, faulty.bindings);
    await faulty.reached;
    const early = await sendWith(prepared, key);
    expect(early.response.status).toBe(409);
    // Until the lease ends: at most the 10-second lease, at least a second.
    expect(Number(early.response.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    expect(Number(early.response.headers.get("Retry-After"))).toBeLessThanOrEqual(10);

    await expireLease(o);
    const takeover = await sendWith(prepared, key);
    expect(takeover.response.status).toBe(post.status);
    expect(takeover.response.headers.get("Idempotent-Replayed")).toBeNull();
    const written = await post.written(o);

    faulty.release();
    const late = await stalled;
    expect(late.response.status).toBe(409);
    expect(JSON.stringify(late.error)).toMatch(/took it over/);
    expect(await post.written(o)).toEqual(written);
    const replay = await sendWith(prepared, key);
    expect(replay.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(replay)).toBe(textOf(takeover));
    await expectExactlyOnce(post, o, entriesBefore, replay);
  });

  it("delivers its audit events once when the audit object was down between D1 and the object", async () => {
    const { o, prepared, entriesBefore, key } = await arrange(post);
    const first = await sendWith(prepared, key, withAuditDown());
    expect(first.response.status).toBe(post.status);
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(post.idOf(bodyOf(retry))).toBe(post.idOf(bodyOf(first)));
    await expectExactlyOnce(post, o, entriesBefore, retry);
  });
});

describe("the system POST /proxy-audit-logs with an Idempotency-Key (kept by the audit object)", () => {
  const PATH = "/api/v1/proxy-audit-logs";
  const EVENT = { action: "proxy_created", coordinator_id: "coord-119", mentor_id: "mentor-482" };

  const send = (o: TestOrg, key: string, body: Record<string, unknown> = EVENT, bindings?: Env) =>
    api(o.system, bindings ? { bindings } : {}).POST(PATH, {
      params: { header: headerOf(key) },
      // The hostile bodies below are what the contract forbids: the client's types would refuse them.
      body: body as typeof EVENT,
      parseAs: "text",
    });

  async function entryNow(o: TestOrg, id: string) {
    const got = await api(o.compliance).GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } });
    return got.data;
  }

  it("replays its 201 byte for byte, appends once, and costs no D1 key row", async () => {
    const o = await testOrg("once-audit");
    const first = await send(o, "k-1");
    const retry = await send(o, "k-1");
    expect(first.response.status).toBe(201);
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.response.headers.get("Content-Type")).toBe(first.response.headers.get("Content-Type"));
    expect(textOf(retry)).toBe(textOf(first));
    expect(await auditEntries(o.org)).toBe(1);
    const keys = await o.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.orgId, o.org)).all();
    expect(keys).toEqual([]);
  });

  it("replays the committed 201 and its entry when the object's answer was lost on the way back", async () => {
    const o = await testOrg("once-audit");
    const first = await send(o, "k-2", EVENT, auditAnswerLost("appendKeyed"));
    expect(first.response.status).toBe(500);
    const retry = await send(o, "k-2");
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    const body = bodyOf(retry);
    expect(await auditEntries(o.org)).toBe(1);
    const entry = await entryNow(o, String(body.id));
    expect(entry).toMatchObject({ id: body.id, action: EVENT.action, timestamp: body.timestamp });
  });

  it("appends on the retry when the object could not be reached at all", async () => {
    const o = await testOrg("once-audit");
    const first = await send(o, "k-3", EVENT, withAuditDown());
    expect(first.response.status).toBe(500);
    expect(await auditEntries(o.org)).toBe(0);
    const retry = await send(o, "k-3");
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await auditEntries(o.org)).toBe(1);
  });

  it("answers concurrent requests with one key with one entry: one appends, the others replay it", async () => {
    const o = await testOrg("once-audit");
    const answers = await Promise.all([1, 2, 3, 4].map(() => send(o, "k-4")));
    expect(answers.map((a) => a.response.status)).toEqual([201, 201, 201, 201]);
    expect(answers.filter((a) => a.response.headers.get("Idempotent-Replayed") === null)).toHaveLength(1);
    expect(new Set(answers.map(textOf)).size).toBe(1);
    expect(await auditEntries(o.org)).toBe(1);
  });

  it("keeps and replays a 4xx outcome, and refuses the key for another body with 422, appending nothing", async () => {
    const o = await testOrg("once-audit");
    const invalid = { ...EVENT, action: "Not An Action" };
    const first = await send(o, "k-5", invalid);
    expect(first.response.status).toBe(400);
    const retry = await send(o, "k-5", invalid);
    expect(retry.response.status).toBe(400);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.error).toEqual(first.error);
    const other = await send(o, "k-5");
    expect(other.response.status).toBe(422);
    expect(await auditEntries(o.org)).toBe(0);
  });

  it("frees a key the object kept once its 24 hours are over", async () => {
    const o = await testOrg("once-audit");
    expect((await send(o, "k-7")).response.status).toBe(201);
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(o.org));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE idempotency_keys SET expires_at = '2000-01-01T00:00:00Z'");
    });
    const later = await send(o, "k-7", { ...EVENT, mentor_id: "mentor-033" });
    expect(later.response.status).toBe(201);
    expect(later.response.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await auditEntries(o.org)).toBe(2);
    const left = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM idempotency_keys").one(),
    );
    // The expired answer was deleted on the way; the new one is kept.
    expect(left.n).toBe(1);
  });

  it("refuses a key used for another valid body with 422, appending nothing more", async () => {
    const o = await testOrg("once-audit");
    expect((await send(o, "k-6")).response.status).toBe(201);
    const other = await send(o, "k-6", { ...EVENT, mentor_id: "mentor-033" });
    expect(other.response.status).toBe(422);
    expect(other.response.headers.get("Content-Type")).toContain("application/problem+json");
    expect(await auditEntries(o.org)).toBe(1);
  });
});

describe("concurrent requests with one key on D1", () => {
  it("write once: one creates, the others are told it is in flight or replay it", async () => {
    const o = await testOrg("once-race");
    const body = workshop("mentor-042");
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() =>
        api(o.coordinator).POST("/api/v1/activity-attributions", {
          params: { header: headerOf("race") },
          body,
          parseAs: "text",
        }),
      ),
    );
    const created = answers.filter((a) => a.response.status === 201);
    const fresh = created.filter((a) => a.response.headers.get("Idempotent-Replayed") === null);
    expect(fresh).toHaveLength(1);
    expect(answers.every((a) => a.response.status === 201 || a.response.status === 409)).toBe(true);
    expect(new Set(created.map(textOf)).size).toBe(1);
    const [one] = fresh;
    if (one === undefined) throw new Error("nothing was created");
    expect(await attributionIds(o)).toEqual([bodyOf(one).attribution_id]);
  });
});

describe("a write whose answer cannot be stored", () => {
  it("does not commit: the batch that writes and the answer it stores are one transaction", async () => {
    const o = await testOrg("once-store");
    // The answer's statement fails inside the write batch, as a full disk or a bad row would make it.
    const failing = instrumentD1(o.d1, {
      statement: ({ sql: text }) => {
        if (
          /^update "idempotency_keys" set "response_status"/i.test(text) &&
          /exists \(select 1/.test(text)
        ) {
          throw new Error("D1 refused the answer");
        }
      },
    });
    const body = workshop("mentor-042");
    const res = await api(o.coordinator, { bindings: { ...env, [o.database]: failing } }).POST(
      "/api/v1/activity-attributions",
      { params: { header: headerOf("no-store") }, body },
    );
    expect(res.response.status).toBe(500);
    expect(await attributionIds(o)).toEqual([]);
    // Nothing committed, so the key was freed and the retry writes.
    const retry = await api(o.coordinator).POST("/api/v1/activity-attributions", {
      params: { header: headerOf("no-store") },
      body,
    });
    expect(retry.response.status).toBe(201);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await attributionIds(o)).toEqual([retry.data?.attribution_id]);
  });
});
