import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { type ActivityStatementName, activityStatements } from "../../src/db/queries/activities";
import {
  type ActivityWriteStatementName,
  activityWriteStatements,
} from "../../src/db/queries/activity-write-statements";
import { activities } from "../../src/db/schema";

interface Statement {
  toSQL(): { sql: string; params: unknown[] };
}

interface PlanCase {
  name: string;
  statement: Statement;
  /** Pattern of the index SQLite must search activities with; absent for statements that do not read it. */
  index?: string;
  /** Whether the search must start at the cursor's (occurred_at, activity_id) rather than skip rows to it. */
  seek?: boolean;
}

const db = createDb(env.DB_1);
const statements = { ...activityStatements, ...activityWriteStatements };
const ORG = "org-plan";
const MENTOR = "mentor-plan";
const MARCH = { from: "2026-03-01T00:00:00Z", to: "2026-03-31T23:59:59Z" };
const PAGE = { limit: 20, offset: 40 };
const AFTER = { limit: 20, offset: 0, after: ["2026-03-15T12:00:00Z", "log_0123456789abcdef"] as const };

const BY_TIME = "activities_org_occurred_idx";
const BY_MENTOR = "activities_org_mentor_occurred_idx";
const BY_TYPE = "activities_org_type_occurred_idx";
const BY_CONTACT = "activities_org_contact_occurred_idx";
const BY_MODE = "activities_org_mode_occurred_idx";
const BY_KEY = "sqlite_autoindex_activities_1";
const BY_CLIENT_REF = "activities_org_mentor_client_ref_uq";

/** Every list filter alone, with a range, and together, with the index each must use. */
const filters = [
  { name: "no filter", filter: {}, index: BY_TIME },
  { name: "from/to", filter: MARCH, index: BY_TIME },
  { name: "from only", filter: { from: MARCH.from }, index: BY_TIME },
  { name: "mentor", filter: { mentorId: MENTOR }, index: BY_MENTOR },
  { name: "mentor, from/to", filter: { mentorId: MENTOR, ...MARCH }, index: BY_MENTOR },
  { name: "mentor, to only", filter: { mentorId: MENTOR, to: MARCH.to }, index: BY_MENTOR },
  { name: "type", filter: { activityType: "check_in" }, index: BY_TYPE },
  { name: "type, from/to", filter: { activityType: "check_in", ...MARCH }, index: BY_TYPE },
  { name: "contact", filter: { contactId: "contact-1" }, index: BY_CONTACT },
  { name: "contact, from/to", filter: { contactId: "contact-1", ...MARCH }, index: BY_CONTACT },
  { name: "entry mode", filter: { entryMode: "proxy" as const }, index: BY_MODE },
  { name: "entry mode, from/to", filter: { entryMode: "proxy" as const, ...MARCH }, index: BY_MODE },
  { name: "mentor and type", filter: { mentorId: MENTOR, activityType: "check_in" }, index: BY_MENTOR },
  {
    name: "mentor and entry mode",
    filter: { mentorId: MENTOR, entryMode: "self" as const },
    index: BY_MENTOR,
  },
  {
    name: "type and entry mode",
    filter: { activityType: "check_in", entryMode: "bulk" as const },
    index: BY_TYPE,
  },
  {
    name: "every filter",
    filter: {
      mentorId: MENTOR,
      activityType: "check_in",
      contactId: "c",
      entryMode: "self" as const,
      ...MARCH,
    },
    index: BY_CONTACT,
  },
];

const entry = {
  activityId: "log_0123456789abcdef",
  mentorId: MENTOR,
  activityType: "check_in",
  description: "Plan",
  contactId: null,
  durationMinutes: null,
  occurredAt: MARCH.from,
  createdBy: MENTOR,
  clientRef: "ref-1",
};

const AUDIT = {
  eventId: "evt-plan",
  actor: { actor_id: "admin-plan", actor_name: null, ip_address: null, user_agent: null },
  now: MARCH.from,
};

/** The entry `log_x` as a change or a delete aims at it: as `ownerId` may write it, without a precondition. */
const target = (ownerId: string | undefined) => ({
  db,
  orgId: ORG,
  activityId: "log_x",
  ownerId,
  seen: undefined,
  audit: AUDIT,
});

