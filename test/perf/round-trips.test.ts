import { describe, expect, it } from "vitest";
import type { Role } from "../../src/auth/caller";
import { call, json } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { addMember } from "../helpers/members";
import { demoOrg } from "../helpers/org";
import { type CountOptions, countRoundTrips } from "../helpers/round-trips";
import table from "./round-trip-budgets.json";

type BudgetName = keyof typeof table.budgets;

const BULK_MENTORS = 50;
const LOGS = "/api/v1/activity-logs";
const ATTRIBUTIONS = "/api/v1/activity-attributions";
const AUDIT = "/api/v1/proxy-audit-logs";

interface Fixture {
  org: string;
  coordinator: TokenClaims;
  admin: TokenClaims;
  compliance: TokenClaims;
  mentor: TokenClaims;
  system: TokenClaims;
  logId: string;
  attributionId: string;
  bulkMentors: string[];
}

const workshop = (mentorId: string, date = "2026-03-26T09:00:00Z") => ({
  activity_type_id: "workshop",
  activity_date: date,
  duration_minutes: 120,
  location: "Innovation Lab",
  notes: "Resume workshop",
  coordinator_id: "coord-007",
  mentor_id: mentorId,
});

async function created(response: Response): Promise<Record<string, unknown>> {
  expect(response.status, await response.clone().text()).toBeLessThan(300);
  return json(response);
}

/**
 * An organisation with an activity log, an attribution (and so an audit entry), and,
 * when asked, 50 more mentors. Each caller has made one request already: the
 * authentication middleware then trusts its member status for 30 s, so what is counted
 * is the endpoint's own cost, as for a client that is using the app.
 */
async function fixture(options: { bulkMentors?: boolean } = {}): Promise<Fixture> {
  const demo = await demoOrg();
  const bulkMentors = options.bulkMentors
    ? Array.from({ length: BULK_MENTORS }, (_, i) => `mentor-bulk-${String(i).padStart(3, "0")}`)
    : [];
  for (const id of bulkMentors) await addMember(demo.org, id, ["mentor"]);
  const mentor = demo.as("mentor-042", "mentor");
  const system: TokenClaims = { sub: "svc-ingest", org: demo.org, roles: ["system"] as Role[] };
  const log = await created(
    await call("POST", LOGS, {
      as: mentor,
      body: {
        activity_type: "check_in",
        description: "Weekly check-in",
        occurred_at: "2026-03-24T14:00:00Z",
      },
    }),
  );
  const attribution = await created(
    await call("POST", ATTRIBUTIONS, { as: demo.coordinator, body: workshop("mentor-033") }),
  );
  for (const who of [demo.coordinator, demo.admin, demo.compliance, mentor]) {
    await countRoundTrips("GET", "/api/v1/activity-types", { as: who });
  }
  return {
    org: demo.org,
    coordinator: demo.coordinator,
    admin: demo.admin,
    compliance: demo.compliance,
    mentor,
    system,
    logId: String(log.log_id),
    attributionId: String(attribution.attribution_id),
    bulkMentors,
  };
}

interface Case {
  name: BudgetName;
  bulk?: boolean;
  request: (f: Fixture) => Promise<[method: string, path: string, options: CountOptions]>;
}

