import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemorySyncStore, pullChanges } from "../../clients/typescript/index";
import type { SyncChange } from "../../clients/typescript/sync";
import worker from "../../src/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";
import { attributionBody } from "../helpers/world";

const FEED = "/api/v1/sync/changes";
const DAY_MS = 24 * 60 * 60 * 1000;

/** Every change from `cursor` on (the whole feed without one), in order, and the cursor after it. */
async function pull(as: TokenClaims, cursor?: string, limit = 500) {
  const changes: SyncChange[] = [];
  let next = cursor;
  for (let page = 0; page < 100; page += 1) {
    const { data, error, response } = await api(as).GET(FEED, {
      params: { query: { ...(next ? { cursor: next } : {}), limit } },
    });
    if (!data) throw new Error(`the feed answered ${response.status}: ${JSON.stringify(error)}`);
    changes.push(...data.changes);
    next = data.next_cursor;
    if (!data.has_more) return { changes, cursor: next };
  }
  throw new Error("the feed never ended");
}

const keys = (changes: SyncChange[]) => changes.map((c) => `${c.type} ${c.op} ${c.id}`);

async function logEntry(as: TokenClaims, description: string, extra: Record<string, unknown> = {}) {
  const { data, response } = await api(as).POST("/api/v1/activity-logs", {
    body: { activity_type: "check_in", description, occurred_at: "2026-03-10T09:00:00Z", ...extra },
  });
  expect(response.status).toBe(201);
  return data?.log_id ?? "";
}

async function register(o: TestOrg, mentor: string) {
  const { data, response } = await api(o.coordinator).POST("/api/v1/activity-attributions", {
    body: attributionBody(o.coordinator.sub, mentor),
  });
  expect(response.status).toBe(201);
  return { attribution: data?.attribution_id ?? "", activity: data?.activity_id ?? "" };
}

/**
 * A scripted day: two self entries of mentor-042 (one later deleted), a single registration
 * for mentor-042 moved to mentor-033 by a correction, a bulk registration for both mentors, and
 * mentor-033 renamed by an admin.
 */
async function scriptedDay(o: TestOrg) {
  const kept = await logEntry(o.mentor, "Kept");
  const dropped = await logEntry(o.mentor, "Dropped");
  const moved = await register(o, o.mentor.sub);
  const corrected = await api(o.coordinator).PUT("/api/v1/activity-attributions/{id}", {
    params: { path: { id: moved.attribution } },
    body: { mentor_id: o.otherMentor.sub },
  });
  expect(corrected.response.status).toBe(200);
  const bulk = await api(o.coordinator).POST("/api/v1/activity-attributions/batches", {
    body: {
      activity_type_id: "workshop",
      activity_date: "2026-03-12T09:00:00Z",
      coordinator_id: o.coordinator.sub,
      mentor_ids: [o.mentor.sub, o.otherMentor.sub],
      confirm: true,
    },
  });
  expect(bulk.response.status).toBe(201);
  const bulkItems = (bulk.data?.attributions ?? []).map((a) => ({
    mentor: a.attributed_to_mentor_id,
    attribution: a.attribution_id,
    activity: a.activity_id,
  }));
  expect(bulkItems).toHaveLength(2);
  const deleted = await api(o.mentor).DELETE("/api/v1/activity-logs/{id}", {
    params: { path: { id: dropped } },
  });
  expect(deleted.response.status).toBe(200);
  const renamed = await api(o.admin).PUT("/api/v1/members/{member_id}", {
    params: { path: { member_id: o.otherMentor.sub } },
    body: { name: "Alex Chen-Okafor", roles: ["mentor"] },
  });
  expect(renamed.response.status).toBe(200);
  const bulkOf = (mentor: string) => bulkItems.find((item) => item.mentor === mentor);
  return { kept, dropped, moved, bulk042: bulkOf(o.mentor.sub), bulk033: bulkOf(o.otherMentor.sub) };
}

