import { createScheduledController, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { components, MentorActivityClient } from "../../clients/typescript/index";
import { auditLogOf } from "../../src/audit/client";
import { attributions, idempotencyKeys, syncCounters } from "../../src/db/schema";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { withAuditDown } from "../helpers/doubles";
import { auditAnswerLost, faultyWrites, type WriteFault } from "../helpers/faults";
import { instrumentD1 } from "../helpers/instrumented-d1";
import {
  type AuditObjectWrite,
  CATALOGUE,
  type D1Write,
  type Operation,
  ownersSubject,
  representationOf,
  type Send,
  type Sender,
} from "../helpers/operations";
import { type TestOrg, testOrg } from "../helpers/org";

/**
 * Exactly-once answers across a crash: every write the operation catalogue marks as
 * keyed stores the answer its Idempotency-Key replays in the same D1 batch as the write it
 * answers, so whatever fails around that batch, a retry with the key either replays the answer
 * of the one write that committed, or runs the write for the first time. Never both, never neither.
 */

type CreateAttribution = components["schemas"]["CreateAttribution"];

async function drain(): Promise<void> {
  await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
}

/** Entries in the organisation's audit log. */
async function auditEntries(org: string): Promise<number> {
  return (await auditLogOf(env.AUDIT_LOG, org).list({ limit: 1, offset: 0 })).total;
}

/** How far the organisation's changes feed has moved: each write of a record moves it, a repeated one too. */
async function changesCounted(o: TestOrg): Promise<number> {
  const row = await o.db
    .select({ seq: syncCounters.seq })
    .from(syncCounters)
    .where(eq(syncCounters.orgId, o.org))
    .get();
  return row?.seq ?? 0;
}

/** What the organisation held before the request: its audit entries, and how far its changes feed had moved. */
interface Before {
  entries: number;
  changes: number;
}

/** What the Worker answered: its status and headers, its body as sent, and the problem if it failed. */
interface Answer {
  response: Response;
  text: string;
  error?: unknown;
}

/** Sends the call through `client`, keeping the body as the Worker sent it, so a replay can be compared byte for byte. */
async function answerOf(client: MentorActivityClient, send: Send): Promise<Answer> {
  let text = "";
  client.use({
    onResponse: async ({ response }) => {
      text = await response.clone().text();
    },
  });
  const { error, response } = await send(client);
  return { response, text, error };
}

/** The body of a successful answer as it was sent. */
function textOf(answer: Answer): string {
  if (!answer.response.ok)
    throw new Error(`answered ${answer.response.status}: ${JSON.stringify(answer.error)}`);
  return answer.text;
}

/** The answer's body as JSON. */
const bodyOf = (answer: Answer) => JSON.parse(textOf(answer)) as Record<string, unknown>;

const headerOf = (key: string) => ({ "idempotency-key": key });

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

async function attributionIds(o: TestOrg, where = sql`1`): Promise<string[]> {
  const rows = await o.db
    .select({ id: attributions.attributionId })
    .from(attributions)
    .where(and(eq(attributions.orgId, o.org), where))
    .all();
  return rows.map((r) => r.id).sort();
}

/** One sender's case of a D1 write of the catalogue. */
interface WriteCase {
  name: string;
  op: Operation;
  write: D1Write;
  sender: Sender;
}

const WRITES: WriteCase[] = CATALOGUE.flatMap(({ id, operation }) => {
  const write = operation.writes;
  if (write?.in !== "D1") return [];
  return write.senders.map((sender) => ({
    name: sender.label ? `${id} (${sender.label})` : id,
    op: operation,
    write,
    sender,
  }));
});

/** The status the sender's request answers. */
const successOf = (c: WriteCase) => c.sender.success ?? c.op.success;

/** The writes whose answers ride in their batch: the cases of the crash and retry scenarios below. */
const KEYED = WRITES.filter(({ write }) => write.keyed === "answer in the write batch");

interface Prepared {
  as: TokenClaims;
  send: Send;
  /** The ID of what the call changes, where its path names it. */
  target?: string;
}

/** An organisation with the request prepared and its setup's audit events delivered. */
async function arrange(c: WriteCase) {
  const o = await testOrg("once");
  const call = await (c.sender.request ?? c.op.request)(o, ownersSubject(o, c.op.owner));
  const prepared: Prepared = { ...call, as: o.caller[c.sender.as] };
  await drain();
  const before: Before = { entries: await auditEntries(o.org), changes: await changesCounted(o) };
  return { o, prepared, before, key: `key-${crypto.randomUUID()}` };
}

/** Sends the prepared request with the key, on the given bindings (the test environment's by default). */
const sendWith = (prepared: Prepared, key: string | null, bindings?: Env) =>
  answerOf(
    api(prepared.as, {
      ...(key === null ? {} : { headers: { "Idempotency-Key": key } }),
      ...(bindings ? { bindings } : {}),
    }),
    prepared.send,
  );

/**
 * The outcome every scenario ends with: one write, named by the answer the key replays (or by
 * the path, for a change), the changes feed moved as far as one such write moves it, and its
 * audit events delivered once.
 */
async function expectExactlyOnce(
  c: WriteCase,
  o: TestOrg,
  prepared: Prepared,
  before: Before,
  answer: Answer,
) {
  const body = bodyOf(answer);
  expect(answer.response.status).toBe(successOf(c));
  const id = c.write.effect === "creates" ? c.write.idOf(body) : prepared.target;
  expect(await c.write.written(o)).toEqual([id]);
  expect(await changesCounted(o)).toBe(before.changes + c.sender.changes);
  await drain();
  expect(await auditEntries(o.org)).toBe(before.entries + c.sender.auditEvents);
  if (c.write.answers !== "summary") {
    if (c.op.resource === undefined) throw new Error(`${c.name} answers a representation of nothing`);
    const now = await representationOf(api(prepared.as), c.op.resource, String(id));
    expect(body).toEqual(now.body);
    if (c.write.answers === "representation and its ETag") {
      expect(answer.response.headers.get("ETag")).toBe(now.etag);
    }
  }
}

/** Moves the key's lease into the past, as the clock would after IDEMPOTENCY_LEASE_SECONDS. */
async function expireLease(o: TestOrg): Promise<void> {
  await o.db
    .update(idempotencyKeys)
    .set({ lockedUntil: "2000-01-01T00:00:00Z" })
    .where(eq(idempotencyKeys.orgId, o.org));
}

describe.each(KEYED)("$name with an Idempotency-Key", (c) => {
  it("replays its first answer byte for byte, with the headers it replays", async () => {
    const { o, prepared, before, key } = await arrange(c);
    const first = await sendWith(prepared, key);
    const retry = await sendWith(prepared, key);
    expect(first.response.status).toBe(successOf(c));
    expect(first.response.headers.get("Idempotent-Replayed")).toBeNull();
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(retry)).toBe(textOf(first));
    for (const header of ["Content-Type", "Location", "ETag"]) {
      expect(retry.response.headers.get(header), header).toBe(first.response.headers.get(header));
    }
    await expectExactlyOnce(c, o, prepared, before, retry);
  });

  it.each<[string, WriteFault]>([
    ["the connection fails right after the D1 batch commits", "fail-after"],
    ["the Worker dies right after the D1 batch commits", "hold-after"],
  ])("replays the committed answer and its ID when %s", async (_label, fault) => {
    const { o, prepared, before, key } = await arrange(c);
    const faulty = faultyWrites(fault, o.database);
    const first = sendWith(prepared, key, faulty.bindings);
    await faulty.reached;
    // The client never got an answer; it retries with the key while (or after) the first one died.
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    faulty.release();
    expect((await first).response.status).toBe(500);
    await expectExactlyOnce(c, o, prepared, before, retry);
    // And so does every later retry.
    const again = await sendWith(prepared, key);
    expect(textOf(again)).toBe(textOf(retry));
  });

  it("runs the write on the retry when D1 failed before the batch", async () => {
    const { o, prepared, before, key } = await arrange(c);
    const faulty = faultyWrites("fail-before", o.database);
    const first = await sendWith(prepared, key, faulty.bindings);
    expect(first.response.status).toBe(500);
    expect(await c.write.written(o)).toEqual([]);
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBeNull();
    await expectExactlyOnce(c, o, prepared, before, retry);
  });

  it("lets a retry take over once the lease ends; the request that outlived it writes nothing", async () => {
    const { o, prepared, before, key } = await arrange(c);
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
    expect(takeover.response.status).toBe(successOf(c));
    expect(takeover.response.headers.get("Idempotent-Replayed")).toBeNull();
    const written = await c.write.written(o);

    faulty.release();
    const late = await stalled;
    expect(late.response.status).toBe(409);
    expect(JSON.stringify(late.error)).toMatch(/took it over/);
    expect(await c.write.written(o)).toEqual(written);
    const replay = await sendWith(prepared, key);
    expect(replay.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(replay)).toBe(textOf(takeover));
    await expectExactlyOnce(c, o, prepared, before, replay);
  });

  it("delivers its audit events once when the audit object was down between D1 and the object", async () => {
    const { o, prepared, before, key } = await arrange(c);
    const first = await sendWith(prepared, key, withAuditDown());
    expect(first.response.status).toBe(successOf(c));
    const retry = await sendWith(prepared, key);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(retry)).toBe(textOf(first));
    await expectExactlyOnce(c, o, prepared, before, retry);
  });
});