const cases: Case[] = [
  { name: "activity-log list", request: async (f) => ["GET", `${LOGS}?limit=20`, { as: f.coordinator }] },
  { name: "activity-log get", request: async (f) => ["GET", `${LOGS}/${f.logId}`, { as: f.mentor }] },
  {
    name: "activity-log create",
    request: async (f) => [
      "POST",
      LOGS,
      {
        as: f.mentor,
        body: {
          activity_type: "referral_made",
          description: "Referral",
          occurred_at: "2026-03-25T10:00:00Z",
        },
      },
    ],
  },
  {
    name: "activity-log update",
    request: async (f) => ["PUT", `${LOGS}/${f.logId}`, { as: f.mentor, body: { duration_minutes: 45 } }],
  },
  { name: "activity-log delete", request: async (f) => ["DELETE", `${LOGS}/${f.logId}`, { as: f.mentor }] },
  {
    name: "activity-log summary",
    request: async (f) => ["GET", `${LOGS}/mentor/mentor-042/summary?date=2026-03-24`, { as: f.coordinator }],
  },
  {
    name: "activity-log count-by-type",
    request: async (f) => ["GET", `${LOGS}/mentor/mentor-042/count-by-type`, { as: f.coordinator }],
  },
  { name: "attribution list", request: async (f) => ["GET", ATTRIBUTIONS, { as: f.coordinator }] },
  {
    name: "attribution get",
    request: async (f) => ["GET", `${ATTRIBUTIONS}/${f.attributionId}`, { as: f.coordinator }],
  },
  {
    name: "attribution create",
    request: async (f) => ["POST", ATTRIBUTIONS, { as: f.coordinator, body: workshop("mentor-482") }],
  },
  {
    name: "attribution update",
    request: async (f) => [
      "PUT",
      `${ATTRIBUTIONS}/${f.attributionId}`,
      { as: f.coordinator, body: { duration_minutes: 90, location: "Room 2" } },
    ],
  },
  {
    name: "attribution delete",
    request: async (f) => ["DELETE", `${ATTRIBUTIONS}/${f.attributionId}`, { as: f.coordinator }],
  },
  {
    name: "attribution org audit log",
    request: async (f) => ["GET", `${ATTRIBUTIONS}/audit-log`, { as: f.compliance }],
  },
  {
    name: "bulk preview (50 mentors)",
    bulk: true,
    request: async (f) => [
      "POST",
      `${ATTRIBUTIONS}/batches`,
      { as: f.coordinator, body: { ...workshop("unused"), mentor_id: undefined, mentor_ids: f.bulkMentors } },
    ],
  },
  {
    name: "bulk confirm (50 mentors)",
    bulk: true,
    request: async (f) => {
      const batch = await created(
        await call("POST", `${ATTRIBUTIONS}/batches`, {
          as: f.coordinator,
          body: { ...workshop("unused"), mentor_id: undefined, mentor_ids: f.bulkMentors },
        }),
      );
      return ["POST", `${ATTRIBUTIONS}/batches/${String(batch.batch_id)}/confirm`, { as: f.coordinator }];
    },
  },
  { name: "proxy-audit list", request: async (f) => ["GET", AUDIT, { as: f.compliance }] },
  { name: "proxy-audit get", request: async (f) => ["GET", `${AUDIT}/log-001`, { as: f.compliance }] },
  {
    name: "proxy-audit by-coordinator",
    request: async (f) => ["GET", `${AUDIT}/by-coordinator/coord-007`, { as: f.compliance }],
  },
  {
    name: "proxy-audit append",
    request: async (f) => [
      "POST",
      AUDIT,
      {
        as: f.system,
        body: {
          action: "proxy_created",
          coordinator_id: "coord-119",
          mentor_id: "mentor-482",
          activity_id: "pa-005",
        },
      },
    ],
  },
  {
    name: "proxy-audit annotate",
    request: async (f) => [
      "PUT",
      `${AUDIT}/log-001`,
      { as: f.admin, body: { annotation: "Reviewed", reviewed_by: "admin-007" } },
    ],
  },
  { name: "proxy-audit delete", request: async (f) => ["DELETE", `${AUDIT}/log-001`, { as: f.admin }] },
  { name: "proxy-audit verify", request: async (f) => ["GET", `${AUDIT}/verify`, { as: f.compliance }] },
  {
    name: "member list",
    request: async (f) => ["GET", "/api/v1/members?role=mentor", { as: f.coordinator }],
  },
  { name: "member get", request: async (f) => ["GET", "/api/v1/members/mentor-042", { as: f.coordinator }] },
  {
    name: "member upsert",
    request: async (f) => [
      "PUT",
      "/api/v1/members/mentor-777",
      { as: f.admin, body: { name: "New Mentor", roles: ["mentor"], active: true } },
    ],
  },
  { name: "activity types", request: async (f) => ["GET", "/api/v1/activity-types", { as: f.mentor }] },
];

describe("round trips per request (SPEC §8: a read is 1 D1 call; a write is 1 D1 batch and at most 1 object call)", () => {
  it("covers every endpoint of the budget table, and no other", () => {
    expect(cases.map((c) => c.name).sort()).toEqual(Object.keys(table.budgets).sort());
  });

  it.each(cases)("$name stays within its budget", async ({ name, bulk, request }) => {
    const f = await fixture({ bulkMentors: bulk });
    const [method, path, options] = await request(f);
    const { response, inline, deferred } = await countRoundTrips(method, path, options);
    expect(response.status, await response.clone().text()).toBeLessThan(300);
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