describe("GET /api/v1/sync/changes after a scripted day", () => {
  it("gives each role exactly what it may see, change by change, in commit order", async () => {
    const o = await testOrg("sync");
    const start = {
      mentor: await pull(o.mentor),
      otherMentor: await pull(o.otherMentor),
      coordinator: await pull(o.coordinator),
    };
    // A first sync is the snapshot: the organisation's members, nothing else yet.
    expect(new Set(start.mentor.changes.map((c) => c.type))).toEqual(new Set(["member"]));
    expect(start.mentor.changes.every((c) => c.op === "upsert")).toBe(true);

    const day = await scriptedDay(o);
    const b042 = day.bulk042;
    const b033 = day.bulk033;
    if (!b042 || !b033) throw new Error("the bulk registration lacks a mentor");

    // mentor-042: its own entries and registrations; the one moved away is a delete of both records.
    const mine = await pull(o.mentor, start.mentor.cursor);
    expect(keys(mine.changes)).toEqual([
      `activity_log upsert ${day.kept}`,
      `attribution delete ${day.moved.attribution}`,
      `activity_log delete ${day.moved.activity}`,
      `activity_log upsert ${b042.activity}`,
      `attribution upsert ${b042.attribution}`,
      `activity_log delete ${day.dropped}`,
      "member upsert mentor-033",
    ]);
    // mentor-033: the registration moved to it, its bulk one, and its new name; nothing of mentor-042.
    const theirs = await pull(o.otherMentor, start.otherMentor.cursor);
    expect(keys(theirs.changes)).toEqual([
      `attribution upsert ${day.moved.attribution}`,
      `activity_log upsert ${day.moved.activity}`,
      `activity_log upsert ${b033.activity}`,
      `attribution upsert ${b033.attribution}`,
      "member upsert mentor-033",
    ]);
    // A coordinator sees the whole organisation: the moved records stay, as upserts.
    const all = await pull(o.coordinator, start.coordinator.cursor);
    expect(keys(all.changes)).toEqual([
      `activity_log upsert ${day.kept}`,
      `attribution upsert ${day.moved.attribution}`,
      `activity_log upsert ${day.moved.activity}`,
      // A bulk confirmation writes every activity, then every attribution, in one batch.
      `activity_log upsert ${b042.activity}`,
      `activity_log upsert ${b033.activity}`,
      `attribution upsert ${b042.attribution}`,
      `attribution upsert ${b033.attribution}`,
      `activity_log delete ${day.dropped}`,
      "member upsert mentor-033",
    ]);
    // Admin and compliance see what the coordinator sees.
    const orgWide = async (as: TokenClaims) =>
      keys((await pull(as)).changes)
        .filter((k) => !k.startsWith("member"))
        .sort();
    const coordinatorView = await orgWide(o.coordinator);
    expect(await orgWide(o.admin)).toEqual(coordinatorView);
    expect(await orgWide(o.compliance)).toEqual(coordinatorView);
    // Nothing more after that, and a later pull from the cursor answers nothing.
    expect((await pull(o.mentor, mine.cursor)).changes).toEqual([]);
  });

  it("carries each record as its list shows it, and deletes with no data", async () => {
    const o = await testOrg("sync");
    const start = await pull(o.mentor);
    const day = await scriptedDay(o);
    const { changes } = await pull(o.mentor, start.cursor);
    const kept = changes.find((c) => c.id === day.kept);
    const listed = await api(o.mentor).GET("/api/v1/activity-logs", { params: { query: { limit: 100 } } });
    expect(kept?.data).toEqual(listed.data?.data.find((entry) => entry.log_id === day.kept));
    const bulk = changes.find((c) => c.type === "attribution" && c.op === "upsert");
    const attributions = await api(o.mentor).GET("/api/v1/activity-attributions");
    expect(bulk?.data).toEqual(attributions.data?.data.find((a) => a.attribution_id === bulk?.id));
    const member = changes.find((c) => c.type === "member");
    expect(member?.data).toEqual({
      member_id: "mentor-033",
      name: "Alex Chen-Okafor",
      roles: ["mentor"],
      active: true,
    });
    for (const change of changes.filter((c) => c.op === "delete")) expect(change.data).toBeNull();
  });

  it("starts a first sync with upserts only, leaving out records deleted before it", async () => {
    const o = await testOrg("sync");
    const day = await scriptedDay(o);
    const first = await pull(o.mentor, undefined, 2);
    expect(first.changes.every((c) => c.op === "upsert")).toBe(true);
    expect(keys(first.changes)).not.toContain(`activity_log delete ${day.dropped}`);
    expect(
      first.changes
        .filter((c) => c.type !== "member")
        .map((c) => c.id)
        .sort(),
    ).toEqual([day.kept, day.bulk042?.activity, day.bulk042?.attribution].sort());
  });

  it("refuses the system role, a malformed cursor (400) and another caller's or role's cursor (410)", async () => {
    const o = await testOrg("sync");
    const refused = await api(o.system).GET(FEED, { params: { query: {} } });
    expect(refused.response.status).toBe(403);
    for (const cursor of ["not a cursor", "eyJ2IjoyfQ", "e30"]) {
      const bad = await api(o.mentor).GET(FEED, { params: { query: { cursor } } });
      expect(bad.response.status, cursor).toBe(400);
      expect(bad.error?.errors?.[0]?.path).toBe("cursor");
    }
    const { cursor } = await pull(o.mentor);
    for (const other of [o.otherMentor, o.as(o.mentor.sub, "mentor", "coordinator")]) {
      const foreign = await api(other).GET(FEED, { params: { query: { cursor } } });
      expect(foreign.response.status).toBe(410);
      expect(foreign.error?.type).toMatch(/\/sync-cursor-expired$/);
    }
    const tooBig = await api(o.mentor).GET(FEED, { params: { query: { limit: 501 } } });
    expect(tooBig.response.status).toBe(400);
  });
});

