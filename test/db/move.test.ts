import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { components } from "../../clients/typescript/index";
import {
  MOVE_CACHE_MARGIN_MS,
  type MoveOptions,
  MoveRefused,
  type MoveReport,
  type MoveStep,
  moveOrganisation,
} from "../../src/db/move";
import { DIRECTORY_CACHE_TTL_MS } from "../../src/db/placement";
import { createDirectoryDb, readPlacement } from "../../src/db/queries/directory";
import { BOOKMARK_HEADER } from "../../src/http/database";
import worker from "../../src/index";
import { api } from "../helpers/client";
import { d1Of, freezeOf, orgRowCount, orgRows, shardBindings, testDatabases } from "../helpers/databases";
import { withAuditDown } from "../helpers/doubles";
import { instrumentD1 } from "../helpers/instrumented-d1";
import { type TestOrg, testOrg } from "../helpers/org";
import {
  activityLogOf,
  attributionBody,
  attributionOf,
  batchBody,
  observe,
  pendingBatchOf,
} from "../helpers/world";

type Problem = components["schemas"]["Problem"];

const LOGS = "/api/v1/activity-logs";
const ATTRIBUTIONS = "/api/v1/activity-attributions";
const entry = (description: string) => ({
  activity_type: "check_in",
  description,
  occurred_at: "2026-03-24T14:00:00Z",
});

/**
 * The isolate's clock moves on by `ms` at once: the directory cache's lifetime passes the way
 * it does in production, without the test waiting for it.
 */
async function passTime(ms: number): Promise<void> {
  vi.setSystemTime(Date.now() + ms);
}

function moveOf(o: TestOrg, to: string, extra: Partial<MoveOptions> = {}): Promise<MoveReport> {
  return moveOrganisation({
    directory: env.DIRECTORY,
    databases: testDatabases(),
    bindings: env as unknown as Record<string, unknown>,
    orgId: o.org,
    to,
    wait: passTime,
    ...extra,
  });
}

/** The other database organisations are placed on by their first request. */
const otherThan = (database: string) => (database === "DB_1" ? "DB_2" : "DB_1");

const placementOf = (org: string) => readPlacement(createDirectoryDb(env.DIRECTORY), org);

const drain = () => worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);

/**
 * An organisation with a row in every table a move copies: activity logs, attributions (so
 * counters and totals), a confirmed and a pending batch, a remembered idempotency key, and an
 * audit event still in the outbox.
 */
