import { describe, expect, it } from "vitest";
import type { components, MentorActivityClient } from "../../clients/typescript/index";
import { forgetPlacement } from "../../src/db/placement";
import { newOrg } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { addMember } from "../helpers/members";
import { type TestOrg, testOrg } from "../helpers/org";
import { countCall } from "../helpers/round-trips";
import table from "./round-trip-budgets.json";

type BudgetName = keyof typeof table.budgets;
type CreateAttribution = components["schemas"]["CreateAttribution"];
type CreateBatch = components["schemas"]["CreateBatch"];

const BULK_MENTORS = 50;

/** The organisation, with what the counted requests aim at. */
interface Fixture extends TestOrg {
  logId: string;
  attributionId: string;
  bulkMentors: string[];
}

const workshop = (mentorId: string, date = "2026-03-26T09:00:00Z"): CreateAttribution => ({
  activity_type_id: "workshop",
  activity_date: date,
  duration_minutes: 120,
  location: "Innovation Lab",
  notes: "Resume workshop",
  coordinator_id: "coord-007",
  mentor_id: mentorId,
});

/** The workshop, registered for the 50 bulk mentors at once. */
const bulkWorkshop = (f: Fixture): CreateBatch => {
  const { mentor_id: _single, ...activity } = workshop("unused");
  return { ...activity, mentor_ids: f.bulkMentors };
};

/** A day of 100 entries queued offline for `mentorId`. */
const queued = (mentorId: string) =>
  Array.from({ length: 100 }, (_, i) => ({
    mentor_id: mentorId,
    activity_type: "check_in",
    description: `Queued ${i}`,
    occurred_at: "2026-03-25T10:00:00Z",
    client_ref: `queue:${i}`,
  }));

/** The answer of a setup call the counted request depends on: it must have succeeded. */
function created<T>(sent: { data?: T; error?: unknown; response: Response }): T {
  expect(sent.response.status, JSON.stringify(sent.error)).toBeLessThan(300);
  if (sent.data === undefined) throw new Error(`A ${sent.response.status} without a body`);
  return sent.data;
}

/**
 * The organisation with an activity log, an attribution (and so an audit entry), and,
 * when asked, 50 more mentors. Each caller has made one request already: the
 * authentication middleware then trusts its member status for 30 s, so what is counted
 * is the endpoint's own cost, as for a client that is using the app.
 */
async function fixture(options: { bulkMentors?: boolean } = {}): Promise<Fixture> {
  const o = await testOrg();
  const bulkMentors = options.bulkMentors
    ? Array.from({ length: BULK_MENTORS }, (_, i) => `mentor-bulk-${String(i).padStart(3, "0")}`)
    : [];
  for (const id of bulkMentors) await addMember(o.org, id, ["mentor"]);
  const log = created(
    await api(o.mentor).POST("/api/v1/activity-logs", {
      body: {
        activity_type: "check_in",
        description: "Weekly check-in",
        occurred_at: "2026-03-24T14:00:00Z",
      },
    }),
  );
  const attribution = created(
    await api(o.coordinator).POST("/api/v1/activity-attributions", { body: workshop("mentor-033") }),
  );
  for (const who of [o.coordinator, o.admin, o.compliance, o.mentor]) {
    await countCall(who, (c) => c.GET("/api/v1/activity-types"));
  }
  return { ...o, logId: log.log_id, attributionId: attribution.attribution_id, bulkMentors };
}

/** A registration for `mentorId` (whose caller the fixture has warmed up), made uncounted. */
const registered = async (f: Fixture, mentorId: string) =>
  created(
    await api(f.coordinator).POST("/api/v1/activity-attributions", {
      body: workshop(mentorId, "2026-03-27T09:00:00Z"),
    }),
  );

/** What a call of the typed client answers, whatever its route. */
interface Sent {
  data?: unknown;
  error?: unknown;
  response: Response;
}