/** Typed by the statement names, so a new statement without a case here fails the typecheck. */
const cases: Record<ActivityStatementName | ActivityWriteStatementName, PlanCase[]> = {
  get: [{ name: "by ID", statement: statements.get(db, ORG, "log_x"), index: BY_KEY }],
  page: [
    ...filters.map((f) => ({
      name: f.name,
      statement: statements.page(db, ORG, f.filter, PAGE),
      index: f.index,
    })),
    // Keyset pages seek to the cursor's key in the same index instead of stepping over an offset.
    ...filters.map((f) => ({
      name: `${f.name}, after a cursor`,
      statement: statements.page(db, ORG, f.filter, AFTER),
      index: f.index,
      seek: true,
    })),
  ],
  // Unfiltered, the total is the organisation's running count: one row, no activity read.
  total: filters.map((f) =>
    f.name === "no filter"
      ? { name: f.name, statement: statements.total(db, ORG, f.filter), runningCount: true }
      : { name: f.name, statement: statements.total(db, ORG, f.filter), index: f.index },
  ),
  insert: [
    { name: "for oneself", statement: statements.insert(db, ORG, entry, false) },
    { name: "for a mentor on record", statement: statements.insert(db, ORG, entry, true) },
  ],
  createChecks: [{ name: "the mentor and the type", statement: statements.createChecks(db, ORG, entry) }],
  byClientRef: [
    {
      name: "the mentor's entry under a client_ref",
      statement: statements.byClientRef(db, ORG, MENTOR, "ref-1"),
      index: BY_CLIENT_REF,
    },
  ],
  createdEvent: [
    {
      name: "an admin's entry for a mentor",
      statement: statements.createdEvent(db, ORG, entry, AUDIT),
      index: BY_KEY,
    },
  ],
  updatedEvent: [
    {
      name: "an admin's change",
      statement: statements.updatedEvent(target(undefined), { description: "d", activityType: "check_in" }),
      index: BY_KEY,
    },
  ],
  deletedEvent: [
    {
      name: "an admin's delete",
      statement: statements.deletedEvent(target(undefined)),
      index: BY_KEY,
    },
  ],
  current: [
    { name: "the entry", statement: statements.current(db, ORG, "log_x", undefined), index: BY_KEY },
    {
      name: "the entry and a new type",
      statement: statements.current(db, ORG, "log_x", "check_in"),
      index: BY_KEY,
    },
  ],
  update: [
    {
      name: "own entry",
      statement: statements.update(target(MENTOR), { description: "d", activityType: "check_in" }),
      index: BY_KEY,
    },
    {
      name: "any entry",
      statement: statements.update(target(undefined), { durationMinutes: 5 }),
      index: BY_KEY,
    },
  ],
  delete: [
    { name: "own entry", statement: statements.delete(target(MENTOR)), index: BY_KEY },
    { name: "any entry", statement: statements.delete(target(undefined)), index: BY_KEY },
  ],
  summary: [{ name: "a period", statement: statements.summary(db, ORG, MENTOR, MARCH), index: BY_MENTOR }],
  countByType: [
    { name: "all time", statement: statements.countByType(db, ORG, MENTOR, {}), index: BY_MENTOR },
    { name: "from/to", statement: statements.countByType(db, ORG, MENTOR, MARCH), index: BY_MENTOR },
    {
      name: "from only",
      statement: statements.countByType(db, ORG, MENTOR, { from: MARCH.from }),
      index: BY_MENTOR,
    },
  ],
};

async function planOf(statement: Statement): Promise<string[]> {
  const { sql, params } = statement.toSQL();
  const { results } = await env.DB_1.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}

const fullScansOfActivities = (plan: string[]) =>
  plan.filter((step) => /^SCAN activities\b/.test(step) && !/USING (COVERING )?INDEX/.test(step));

const flatCases = Object.entries(cases).flatMap(([statement, list]) =>
  list.map((c) => ({ label: `${statement}: ${c.name}`, ...c })),
);

describe("query plans of the activity statements", () => {
  it("cover every statement the queries run", () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(statements).sort());
  });

  it("would notice a full scan of activities", async () => {
    const unindexed = db.select().from(activities).where(eq(activities.description, "anything"));
    expect(fullScansOfActivities(await planOf(unindexed))).not.toEqual([]);
  });

  it.each(flatCases)("$label never scans the whole activities table", async (c) => {
    const { statement, index, seek } = c;
    const plan = await planOf(statement);
    if ("runningCount" in c) {
      expect(plan).toEqual([expect.stringMatching(/^SEARCH activity_totals USING INDEX \S+ \(org_id=\?\)$/)]);
    }
    if (seek) expect(plan.join("\n")).toMatch(/USING INDEX \S+ \(.*occurred_at<\?\)/);
    expect(plan).not.toEqual([]);
    expect(fullScansOfActivities(plan)).toEqual([]);
    if (index !== undefined) {
      const activitiesSteps = plan.filter((step) => / activities /.test(`${step} `));
      expect(activitiesSteps).toEqual([
        expect.stringMatching(new RegExp(`^SEARCH activities USING (COVERING )?INDEX ${index} `)),
      ]);
    }
  });
});