describe("tombstones past SYNC_RETENTION_DAYS", () => {
  it("are pruned by the cron; a cursor from before them answers 410, and a fresh start recovers", async () => {
    const o = await testOrg("sync");
    const before = await pull(o.mentor);
    const gone = await logEntry(o.mentor, "Soon gone");
    await api(o.mentor).DELETE("/api/v1/activity-logs/{id}", { params: { path: { id: gone } } });
    const kept = await logEntry(o.mentor, "Kept");
    // Within retention the old cursor still reads the tombstone.
    expect(keys((await pull(o.mentor, before.cursor)).changes)).toContain(`activity_log delete ${gone}`);

    const later = Date.now() + 91 * DAY_MS;
    await worker.scheduled(createScheduledController({ scheduledTime: later, cron: "*/5 * * * *" }), env);

    const expired = await api(o.mentor).GET(FEED, { params: { query: { cursor: before.cursor } } });
    expect(expired.response.status).toBe(410);
    expect(expired.error?.type).toMatch(/\/sync-cursor-expired$/);
    // The typed client's helper starts again from a snapshot, with no tombstone in it.
    const store = new MemorySyncStore();
    store.apply([], before.cursor);
    const result = await pullChanges(api(o.mentor), store);
    expect(result.restarted).toBe(true);
    expect(store.records.has(MemorySyncStore.key("activity_log", kept))).toBe(true);
    expect(store.records.has(MemorySyncStore.key("activity_log", gone))).toBe(false);
  });
});