interface Case {
  name: BudgetName;
  bulk?: boolean;
  /** Prepares what the counted request needs (uncounted), and names who sends it and how. */
  request: (
    f: Fixture,
  ) => Promise<{ as: TokenClaims; send: (client: MentorActivityClient) => Promise<Sent> }>;
}

const cases: Case[] = [
  {
    name: "activity-log list",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) => c.GET("/api/v1/activity-logs", { params: { query: { limit: 20 } } }),
    }),
  },
  {
    name: "activity-log get",
    request: async (f) => ({
      as: f.mentor,
      send: (c) => c.GET("/api/v1/activity-logs/{id}", { params: { path: { id: f.logId } } }),
    }),
  },
  {
    name: "activity-log create",
    request: async (f) => ({
      as: f.mentor,
      send: (c) =>
        c.POST("/api/v1/activity-logs", {
          body: {
            activity_type: "referral_made",
            description: "Referral",
            occurred_at: "2026-03-25T10:00:00Z",
          },
        }),
    }),
  },
  {
    name: "activity-log create (Idempotency-Key)",
    request: async (f) => ({
      as: f.mentor,
      send: (c) =>
        c.POST("/api/v1/activity-logs", {
          params: { header: { "idempotency-key": "log-key" } },
          body: {
            activity_type: "referral_made",
            description: "Referral",
            occurred_at: "2026-03-25T10:00:00Z",
          },
        }),
    }),
  },
  {
    name: "activity-log update",
    request: async (f) => ({
      as: f.mentor,
      send: (c) =>
        c.PUT("/api/v1/activity-logs/{id}", {
          params: { path: { id: f.logId } },
          body: { duration_minutes: 45 },
        }),
    }),
  },
  {
    name: "activity-log delete",
    request: async (f) => ({
      as: f.mentor,
      send: (c) => c.DELETE("/api/v1/activity-logs/{id}", { params: { path: { id: f.logId } } }),
    }),
  },
  {
    name: "activity-log create (admin, for a mentor)",
    request: async (f) => ({
      as: f.admin,
      send: (c) =>
        c.POST("/api/v1/activity-logs", {
          body: {
            mentor_id: "mentor-042",
            activity_type: "referral_made",
            description: "Referral",
            occurred_at: "2026-03-25T10:00:00Z",
          },
        }),
    }),
  },
  {
    name: "activity-log batch upload (100 entries)",
    request: async (f) => ({
      as: f.mentor,
      send: (c) => c.POST("/api/v1/activity-logs/batch", { body: { entries: queued("mentor-042") } }),
    }),
  },
  {
    name: "activity-log batch upload (admin, 100 entries for a mentor)",
    request: async (f) => ({
      as: f.admin,
      send: (c) => c.POST("/api/v1/activity-logs/batch", { body: { entries: queued("mentor-042") } }),
    }),
  },
  {
    name: "sync changes page",
    request: async (f) => ({
      as: f.mentor,
      send: (c) => c.GET("/api/v1/sync/changes", { params: { query: { limit: 100 } } }),
    }),
  },
  {
    name: "activity-log update (admin, a mentor's entry)",
    request: async (f) => ({
      as: f.admin,
      send: (c) =>
        c.PUT("/api/v1/activity-logs/{id}", {
          params: { path: { id: f.logId } },
          body: { duration_minutes: 50 },
        }),
    }),
  },
  {
    name: "activity-log delete (admin, a mentor's entry)",
    request: async (f) => ({
      as: f.admin,
      send: (c) => c.DELETE("/api/v1/activity-logs/{id}", { params: { path: { id: f.logId } } }),
    }),
  },
  {
    name: "activity-log summary",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) =>
        c.GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", {
          params: { path: { mentor_id: "mentor-042" }, query: { date: "2026-03-24" } },
        }),
    }),
  },
  {
    name: "activity-log count-by-type",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) =>
        c.GET("/api/v1/activity-logs/mentor/{mentor_id}/count-by-type", {
          params: { path: { mentor_id: "mentor-042" } },
        }),
    }),
  },
  {
    name: "attribution list",
    request: async (f) => ({ as: f.coordinator, send: (c) => c.GET("/api/v1/activity-attributions") }),
  },
  {
    name: "attribution get",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) => c.GET("/api/v1/activity-attributions/{id}", { params: { path: { id: f.attributionId } } }),
    }),
  },
  {
    name: "attribution create",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) => c.POST("/api/v1/activity-attributions", { body: workshop("mentor-482") }),
    }),
  },
  {
    name: "attribution create (Idempotency-Key)",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) =>
        c.POST("/api/v1/activity-attributions", {
          params: { header: { "idempotency-key": "create-key" } },
          body: workshop("mentor-482"),
        }),
    }),
  },
  {
    name: "attribution create (Idempotency-Key, replayed)",
    request: async (f) => {
      const params = { header: { "idempotency-key": "replayed-key" } };
      created(
        await api(f.coordinator).POST("/api/v1/activity-attributions", {
          params,
          body: workshop("mentor-482"),
        }),
      );
      return {
        as: f.coordinator,
        send: (c) => c.POST("/api/v1/activity-attributions", { params, body: workshop("mentor-482") }),
      };
    },
  },
  {
    name: "attribution update",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) =>
        c.PUT("/api/v1/activity-attributions/{id}", {
          params: { path: { id: f.attributionId } },
          body: { duration_minutes: 90, location: "Room 2" },
        }),
    }),
  },
  {
    name: "attribution delete",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) =>
        c.DELETE("/api/v1/activity-attributions/{id}", { params: { path: { id: f.attributionId } } }),
    }),
  },
  {
    name: "attribution confirm",
    request: async (f) => {
      const { attribution_id: id } = await registered(f, "mentor-042");
      return {
        as: f.mentor,
        send: (c) => c.POST("/api/v1/activity-attributions/{id}/confirm", { params: { path: { id } } }),
      };
    },
  },
  {
    name: "attribution dispute",
    request: async (f) => {
      const { attribution_id: id } = await registered(f, "mentor-042");
      return {
        as: f.mentor,
        send: (c) =>
          c.POST("/api/v1/activity-attributions/{id}/dispute", {
            params: { path: { id } },
            body: { reason: "Not my session" },
          }),
      };
    },
  },
  {
    name: "attribution dispute (Idempotency-Key)",
    request: async (f) => {
      const { attribution_id: id } = await registered(f, "mentor-042");
      return {
        as: f.mentor,
        send: (c) =>
          c.POST("/api/v1/activity-attributions/{id}/dispute", {
            params: { path: { id }, header: { "idempotency-key": "dispute-key" } },
            body: { reason: "Not my session" },
          }),
      };
    },
  },
  {
    name: "attribution dispute (If-Match)",
    request: async (f) => {
      const { attribution_id: id } = await registered(f, "mentor-042");
      const read = await api(f.mentor).GET("/api/v1/activity-attributions/{id}", {
        params: { path: { id } },
      });
      const tag = read.response.headers.get("ETag");
      if (tag === null) throw new Error("the attribution answered no ETag");
      return {
        as: f.mentor,
        send: (c) =>
          c.POST("/api/v1/activity-attributions/{id}/dispute", {
            params: { path: { id }, header: { "if-match": tag } },
            body: { reason: "Not my session" },
          }),
      };
    },
  },
  {
    name: "attribution org audit log",
    request: async (f) => ({
      as: f.compliance,
      send: (c) => c.GET("/api/v1/activity-attributions/audit-log"),
    }),
  },
  {
    name: "bulk preview (50 mentors)",
    bulk: true,
    request: async (f) => ({
      as: f.coordinator,
      send: (c) => c.POST("/api/v1/activity-attributions/batches", { body: bulkWorkshop(f) }),
    }),
  },
  {
    name: "bulk confirm (50 mentors)",
    bulk: true,
    request: async (f) => {
      const batch = created(
        await api(f.coordinator).POST("/api/v1/activity-attributions/batches", { body: bulkWorkshop(f) }),
      );
      return {
        as: f.coordinator,
        send: (c) =>
          c.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", {
            params: { path: { batch_id: batch.batch_id } },
          }),
      };
    },
  },
  {
    name: "bulk confirm (50 mentors, Idempotency-Key)",
    bulk: true,
    request: async (f) => {
      const batch = created(
        await api(f.coordinator).POST("/api/v1/activity-attributions/batches", { body: bulkWorkshop(f) }),
      );
      return {
        as: f.coordinator,
        send: (c) =>
          c.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", {
            params: { path: { batch_id: batch.batch_id }, header: { "idempotency-key": "bulk-key" } },
          }),
      };
    },
  },
  {
    name: "proxy-audit list",
    request: async (f) => ({ as: f.compliance, send: (c) => c.GET("/api/v1/proxy-audit-logs") }),
  },
  {
    name: "proxy-audit get",
    request: async (f) => ({
      as: f.compliance,
      send: (c) => c.GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id: "log-001" } } }),
    }),
  },
  {
    name: "proxy-audit by-coordinator",
    request: async (f) => ({
      as: f.compliance,
      send: (c) =>
        c.GET("/api/v1/proxy-audit-logs/by-coordinator/{coordinator_id}", {
          params: { path: { coordinator_id: "coord-007" } },
        }),
    }),
  },
  {
    name: "proxy-audit append",
    request: async (f) => ({
      as: f.system,
      send: (c) =>
        c.POST("/api/v1/proxy-audit-logs", {
          body: {
            action: "proxy_created",
            coordinator_id: "coord-119",
            mentor_id: "mentor-482",
            activity_id: "pa-005",
          },
        }),
    }),
  },
  {
    name: "proxy-audit append (Idempotency-Key)",
    request: async (f) => ({
      as: f.system,
      send: (c) =>
        c.POST("/api/v1/proxy-audit-logs", {
          params: { header: { "idempotency-key": "append-key" } },
          body: {
            action: "proxy_created",
            coordinator_id: "coord-119",
            mentor_id: "mentor-482",
            activity_id: "pa-006",
          },
        }),
    }),
  },
  {
    name: "proxy-audit annotate",
    request: async (f) => ({
      as: f.admin,
      send: (c) =>
        c.PUT("/api/v1/proxy-audit-logs/{id}", {
          params: { path: { id: "log-001" } },
          body: { annotation: "Reviewed", reviewed_by: "admin-007" },
        }),
    }),
  },
  {
    name: "proxy-audit delete",
    request: async (f) => ({
      as: f.admin,
      send: (c) => c.DELETE("/api/v1/proxy-audit-logs/{id}", { params: { path: { id: "log-001" } } }),
    }),
  },
  {
    name: "proxy-audit verify",
    request: async (f) => ({ as: f.compliance, send: (c) => c.GET("/api/v1/proxy-audit-logs/verify") }),
  },
  {
    name: "proxy-audit full re-hash",
    request: async (f) => ({ as: f.compliance, send: (c) => c.POST("/api/v1/proxy-audit-logs/verify", {}) }),
  },
  {
    name: "proxy-audit checkpoint",
    request: async (f) => ({ as: f.compliance, send: (c) => c.GET("/api/v1/proxy-audit-logs/checkpoint") }),
  },
  {
    name: "proxy-audit checkpoints",
    request: async (f) => ({ as: f.compliance, send: (c) => c.GET("/api/v1/proxy-audit-logs/checkpoints") }),
  },
  {
    name: "proxy-audit inclusion proof",
    request: async (f) => ({
      as: f.compliance,
      send: (c) =>
        c.GET("/api/v1/proxy-audit-logs/{id}/proof", { params: { path: { id: "log-001" }, query: {} } }),
    }),
  },
  {
    name: "proxy-audit consistency proof",
    request: async (f) => ({
      as: f.compliance,
      send: (c) => c.GET("/api/v1/proxy-audit-logs/consistency", { params: { query: { from: 0 } } }),
    }),
  },
  {
    name: "member list",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) => c.GET("/api/v1/members", { params: { query: { role: "mentor" } } }),
    }),
  },
  {
    name: "member get",
    request: async (f) => ({
      as: f.coordinator,
      send: (c) => c.GET("/api/v1/members/{member_id}", { params: { path: { member_id: "mentor-042" } } }),
    }),
  },
  {
    name: "member upsert",
    request: async (f) => ({
      as: f.admin,
      send: (c) =>
        c.PUT("/api/v1/members/{member_id}", {
          params: { path: { member_id: "mentor-777" } },
          body: { name: "New Mentor", roles: ["mentor"], active: true },
        }),
    }),
  },
  {
    name: "activity types",
    request: async (f) => ({ as: f.mentor, send: (c) => c.GET("/api/v1/activity-types") }),
  },
];