async function seeded(): Promise<TestOrg> {
  const o = await testOrg("move");
  await activityLogOf(o, o.mentor.sub);
  await attributionOf(o, o.coordinator.sub, o.mentor.sub);
  await attributionOf(o, o.coordinator.sub, o.otherMentor.sub);
  const bulk = await api(o.coordinator).POST(`${ATTRIBUTIONS}/batches`, {
    body: batchBody(o, o.coordinator.sub, true),
  });
  expect(bulk.response.status).toBe(201);
  await pendingBatchOf(o, o.coordinator.sub);
  const keyed = await api(o.mentor, { headers: { "Idempotency-Key": "seed-1" } }).POST(LOGS, {
    body: entry("Remembered"),
  });
  expect(keyed.response.status).toBe(201);
  const late = await api(o.coordinator, { bindings: withAuditDown() }).POST(ATTRIBUTIONS, {
    body: attributionBody(o.coordinator.sub, o.mentor.sub),
  });
  expect(late.response.status).toBe(201);
  return o;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("moving an organisation to another database", () => {
  it("copies every table with its counters and totals, and leaves the old database only its moved marker", async () => {
    const o = await seeded();
    const from = o.database;
    const to = otherThan(from);
    const before = await orgRows(o.d1, o.org);
    for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);
    const seen = await observe(o);

    const report = await moveOf(o, to);

    expect(report).toMatchObject({ orgId: o.org, from, to });
    expect(report.tables.map((t) => [t.table, t.rows])).toEqual(
      Object.entries(before).map(([table, rows]) => [table, rows.length]),
    );
    expect(await orgRows(d1Of(to), o.org)).toEqual(before);
    // The totals are the source's, not the source's plus what the target's triggers counted.
    const [[, activityTotal]] = before.activity_totals as [[string, number]];
    expect(activityTotal).toBe(before.activities?.length);
    expect(await placementOf(o.org)).toEqual({ database: to, jurisdiction: null });
    expect(await orgRowCount(o.d1, o.org)).toBe(0);
    expect(await freezeOf(o.d1, o.org)).toEqual({ state: "moved", other_database: to });
    expect(await freezeOf(d1Of(to), o.org)).toBeNull();
    const moves = await env.DIRECTORY.prepare("select state, detail from org_moves where org_id = ?")
      .bind(o.org)
      .all();
    expect(moves.results).toEqual([{ state: "done", detail: `moved to ${to}` }]);

    // Served from the new database (the move waited out the directory cache): the same answers.
    expect(await observe(o)).toEqual(seen);
    // The idempotency key came along: its retry replays instead of writing again.
    const retry = await api(o.mentor, { headers: { "Idempotency-Key": "seed-1" } }).POST(LOGS, {
      body: entry("Remembered"),
    });
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    // The counters came along: the next registration of the day takes the next number.
    const numbers = (before.id_counters as [string, string, string, number][]).map((row) => row[3]);
    const next = await api(o.coordinator).POST(ATTRIBUTIONS, {
      body: attributionBody(o.coordinator.sub, o.otherMentor.sub),
    });
    expect(next.data?.attribution_id).toMatch(
      new RegExp(`-${String(Math.max(...numbers) + 1).padStart(3, "0")}$`),
    );
    // The outbox row came along, and the cron of the new database delivers it.
    await drain();
    expect((await orgRows(d1Of(to), o.org)).audit_outbox).toEqual([]);
  });

  it("refuses writes while the organisation is frozen, with 503 and Retry-After, and writes nothing", async () => {
    const o = await testOrg("frozen");
    const to = otherThan(o.database);
    const attempts: Partial<Record<MoveStep, { response: Response; error?: Problem }>> = {};
    let rowsWhileFrozen = -1;
    await moveOf(o, to, {
      onStep: async (step) => {
        if (step !== "frozen" && step !== "verified") return;
        if (step === "frozen") rowsWhileFrozen = await orgRowCount(o.d1, o.org);
        attempts[step] = await api(o.mentor).POST(LOGS, { body: entry(`at ${step}`) });
        // Every kind of write is refused, not only activity logs.
        const registration = await api(o.coordinator).POST(ATTRIBUTIONS, {
          body: attributionBody(o.coordinator.sub, o.mentor.sub),
        });
        expect(registration.response.status).toBe(503);
        const member = await api(o.admin).PUT("/api/v1/members/{member_id}", {
          params: { path: { member_id: "mentor-777" } },
          body: { name: "New Mentor", roles: ["mentor"], active: true },
        });
        expect(member.response.status).toBe(503);
        expect(await orgRowCount(o.d1, o.org)).toBe(rowsWhileFrozen);
      },
    });
    for (const step of ["frozen", "verified"] as const) {
      const attempt = attempts[step];
      expect(attempt?.response.status, step).toBe(503);
      expect(attempt?.response.headers.get("Retry-After")).toBe("10");
      expect(attempt?.error?.type).toMatch(/\/organisation_moving$/);
      expect(attempt?.error?.detail).toMatch(/nothing was written/);
    }
    const rows = await orgRows(d1Of(to), o.org);
    expect(rows.activities).toEqual([]);
    expect(rows.attributions).toEqual([]);
    expect((rows.members ?? []).map((m) => m[1])).not.toContain("mentor-777");
  });

  it("loses no write and applies none twice under a concurrent writer", async () => {
    const o = await testOrg("busy");
    const to = otherThan(o.database);
    await activityLogOf(o, o.mentor.sub);
    const outcomes: { description: string; status: number; id: string | undefined }[] = [];
    let serial = 0;
    const write = async () => {
      serial += 1;
      const description = `written during the move ${serial}`;
      const { response, data } = await api(o.mentor).POST(LOGS, { body: entry(description) });
      outcomes.push({ description, status: response.status, id: data?.log_id });
      return response.status;
    };
    const atStep: Partial<Record<MoveStep, number>> = {};
    let moving = true;
    const writer = (async () => {
      while (moving) await write();
    })();
    try {
      await moveOf(o, to, {
        onStep: async (step) => {
          atStep[step] = await write();
        },
      });
    } finally {
      moving = false;
      await writer;
    }
    // One more after the move, through the isolate that saw it all.
    expect(await write()).toBe(201);

    // Between the freeze and the flip every write is refused; after the wait they land.
    expect([atStep.frozen, atStep.copied, atStep.verified]).toEqual([503, 503, 503]);
    expect(atStep.waited).toBe(201);
    expect(outcomes.every((x) => x.status === 201 || x.status === 503)).toBe(true);
    const landed = outcomes.filter((x) => x.status === 201);
    const refused = outcomes.filter((x) => x.status === 503);
    expect(refused.length).toBeGreaterThan(0);

    const stored = await d1Of(to)
      .prepare("select activity_id, description from activities where org_id = ?")
      .bind(o.org)
      .all<{ activity_id: string; description: string }>();
    const written = stored.results.filter((r) => r.description.startsWith("written during the move"));
    // Each answered 201 is there exactly once, under the ID it was answered with; no 503 is.
    expect(written.map((r) => r.activity_id).sort()).toEqual(landed.map((x) => x.id).sort());
    expect(new Set(written.map((r) => r.description)).size).toBe(written.length);
    for (const x of refused) expect(written.map((r) => r.description)).not.toContain(x.description);
    expect(stored.results).toHaveLength(landed.length + 1);
    const total = await d1Of(to)
      .prepare("select total from activity_totals where org_id = ?")
      .bind(o.org)
      .first<{ total: number }>();
    expect(total?.total).toBe(landed.length + 1);
    expect(await orgRowCount(o.d1, o.org)).toBe(0);
  });

  it("keeps serving reads from the frozen copy until the directory cache expires, then from the new database", async () => {
    const o = await testOrg("stale");
    const to = otherThan(o.database);
    const logId = await activityLogOf(o, o.mentor.sub);
    // This isolate has the organisation's placement cached, as a busy one would.
    expect((await api(o.mentor).GET(LOGS)).response.status).toBe(200);
    const seenBy = async (headers: Record<string, string> = {}) => {
      const calls: Record<string, number> = { DIRECTORY: 0 };
      const counted = (name: string, d1: D1Database) =>
        instrumentD1(d1, {
          call: (run) => {
            calls[name] = (calls[name] ?? 0) + 1;
            return run();
          },
        });
      const bindings = {
        ...env,
        DIRECTORY: counted("DIRECTORY", env.DIRECTORY),
        ...Object.fromEntries(shardBindings().map(({ name, d1 }) => [name, counted(name, d1)])),
      };
      const read = await api(o.mentor, { bindings }).GET(LOGS, { headers });
      expect(read.response.status).toBe(200);
      return {
        calls,
        ids: read.data?.data.map((log) => log.log_id),
        bookmark: read.response.headers.get(BOOKMARK_HEADER),
      };
    };
    await moveOf(o, to, {
      onStep: async (step) => {
        if (step !== "flipped") return;
        // Still within the cache's lifetime: the old database answers, from its frozen copy.
        const stale = await seenBy();
        expect(stale.calls).toEqual({ DIRECTORY: 0, [o.database]: 1 });
        expect(stale.ids).toEqual([logId]);
        // A caller that has seen the new database says so with its bookmark: the directory is asked again.
        const told = await seenBy({ [BOOKMARK_HEADER]: `${to}:00000000-00000001-00000000-0` });
        expect(told.calls).toEqual({ DIRECTORY: 1, [to]: 1 });
        expect(told.bookmark).toMatch(new RegExp(`^${to}:`));
      },
      // The wait is run step by step here, to look just before the lifetime ends and just after.
      wait: async (ms) => {
        await passTime(DIRECTORY_CACHE_TTL_MS - 1);
        await passTime(ms - DIRECTORY_CACHE_TTL_MS + 1);
      },
    });
    // The cached answer has expired: the directory is read again, and the new database answers.
    const fresh = await seenBy();
    expect(fresh.calls.DIRECTORY).toBe(1);
    expect(fresh.calls[o.database]).toBeUndefined();
    expect(fresh.calls[to]).toBeGreaterThan(0);
    expect(fresh.ids).toEqual([logId]);
  });

  it("waits the Worker's configured directory cache and the margin, when told it", async () => {
    const o = await testOrg("cache-wait");
    const waited: number[] = [];
    await moveOf(o, otherThan(o.database), {
      cacheTtlMs: 5_000,
      wait: async (ms) => {
        waited.push(ms);
        await passTime(ms);
      },
    });
    expect(waited).toEqual([5_000 + MOVE_CACHE_MARGIN_MS]);
  });

  it("starts the session of a bookmark from the old database at first-primary, instead of failing", async () => {
    const o = await testOrg("bookmark");
    const to = otherThan(o.database);
    const write = await api(o.mentor).POST(LOGS, { body: entry("Before the move") });
    const old = write.response.headers.get(BOOKMARK_HEADER) ?? "";
    expect(old).toMatch(new RegExp(`^${o.database}:`));
    await moveOf(o, to);

    const starts: (string | undefined)[] = [];
    const bindings = {
      ...env,
      ...Object.fromEntries(
        shardBindings().map(({ name, d1 }) => [name, instrumentD1(d1, { session: (s) => starts.push(s) })]),
      ),
    };
    const read = await api(o.mentor, { bindings }).GET(LOGS, { headers: { [BOOKMARK_HEADER]: old } });
    expect(read.response.status).toBe(200);
    expect(starts).toEqual(["first-primary"]);
    expect(read.data?.data.map((log) => log.description)).toEqual(["Before the move"]);
    expect(read.response.headers.get(BOOKMARK_HEADER)).toMatch(new RegExp(`^${to}:`));
  });

  it("undoes the copy and lifts the freeze when the copies do not match", async () => {
    const o = await seeded();
    const to = otherThan(o.database);
    const before = await orgRows(o.d1, o.org);
    await expect(
      moveOf(o, to, {
        onStep: async (step) => {
          // A copy damaged on the way: the checksums must catch it.
          if (step === "copied") {
            await d1Of(to)
              .prepare("update activities set description = 'tampered' where org_id = ?")
              .bind(o.org)
              .run();
          }
        },
      }),
    ).rejects.toThrow(/activities: .* rows in/);
    expect(await placementOf(o.org)).toEqual({ database: o.database, jurisdiction: null });
    expect(await orgRowCount(d1Of(to), o.org)).toBe(0);
    expect(await freezeOf(d1Of(to), o.org)).toBeNull();
    expect(await freezeOf(o.d1, o.org)).toBeNull();
    expect(await orgRows(o.d1, o.org)).toEqual(before);
    const moves = await env.DIRECTORY.prepare("select state, detail from org_moves where org_id = ?")
      .bind(o.org)
      .first<{ state: string; detail: string }>();
    expect(moves?.state).toBe("failed");
    expect(moves?.detail).toMatch(/^rolled back: activities/);
    // Writes are accepted again where the organisation still lives.
    expect((await api(o.mentor).POST(LOGS, { body: entry("After the failed move") })).response.status).toBe(
      201,
    );
  });
});