describe("a first sync after tombstones were pruned", () => {
  it("reads its snapshot page by page without a 410, and still answers 410 once pruning passes where it started", async () => {
    const o = await testOrg("sync");
    const kept = [
      await logEntry(o.mentor, "One"),
      await logEntry(o.mentor, "Two"),
      await logEntry(o.mentor, "Three"),
    ];
    const gone = await logEntry(o.mentor, "Soon gone");
    await api(o.mentor).DELETE("/api/v1/activity-logs/{id}", { params: { path: { id: gone } } });
    // The cron runs 91 days later: the tombstone is pruned and the watermark passes every record.
    const later = Date.now() + 91 * DAY_MS;
    await worker.scheduled(createScheduledController({ scheduledTime: later, cron: "*/5 * * * *" }), env);

    // A new phone, two changes a page: every page of the snapshot answers.
    const store = new MemorySyncStore();
    const result = await pullChanges(api(o.mentor), store, { limit: 2 });
    expect(result.restarted).toBe(false);
    for (const id of kept) expect(store.records.has(MemorySyncStore.key("activity_log", id))).toBe(true);
    expect(store.records.has(MemorySyncStore.key("activity_log", gone))).toBe(false);

    // Another first sync stops after its first page; then a record is deleted and its tombstone
    // pruned. That deletion came after the snapshot began, so the rest of it would miss it: 410.
    const page = await api(o.mentor).GET(FEED, { params: { query: { limit: 1 } } });
    expect(page.data?.has_more).toBe(true);
    await api(o.mentor).DELETE("/api/v1/activity-logs/{id}", { params: { path: { id: kept[2] ?? "" } } });
    const muchLater = later + 91 * DAY_MS;
    await worker.scheduled(createScheduledController({ scheduledTime: muchLater, cron: "*/5 * * * *" }), env);
    const next = await api(o.mentor).GET(FEED, {
      params: { query: { cursor: page.data?.next_cursor ?? "" } },
    });
    expect(next.response.status).toBe(410);
  });
});

/** What the caller may read, by full reads of its lists: the state a synced copy must equal. */
async function fullRead(as: TokenClaims): Promise<Map<string, unknown>> {
  const records = new Map<string, unknown>();
  const logs = await api(as).GET("/api/v1/activity-logs", { params: { query: { limit: 100 } } });
  for (const entry of logs.data?.data ?? [])
    records.set(MemorySyncStore.key("activity_log", entry.log_id), entry);
  const attributions = await api(as).GET("/api/v1/activity-attributions", {
    params: { query: { limit: 100 } },
  });
  for (const a of attributions.data?.data ?? [])
    records.set(MemorySyncStore.key("attribution", a.attribution_id), a);
  const members = await api(as).GET("/api/v1/members", { params: { query: { limit: 100 } } });
  for (const { member_id, name, roles, active } of members.data?.data ?? []) {
    records.set(MemorySyncStore.key("member", member_id), { member_id, name, roles, active });
  }
  return records;
}

/**
 * Names inside a record are as of when it was read; a copy keeps current names from member
 * changes (SPEC §10). So a copy and a full read are compared without them.
 */
function withoutNames(records: Map<string, unknown>): Map<string, unknown> {
  return new Map(
    [...records].map(([key, value]) => {
      if (!key.startsWith("attribution:") || typeof value !== "object" || value === null) return [key, value];
      const {
        attributed_to_mentor_name: _,
        registered_by_coordinator_name: __,
        ...rest
      } = value as Record<string, unknown>;
      return [key, rest];
    }),
  );
}

type Op =
  | { kind: "log"; mentor: 0 | 1 }
  | { kind: "edit" | "drop"; mentor: 0 | 1; pick: number }
  | { kind: "register"; mentor: 0 | 1 }
  | { kind: "move" | "unregister" | "confirm"; pick: number }
  | { kind: "rename"; mentor: 0 | 1; name: number }
  | { kind: "pull"; client: 0 | 1 | 2 };