describe("round trips per request (SPEC §8: a read is 1 D1 call; a write is 1 D1 batch and at most 1 object call)", () => {
  it("covers every endpoint of the budget table, and no other", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(table.budgets).sort());
  });

  it.each(cases)("$name stays within its budget", async ({ name, bulk, request }) => {
    const f = await fixture({ bulkMentors: bulk });
    const { as, send } = await request(f);
    const { sent, method, inline, deferred } = await countCall(as, send);
    expect(sent.response.status, JSON.stringify(sent.error)).toBeLessThan(300);
    const budget = table.budgets[name];
    expect(method).toBe(budget.method);
    expect({ d1: inline.d1, object: inline.object, deferred_d1: deferred.d1 }).toEqual({
      d1: budget.d1,
      object: budget.object,
      deferred_d1: budget.deferred_d1,
    });
    // Every D1 call of a request goes through the one session that yields its bookmark.
    expect(inline.sessions).toBe(1);
    expect(deferred.object).toBe(0);
    // The organisation's database came from this isolate's directory cache: no round trip for it.
    expect({ inline: inline.directory, deferred: deferred.directory }).toEqual({
      inline: table.directory.cached,
      deferred: 0,
    });
  });

  it("exceeds 'a read is 1 round trip; a write is 1 D1 batch and at most 1 object call' only with a reason", () => {
    const unexplained = Object.entries(table.budgets).filter(([, budget]) => {
      const within =
        budget.method === "GET" ? budget.d1 + budget.object <= 1 : budget.d1 <= 1 && budget.object <= 1;
      return !within && !("exception" in budget);
    });
    expect(unexplained.map(([name]) => name)).toEqual([]);
  });
});

describe("the directory lookup (SPEC §13) adds round trips only to an organisation this isolate has not looked up lately", () => {
  const read = (c: MentorActivityClient) => c.GET("/api/v1/activity-types");

  it("costs a cached organisation none, an expired one a read, and a new one a read and a placement", async () => {
    const o = await testOrg();
    await countCall(o.mentor, read);
    const cached = await countCall(o.mentor, read);
    expect({ d1: cached.inline.d1, directory: cached.inline.directory }).toEqual({
      d1: table.budgets["activity types"].d1,
      directory: table.directory.cached,
    });

    forgetPlacement(o.org);
    const uncached = await countCall(o.mentor, read);
    expect({ d1: uncached.inline.d1, directory: uncached.inline.directory }).toEqual({
      d1: table.budgets["activity types"].d1,
      directory: table.directory.uncached,
    });

    const newcomer: TokenClaims = { sub: "mentor-first", org: newOrg("first"), roles: ["mentor"] };
    const first = await countCall(newcomer, read);
    expect(first.sent.response.status).toBe(200);
    expect(first.inline.directory).toBe(table.directory.first_request);
  });
});