describe.each(WRITES)("$name without an Idempotency-Key", (c) => {
  it("writes the one thing its answer or path names, with its audit events", async () => {
    const { o, prepared, before } = await arrange(c);
    const answer = await sendWith(prepared, null);
    expect(answer.response.headers.get("Idempotent-Replayed")).toBeNull();
    await expectExactlyOnce(c, o, prepared, before, answer);
  });
});

/** A write to the audit object alone whose answer the object keeps with it, in the write's transaction. */
interface KeptWithWriteCase {
  name: string;
  op: Operation;
  write: Extract<AuditObjectWrite, { keyed: "answer kept with the write" }>;
}

const KEPT_WITH_WRITE: KeptWithWriteCase[] = CATALOGUE.flatMap(({ id, operation }) => {
  const write = operation.writes;
  return write?.in === "audit object" && write.keyed === "answer kept with the write"
    ? [{ name: id, op: operation, write }]
    : [];
});

describe.each(KEPT_WITH_WRITE)(
  "$name with an Idempotency-Key (kept by the audit object with the write)",
  (c) => {
    /** An organisation with an entry to write to, and the request of the one who may. */
    async function arrangeEntry() {
      const o = await testOrg("once-entry");
      const call = await c.op.request(o, ownersSubject(o, c.op.owner));
      return { o, prepared: { ...call, as: o.admin }, key: `key-${crypto.randomUUID()}` };
    }

    /** The one record written, named by the answer; with the entry's ETag where the answer carries one. */
    async function expectOneRecord(o: TestOrg, prepared: Prepared, answer: Answer) {
      expect(answer.response.status).toBe(c.op.success);
      const written = await c.write.written(o);
      expect(written).toHaveLength(1);
      expect(c.write.recordOf(bodyOf(answer))).toBe(written[0]);
      expect(answer.response.headers.has("ETag")).toBe(c.write.tagged);
      if (c.write.tagged) {
        const now = await representationOf(api(o.admin), "audit entry", String(prepared.target));
        expect(answer.response.headers.get("ETag")).toBe(now.etag);
      }
    }

    it("replays its first answer byte for byte, with its ETag, and writes one record", async () => {
      const { o, prepared, key } = await arrangeEntry();
      const first = await sendWith(prepared, key);
      const retry = await sendWith(prepared, key);
      expect(first.response.headers.get("Idempotent-Replayed")).toBeNull();
      expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
      expect(textOf(retry)).toBe(textOf(first));
      for (const header of ["Content-Type", "ETag"]) {
        expect(retry.response.headers.get(header), header).toBe(first.response.headers.get(header));
      }
      await expectOneRecord(o, prepared, retry);
    });

    it("replays the committed answer when the object's answer was lost after the write", async () => {
      const { o, prepared, key } = await arrangeEntry();
      const first = await sendWith(prepared, key, auditAnswerLost(c.write.method));
      expect(first.response.status).toBe(500);
      expect(await c.write.written(o)).toHaveLength(1);
      const retry = await sendWith(prepared, key);
      expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
      await expectOneRecord(o, prepared, retry);
      expect(textOf(await sendWith(prepared, key))).toBe(textOf(retry));
    });

    it("answers concurrent requests with one key with one record: one writes, the others replay it", async () => {
      const { o, prepared, key } = await arrangeEntry();
      const answers = await Promise.all([1, 2, 3].map(() => sendWith(prepared, key)));
      expect(answers.filter((a) => a.response.headers.get("Idempotent-Replayed") === null)).toHaveLength(1);
      expect(new Set(answers.map(textOf)).size).toBe(1);
      for (const answer of answers) await expectOneRecord(o, prepared, answer);
    });

    it("refuses the key sent with another request with 422, and writes nothing for that one", async () => {
      const { o, prepared, key } = await arrangeEntry();
      expect((await sendWith(prepared, key)).response.status).toBe(c.op.success);
      const another = await c.op.request(o, ownersSubject(o, c.op.owner));
      const reused = await sendWith({ ...another, as: o.admin }, key);
      expect(reused.response.status).toBe(422);
      expect(await c.write.written(o)).toHaveLength(1);
    });
  },
);