const mentorIndex = fc.constantFrom<0 | 1>(0, 1);
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("log" as const), mentor: mentorIndex }),
  fc.record({
    kind: fc.constantFrom("edit" as const, "drop" as const),
    mentor: mentorIndex,
    pick: fc.nat(9),
  }),
  fc.record({ kind: fc.constant("register" as const), mentor: mentorIndex }),
  fc.record({
    kind: fc.constantFrom("move" as const, "unregister" as const, "confirm" as const),
    pick: fc.nat(9),
  }),
  fc.record({ kind: fc.constant("rename" as const), mentor: mentorIndex, name: fc.nat(99) }),
  fc.record({ kind: fc.constant("pull" as const), client: fc.constantFrom<0 | 1 | 2>(0, 1, 2) }),
);

describe("a copy kept with the feed", () => {
  it("ends with exactly the records a fresh full read returns, whatever the writes and pulls (fast-check)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 18 }), async (ops) => {
        const o = await testOrg("syncprop");
        const mentors = [o.mentor, o.otherMentor] as const;
        const clients = [o.mentor, o.otherMentor, o.coordinator] as const;
        const stores = clients.map(() => new MemorySyncStore());
        const logs: [string[], string[]] = [[], []];
        const attributions: { id: string; mentor: 0 | 1 }[] = [];
        let serial = 0;
        for (const op of ops) {
          serial += 1;
          switch (op.kind) {
            case "log":
              logs[op.mentor].push(
                await logEntry(mentors[op.mentor], `Entry ${serial}`, {
                  occurred_at: `2026-03-10T09:00:${String(serial % 60).padStart(2, "0")}Z`,
                }),
              );
              break;
            case "edit":
            case "drop": {
              const id = logs[op.mentor][op.pick % Math.max(1, logs[op.mentor].length)];
              if (id === undefined) break;
              const path = { params: { path: { id } } };
              if (op.kind === "edit")
                await api(mentors[op.mentor]).PUT("/api/v1/activity-logs/{id}", {
                  ...path,
                  body: { description: `Edited ${serial}` },
                });
              else {
                await api(mentors[op.mentor]).DELETE("/api/v1/activity-logs/{id}", path);
                logs[op.mentor] = logs[op.mentor].filter((x) => x !== id);
              }
              break;
            }
            case "register":
              attributions.push({
                id: (await register(o, mentors[op.mentor].sub)).attribution,
                mentor: op.mentor,
              });
              break;
            case "move":
            case "unregister":
            case "confirm": {
              const target = attributions[op.pick % Math.max(1, attributions.length)];
              if (target === undefined) break;
              const path = { params: { path: { id: target.id } } };
              if (op.kind === "move") {
                target.mentor = target.mentor === 0 ? 1 : 0;
                await api(o.coordinator).PUT("/api/v1/activity-attributions/{id}", {
                  ...path,
                  body: { mentor_id: mentors[target.mentor].sub },
                });
              } else if (op.kind === "unregister") {
                await api(o.coordinator).DELETE("/api/v1/activity-attributions/{id}", path);
                attributions.splice(attributions.indexOf(target), 1);
              } else {
                await api(mentors[target.mentor]).POST("/api/v1/activity-attributions/{id}/confirm", path);
              }
              break;
            }
            case "rename":
              await api(o.admin).PUT("/api/v1/members/{member_id}", {
                params: { path: { member_id: mentors[op.mentor].sub } },
                body: { name: `Renamed ${op.name}`, roles: ["mentor"] },
              });
              break;
            case "pull": {
              const store = stores[op.client];
              const as = clients[op.client];
              if (store && as) await pullChanges(api(as), store, { limit: 3 });
              break;
            }
          }
        }
        for (const [i, as] of clients.entries()) {
          const store = stores[i];
          if (!store) continue;
          await pullChanges(api(as), store, { limit: 3 });
          expect(withoutNames(store.records), as.sub).toEqual(withoutNames(await fullRead(as)));
        }
      }),
      { numRuns: 12, seed: 20261127 },
    );
  }, 120_000);
});