describe("a mobile client's changes feed across a move", () => {
  it("reads on from the cursor it held before the move: only what changed after it, nothing twice", async () => {
    const o = await seeded();
    // Edits take feed numbers of their own in the source; a target that numbered the copied rows
    // afresh would hand the next change a number at or below the client's cursor.
    const own = await activityLogOf(o, o.mentor.sub);
    for (const description of ["Edited once", "Edited twice", "Edited thrice"]) {
      const edit = await api(o.mentor).PUT("/api/v1/activity-logs/{id}", {
        params: { path: { id: own } },
        body: { description },
      });
      expect(edit.response.status).toBe(200);
    }
    const feed = (cursor?: string) =>
      api(o.mentor).GET("/api/v1/sync/changes", {
        params: { query: { ...(cursor ? { cursor } : {}), limit: 100 } },
      });
    const first = await feed();
    expect(first.data?.has_more).toBe(false);
    expect(first.data?.changes.length).toBeGreaterThan(0);
    const cursor = first.data?.next_cursor;

    await moveOf(o, otherThan(o.database));
    const quiet = await feed(cursor);
    expect(quiet.response.status).toBe(200);
    expect(quiet.data?.changes).toEqual([]);

    const created = await api(o.mentor).POST(LOGS, { body: entry("Logged after the move") });
    expect(created.response.status).toBe(201);
    const after = await feed(cursor);
    expect(after.data?.changes.map((c) => [c.type, c.op, c.id])).toEqual([
      ["activity_log", "upsert", created.data?.log_id],
    ]);
  });
});