describe("the system POST /proxy-audit-logs with an Idempotency-Key (kept by the audit object)", () => {
  const PATH = "/api/v1/proxy-audit-logs";
  const EVENT = { action: "proxy_created", coordinator_id: "coord-119", mentor_id: "mentor-482" };

  const send = (o: TestOrg, key: string, body: Record<string, unknown> = EVENT, bindings?: Env) =>
    answerOf(api(o.system, bindings ? { bindings } : {}), (c) =>
      c.POST(PATH, {
        params: { header: headerOf(key) },
        // The hostile bodies below are what the contract forbids: the client's types would refuse them.
        body: body as typeof EVENT,
      }),
    );

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

  it("keeps the 409 of an event recorded and since deleted under its key: another body with it is 422", async () => {
    const o = await testOrg("once-audit");
    const recorded = { ...EVENT, event_id: "ev-deleted-later" };
    const first = await send(o, "k-8", recorded);
    expect(first.response.status).toBe(201);
    const deleted = await api(o.admin).DELETE("/api/v1/proxy-audit-logs/{id}", {
      params: { path: { id: String(bodyOf(first).id) } },
    });
    expect(deleted.response.status).toBe(200);
    const refused = await send(o, "k-9", recorded);
    expect(refused.response.status).toBe(409);
    const retry = await send(o, "k-9", recorded);
    expect(retry.response.status).toBe(409);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    const other = await send(o, "k-9", { ...EVENT, event_id: "ev-other" });
    expect(other.response.status).toBe(422);
    // The record of the event's deletion is the one live entry: nothing was appended under the reused key.
    expect(await auditEntries(o.org)).toBe(1);
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
        answerOf(api(o.coordinator), (c) =>
          c.POST("/api/v1/activity-attributions", { params: { header: headerOf("race") }, body }),
        ),
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