describe("a move that is refused changes nothing", () => {
  it("refuses a move to a database in another jurisdiction", async () => {
    const o = await testOrg("jurisdiction");
    await activityLogOf(o, o.mentor.sub);
    const before = await orgRows(o.d1, o.org);
    await expect(moveOf(o, "DB_3")).rejects.toThrow(
      new MoveRefused(
        `${o.org} is in jurisdiction none and DB_3 in eu: its audit log cannot follow it there, so moves between jurisdictions are refused`,
      ),
    );
    expect(await placementOf(o.org)).toEqual({ database: o.database, jurisdiction: null });
    expect(await orgRows(o.d1, o.org)).toEqual(before);
    expect(await freezeOf(o.d1, o.org)).toBeNull();
    expect(await orgRowCount(env.DB_3, o.org)).toBe(0);
    const moves = await env.DIRECTORY.prepare("select count(*) as n from org_moves where org_id = ?")
      .bind(o.org)
      .first<{ n: number }>();
    expect(moves?.n).toBe(0);
    expect((await api(o.mentor).POST(LOGS, { body: entry("Still here") })).response.status).toBe(201);
  });

  it("refuses an EU organisation's move out of the EU", async () => {
    const o = await testOrg("eu", { database: "DB_3" });
    await expect(moveOf(o, "DB_1")).rejects.toThrow(/jurisdiction eu and DB_1 in none/);
    expect(await placementOf(o.org)).toEqual({ database: "DB_3", jurisdiction: "eu" });
  });

  it.each([
    ["the database it is on", (o: TestOrg) => o.database, /is on DB_\d already/],
    ["a database D1_DATABASES does not list", () => "DB_9", /DB_9 is not one of D1_DATABASES/],
  ])("refuses a move to %s", async (_label, target, message) => {
    const o = await testOrg("refused");
    await expect(moveOf(o, target(o))).rejects.toThrow(message);
    expect(await freezeOf(o.d1, o.org)).toBeNull();
  });

  it("refuses an organisation the directory does not know", async () => {
    const o = await testOrg("unknown");
    await expect(moveOf({ ...o, org: `${o.org}-nobody` }, otherThan(o.database))).rejects.toThrow(
      /does not know organisation/,
    );
  });

  it("runs one move of an organisation at a time", async () => {
    const o = await testOrg("twice");
    const to = otherThan(o.database);
    const results = await Promise.allSettled([moveOf(o, to), moveOf(o, to)]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = results.find((r) => r.status === "rejected");
    expect(refused?.status === "rejected" && refused.reason).toBeInstanceOf(MoveRefused);
    expect(await placementOf(o.org)).toEqual({ database: to, jurisdiction: null });
  });
});
