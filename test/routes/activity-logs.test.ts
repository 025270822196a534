import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Role } from "../../src/auth/caller";
import { createDb } from "../../src/db/client";
import { activities } from "../../src/db/schema";
import { call, json, newOrg } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { addMember } from "../helpers/members";

const BASE = "/api/v1/activity-logs";
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const LOG_ID = /^log_[0-9a-f]{16}$/;
const HOUR_MS = 60 * 60 * 1000;

interface ActivityLog {
  log_id: string;
  mentor_id: string;
  activity_type: string;
  description: string;
  contact_id: string | null;
  duration_minutes: number | null;
  occurred_at: string;
  entry_mode: "self" | "proxy" | "bulk";
  attribution_id: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

interface ActivityPage {
  data: ActivityLog[];
  pagination: { page: number; limit: number; total: number };
}

interface Summary {
  mentor_id: string;
  period: string;
  period_start: string;
  period_end: string;
  time_zone: string;
  total_activities: number;
  total_sessions: number;
  total_referrals: number;
  total_check_ins: number;
  total_duration_minutes: number;
  unique_contacts_supported: number;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

/** An organisation of its own with two mentors and one member of every other role. */
async function newTeam() {
  const org = newOrg("logs");
  await Promise.all([
    addMember(org, "mentor-a", ["mentor"], { name: "Sam Rivera" }),
    addMember(org, "mentor-b", ["mentor"]),
    addMember(org, "admin-1", ["admin"]),
    addMember(org, "coord-1", ["coordinator"]),
    addMember(org, "compliance-1", ["compliance"]),
  ]);
  const as = (sub: string, roles: Role[]): TokenClaims => ({ sub, org, roles });
  return {
    org,
    mentorA: as("mentor-a", ["mentor"]),
    mentorB: as("mentor-b", ["mentor"]),
    admin: as("admin-1", ["admin"]),
    coordinator: as("coord-1", ["coordinator"]),
    compliance: as("compliance-1", ["compliance"]),
  };
}

/** A mentor whose token is its only record, for tests that need no other member. */
function loneMentor(): TokenClaims {
  return { sub: "mentor-solo", org: newOrg("solo"), roles: ["mentor"] };
}

const SEED_REQUEST = {
  mentor_id: "mentor-a",
  activity_type: "session_completed",
  description: "Monthly progress review",
  contact_id: "contact_xyz123",
  duration_minutes: 60,
  occurred_at: "2026-03-26T13:00:00Z",
};

async function record(as: TokenClaims, body: Record<string, unknown> = {}): Promise<ActivityLog> {
  const res = await call("POST", BASE, {
    as,
    body: {
      activity_type: "session_completed",
      description: "Weekly session",
      occurred_at: "2026-03-10T10:00:00Z",
      ...body,
    },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return json<ActivityLog>(res);
}

/** A coordinator's proxy activity, written the way the attributions module writes it. */
async function insertProxy(org: string, mentorId: string, activityId: string, occurredAt: string) {
  await createDb(env.DB).insert(activities).values({
    orgId: org,
    activityId,
    mentorId,
    activityType: "workshop",
    description: "Resume workshop",
    durationMinutes: 120,
    location: "Innovation Lab",
    occurredAt,
    entryMode: "proxy",
    attributionId: "attr-20260325-001",
    createdBy: "coord-1",
  });
}

async function list(as: TokenClaims, query = ""): Promise<ActivityPage> {
  const res = await call("GET", `${BASE}${query}`, { as });
  expect(res.status, await res.clone().text()).toBe(200);
  return json<ActivityPage>(res);
}

async function summary(as: TokenClaims, mentorId: string, query = ""): Promise<Summary> {
  const res = await call("GET", `${BASE}/mentor/${mentorId}/summary${query}`, { as });
  expect(res.status, await res.clone().text()).toBe(200);
  return json<Summary>(res);
}

async function countByType(as: TokenClaims, mentorId: string, query = "") {
  const res = await call("GET", `${BASE}/mentor/${mentorId}/count-by-type${query}`, { as });
  expect(res.status, await res.clone().text()).toBe(200);
  return json<{ mentor_id: string; counts: Record<string, number> }>(res);
}

async function expectProblem(res: Response, status: number, path?: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const problem = await json<Problem>(res);
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  if (path !== undefined) {
    expect(problem.errors?.map((e) => e.path)).toContain(path);
  }
  return problem;
}

/** Every field of the seed's entry, with its JSON type, and the fields this API adds. */
const anActivityLog = {
  log_id: expect.any(String),
  mentor_id: expect.any(String),
  activity_type: expect.any(String),
  description: expect.any(String),
  contact_id: expect.any(String),
  duration_minutes: expect.any(Number),
  occurred_at: expect.stringMatching(ISO_SECONDS),
  entry_mode: expect.stringMatching(/^(self|proxy|bulk)$/),
  attribution_id: null,
  created_by: expect.any(String),
  created_at: expect.stringMatching(ISO_SECONDS),
  updated_at: expect.stringMatching(ISO_SECONDS),
};

describe("recording an activity", () => {
  it("answers the seed's fields, a fresh log_ ID and a Location for the new entry", async () => {
    const team = await newTeam();
    const res = await call("POST", BASE, { as: team.mentorA, body: SEED_REQUEST });
    expect(res.status).toBe(201);
    const body = await json<ActivityLog>(res);
    expect(body).toEqual({
      ...anActivityLog,
      ...SEED_REQUEST,
      log_id: expect.stringMatching(LOG_ID),
      entry_mode: "self",
      created_by: "mentor-a",
    });
    expect(body.updated_at).toBe(body.created_at);
    expect(res.headers.get("location")).toBe(`${BASE}/${body.log_id}`);
    const again = await record(team.mentorA);
    expect(again.log_id).not.toBe(body.log_id);
  });

  it("defaults mentor_id to the caller, stores times in UTC and leaves optional fields null", async () => {
    const mentor = loneMentor();
    const body = await record(mentor, { occurred_at: "2026-03-26T09:00:00-04:00" });
    expect(body).toMatchObject({
      mentor_id: mentor.sub,
      occurred_at: "2026-03-26T13:00:00Z",
      contact_id: null,
      duration_minutes: null,
    });
  });

  it("lets an admin record for an active mentor and names the admin as creator", async () => {
    const team = await newTeam();
    const body = await record(team.admin, { mentor_id: "mentor-b" });
    expect(body).toMatchObject({ mentor_id: "mentor-b", created_by: "admin-1", entry_mode: "self" });
  });

  it.each([
    { case: "an unknown member", mentor: "mentor-nobody", message: /No member/ },
    { case: "an inactive mentor", mentor: "mentor-gone", message: /inactive/ },
    { case: "a member without the mentor role", mentor: "coord-1", message: /mentor role/ },
  ])(
    "refuses an admin's entry for $case with a 400 on mentor_id and writes nothing",
    async ({ mentor, message }) => {
      const team = await newTeam();
      await addMember(team.org, "mentor-gone", ["mentor"], { active: false });
      const res = await call("POST", BASE, {
        as: team.admin,
        body: { ...SEED_REQUEST, mentor_id: mentor },
      });
      const problem = await expectProblem(res, 400, "mentor_id");
      expect(problem.errors?.find((e) => e.path === "mentor_id")?.message).toMatch(message);
      expect((await list(team.admin)).pagination.total).toBe(0);
    },
  );

  it("refuses a mentor logging for another mentor and writes nothing", async () => {
    const team = await newTeam();
    const res = await call("POST", BASE, {
      as: team.mentorA,
      body: { ...SEED_REQUEST, mentor_id: "mentor-b" },
    });
    await expectProblem(res, 403);
    expect((await list(team.admin)).pagination.total).toBe(0);
  });

  it("refuses coordinators and compliance officers", async () => {
    const team = await newTeam();
    for (const as of [team.coordinator, team.compliance]) {
      const res = await call("POST", BASE, { as, body: SEED_REQUEST });
      await expectProblem(res, 403);
    }
    expect((await list(team.admin)).pagination.total).toBe(0);
  });
});

describe("reading entries", () => {
  it("answers one entry by ID with every seed field", async () => {
    const team = await newTeam();
    const created = await record(team.mentorA, SEED_REQUEST);
    const res = await call("GET", `${BASE}/${created.log_id}`, { as: team.mentorA });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...anActivityLog, ...created });
  });

  it("lets coordinators, admins and compliance read any mentor's entries", async () => {
    const team = await newTeam();
    const a = await record(team.mentorA);
    const b = await record(team.mentorB);
    for (const as of [team.coordinator, team.admin, team.compliance]) {
      const page = await list(as);
      expect(page.data.map((e) => e.log_id).sort()).toEqual([a.log_id, b.log_id].sort());
      const res = await call("GET", `${BASE}/${b.log_id}`, { as });
      expect(res.status).toBe(200);
    }
  });

  it("shows a mentor only its own entries and refuses another mentor's", async () => {
    const team = await newTeam();
    const own = await record(team.mentorA);
    const other = await record(team.mentorB);
    const page = await list(team.mentorA);
    expect(page.data.map((e) => e.log_id)).toEqual([own.log_id]);
    expect(page.pagination.total).toBe(1);
    expect((await list(team.mentorA, "?mentor_id=mentor-a")).pagination.total).toBe(1);
    await expectProblem(await call("GET", `${BASE}?mentor_id=mentor-b`, { as: team.mentorA }), 403);
    await expectProblem(await call("GET", `${BASE}/${other.log_id}`, { as: team.mentorA }), 403);
  });

  it("answers 401 with a Bearer challenge when the token is missing", async () => {
    const res = await call("GET", BASE);
    await expectProblem(res, 401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers 404 for another organisation's entry, as for a missing one", async () => {
    const team = await newTeam();
    const entry = await record(team.mentorA, SEED_REQUEST);
    const outsider: TokenClaims = { sub: "admin-x", org: newOrg("other"), roles: ["admin"] };
    await expectProblem(await call("GET", `${BASE}/${entry.log_id}`, { as: outsider }), 404);
    await expectProblem(
      await call("PUT", `${BASE}/${entry.log_id}`, { as: outsider, body: { description: "taken over" } }),
      404,
    );
    await expectProblem(await call("DELETE", `${BASE}/${entry.log_id}`, { as: outsider }), 404);
    await expectProblem(await call("GET", `${BASE}/log_0000000000000000`, { as: team.admin }), 404);
    expect((await list(outsider)).pagination.total).toBe(0);
    const unchanged = await call("GET", `${BASE}/${entry.log_id}`, { as: team.mentorA });
    expect(await unchanged.json()).toEqual(entry);
  });

  it("shows a coordinator's proxy activities with entry_mode and attribution_id", async () => {
    const team = await newTeam();
    await insertProxy(team.org, "mentor-a", "pact-20260325-001", "2026-03-24T14:00:00Z");
    const page = await list(team.mentorA);
    expect(page.data).toEqual([
      expect.objectContaining({
        log_id: "pact-20260325-001",
        entry_mode: "proxy",
        attribution_id: "attr-20260325-001",
        created_by: "coord-1",
      }),
    ]);
  });
});

describe("listing: order, pagination and filters", () => {
  it("orders newest first, breaks ties by log_id descending and pages past the end to an empty page", async () => {
    const mentor = loneMentor();
    const days = ["01", "05", "03", "05", "02"];
    const created = [];
    for (const day of days) created.push(await record(mentor, { occurred_at: `2026-03-${day}T09:00:00Z` }));
    const expected = [...created]
      .sort((x, y) => (`${x.occurred_at} ${x.log_id}` < `${y.occurred_at} ${y.log_id}` ? 1 : -1))
      .map((e) => e.log_id);

    const pages = [];
    for (const page of [1, 2, 3]) pages.push(await list(mentor, `?limit=2&page=${page}`));
    expect(pages.flatMap((p) => p.data.map((e) => e.log_id))).toEqual(expected);
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages[0]?.pagination).toEqual({ page: 1, limit: 2, total: 5 });

    expect(await list(mentor, "?limit=2&page=4")).toEqual({
      data: [],
      pagination: { page: 4, limit: 2, total: 5 },
      next_cursor: null,
    });
    const first = await list(mentor, "?limit=1");
    expect(first.data.map((e) => e.log_id)).toEqual(expected.slice(0, 1));
    expect(first.pagination).toEqual({ page: 1, limit: 1, total: 5 });
    expect((await list(mentor)).pagination).toEqual({ page: 1, limit: 20, total: 5 });
  });

  it("narrows the entries and the total by each filter, from/to inclusive", async () => {
    const team = await newTeam();
    const early = await record(team.mentorA, {
      activity_type: "check_in",
      contact_id: "contact-1",
      occurred_at: "2026-03-01T00:00:00Z",
    });
    const middle = await record(team.mentorA, {
      activity_type: "referral_made",
      contact_id: "contact-2",
      occurred_at: "2026-03-15T12:00:00Z",
    });
    const late = await record(team.mentorB, {
      activity_type: "check_in",
      contact_id: "contact-1",
      occurred_at: "2026-03-31T23:59:59Z",
    });
    await insertProxy(team.org, "mentor-b", "pact-20260401-001", "2026-04-01T00:00:00Z");

    const ids = async (query: string) => {
      const page = await list(team.coordinator, `${query}&limit=1`);
      const all = await list(team.coordinator, query);
      expect(page.pagination.total).toBe(all.data.length);
      return all.data.map((e) => e.log_id);
    };
    expect(await ids("?mentor_id=mentor-a")).toEqual([middle.log_id, early.log_id]);
    expect(await ids("?activity_type=check_in")).toEqual([late.log_id, early.log_id]);
    expect(await ids("?contact_id=contact-1")).toEqual([late.log_id, early.log_id]);
    expect(await ids("?entry_mode=proxy")).toEqual(["pact-20260401-001"]);
    expect(await ids("?entry_mode=self&mentor_id=mentor-b")).toEqual([late.log_id]);
    expect(await ids("?from=2026-03-01T00:00:00Z&to=2026-03-31T23:59:59Z")).toEqual([
      late.log_id,
      middle.log_id,
      early.log_id,
    ]);
    expect(await ids("?from=2026-03-15T12:00:00Z")).toEqual([
      "pact-20260401-001",
      late.log_id,
      middle.log_id,
    ]);
    expect(await ids("?to=2026-03-15T08:00:00-04:00")).toEqual([middle.log_id, early.log_id]);
    expect(await ids("?activity_type=check_in&contact_id=contact-1&mentor_id=mentor-a")).toEqual([
      early.log_id,
    ]);
    expect(await ids("?activity_type=workshop&mentor_id=mentor-a")).toEqual([]);
  });
});

describe("changing an entry", () => {
  it("changes only the named fields and answers the whole entry with a new updated_at", async () => {
    const team = await newTeam();
    await createDb(env.DB).insert(activities).values({
      orgId: team.org,
      activityId: "log_003ccc",
      mentorId: "mentor-a",
      activityType: "session_completed",
      description: "Monthly progress review",
      contactId: "contact_xyz123",
      durationMinutes: 60,
      occurredAt: "2026-03-26T13:00:00Z",
      entryMode: "self",
      createdBy: "mentor-a",
      createdAt: "2001-01-01T00:00:00Z",
      updatedAt: "2001-01-01T00:00:00Z",
    });
    const res = await call("PUT", `${BASE}/log_003ccc`, {
      as: team.mentorA,
      body: { description: "Monthly progress review — updated notes added", duration_minutes: 65 },
    });
    expect(res.status).toBe(200);
    const body = await json<ActivityLog>(res);
    expect(body).toEqual({
      ...anActivityLog,
      log_id: "log_003ccc",
      mentor_id: "mentor-a",
      activity_type: "session_completed",
      description: "Monthly progress review — updated notes added",
      contact_id: "contact_xyz123",
      duration_minutes: 65,
      occurred_at: "2026-03-26T13:00:00Z",
      entry_mode: "self",
      created_by: "mentor-a",
      created_at: "2001-01-01T00:00:00Z",
    });
    expect(body.updated_at > body.created_at).toBe(true);
    const stored = await call("GET", `${BASE}/log_003ccc`, { as: team.mentorA });
    expect(await stored.json()).toEqual(body);
  });

  it("changes type, contact and time, and clears contact and duration with null", async () => {
    const mentor = loneMentor();
    const entry = await record(mentor, { contact_id: "contact-1", duration_minutes: 30 });
    const changed = await call("PUT", `${BASE}/${entry.log_id}`, {
      as: mentor,
      body: { activity_type: "check_in", occurred_at: "2026-03-11T08:00:00+01:00", contact_id: "contact-2" },
    });
    expect(await changed.json()).toMatchObject({
      activity_type: "check_in",
      occurred_at: "2026-03-11T07:00:00Z",
      contact_id: "contact-2",
      duration_minutes: 30,
    });
    const cleared = await call("PUT", `${BASE}/${entry.log_id}`, {
      as: mentor,
      body: { contact_id: null, duration_minutes: null },
    });
    expect(await cleared.json()).toMatchObject({ contact_id: null, duration_minutes: null });
  });

  it("refuses a mentor changing or deleting another mentor's entry and leaves it as it was", async () => {
    const team = await newTeam();
    const entry = await record(team.mentorB, { ...SEED_REQUEST, mentor_id: "mentor-b" });
    const put = await call("PUT", `${BASE}/${entry.log_id}`, {
      as: team.mentorA,
      body: { description: "not mine" },
    });
    await expectProblem(put, 403);
    await expectProblem(await call("DELETE", `${BASE}/${entry.log_id}`, { as: team.mentorA }), 403);
    const stored = await call("GET", `${BASE}/${entry.log_id}`, { as: team.mentorB });
    expect(await stored.json()).toEqual(entry);
  });

  it("refuses coordinators and compliance officers changing or deleting entries", async () => {
    const team = await newTeam();
    const entry = await record(team.mentorA);
    for (const as of [team.coordinator, team.compliance]) {
      await expectProblem(
        await call("PUT", `${BASE}/${entry.log_id}`, { as, body: { description: "edited" } }),
        403,
      );
      await expectProblem(await call("DELETE", `${BASE}/${entry.log_id}`, { as }), 403);
    }
    const stored = await call("GET", `${BASE}/${entry.log_id}`, { as: team.mentorA });
    expect(await stored.json()).toEqual(entry);
  });

  it("lets an admin change and delete any mentor's entry", async () => {
    const team = await newTeam();
    const entry = await record(team.mentorA);
    const put = await call("PUT", `${BASE}/${entry.log_id}`, {
      as: team.admin,
      body: { duration_minutes: 90 },
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ mentor_id: "mentor-a", duration_minutes: 90 });
    const del = await call("DELETE", `${BASE}/${entry.log_id}`, { as: team.admin });
    expect(await del.json()).toEqual({ deleted: true, log_id: entry.log_id });
  });

  it("answers 409 to changing or deleting a proxy activity, even for an admin, and keeps it", async () => {
    const team = await newTeam();
    await insertProxy(team.org, "mentor-a", "pact-20260325-001", "2026-03-24T14:00:00Z");
    for (const as of [team.mentorA, team.admin]) {
      const put = await call("PUT", `${BASE}/pact-20260325-001`, { as, body: { duration_minutes: 30 } });
      const problem = await expectProblem(put, 409);
      expect(problem.detail).toContain("attr-20260325-001");
      await expectProblem(await call("DELETE", `${BASE}/pact-20260325-001`, { as }), 409);
    }
    const stored = await call("GET", `${BASE}/pact-20260325-001`, { as: team.mentorA });
    expect(await stored.json()).toMatchObject({ duration_minutes: 120, entry_mode: "proxy" });
  });
});

describe("deleting an entry", () => {
  it("answers {deleted, log_id}; the entry then answers 404 and vanishes from lists, summaries and counts", async () => {
    const team = await newTeam();
    const kept = await record(team.mentorA, { activity_type: "check_in", contact_id: "contact-1" });
    const gone = await record(team.mentorA, {
      activity_type: "referral_made",
      contact_id: "contact-2",
      duration_minutes: 30,
    });

    const res = await call("DELETE", `${BASE}/${gone.log_id}`, { as: team.mentorA });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ deleted: true, log_id: gone.log_id });

    await expectProblem(await call("GET", `${BASE}/${gone.log_id}`, { as: team.mentorA }), 404);
    await expectProblem(await call("DELETE", `${BASE}/${gone.log_id}`, { as: team.mentorA }), 404);
    await expectProblem(
      await call("PUT", `${BASE}/${gone.log_id}`, { as: team.mentorA, body: { description: "back" } }),
      404,
    );
    expect((await list(team.mentorA)).data.map((e) => e.log_id)).toEqual([kept.log_id]);
    expect(await summary(team.mentorA, "mentor-a", "?date=2026-03-10")).toMatchObject({
      total_activities: 1,
      total_referrals: 0,
      total_check_ins: 1,
      total_duration_minutes: 0,
      unique_contacts_supported: 1,
    });
    expect((await countByType(team.mentorA, "mentor-a")).counts).toEqual({ check_in: 1 });
  });
});

describe("summary", () => {
  it("answers the seed's fields with totals counted by hand for a month", async () => {
    const team = await newTeam();
    const march: Record<string, unknown>[] = [
      {
        activity_type: "session_completed",
        duration_minutes: 60,
        contact_id: "c-1",
        occurred_at: "2026-03-02T10:00:00Z",
      },
      {
        activity_type: "one-on-one",
        duration_minutes: 30,
        contact_id: "c-2",
        occurred_at: "2026-03-05T10:00:00Z",
      },
      { activity_type: "referral_made", contact_id: "c-1", occurred_at: "2026-03-10T10:00:00Z" },
      { activity_type: "check_in", duration_minutes: 15, occurred_at: "2026-03-15T10:00:00Z" },
      {
        activity_type: "documentation",
        duration_minutes: 45,
        contact_id: "c-3",
        occurred_at: "2026-03-01T00:00:00Z",
      },
      {
        activity_type: "workshop",
        duration_minutes: 120,
        contact_id: "c-2",
        occurred_at: "2026-03-31T23:59:59Z",
      },
    ];
    const outside: Record<string, unknown>[] = [
      {
        activity_type: "check_in",
        duration_minutes: 500,
        contact_id: "c-9",
        occurred_at: "2026-02-28T23:59:59Z",
      },
      {
        activity_type: "check_in",
        duration_minutes: 500,
        contact_id: "c-9",
        occurred_at: "2026-04-01T00:00:00Z",
      },
    ];
    for (const body of [...march, ...outside]) await record(team.mentorA, body);
    await record(team.mentorB, { activity_type: "check_in", duration_minutes: 500, contact_id: "c-8" });

    const body = await summary(team.coordinator, "mentor-a", "?period=month&date=2026-03-20");
    expect(body).toEqual({
      mentor_id: "mentor-a",
      period: "month",
      period_start: "2026-03-01T00:00:00Z",
      period_end: "2026-03-31T23:59:59Z",
      time_zone: "UTC",
      total_activities: 6,
      total_sessions: 2,
      total_referrals: 1,
      total_check_ins: 1,
      total_duration_minutes: 270,
      unique_contacts_supported: 3,
    });
  });

  it("counts proxy activities and answers zeros for a mentor without entries", async () => {
    const team = await newTeam();
    await insertProxy(team.org, "mentor-a", "pact-20260325-001", "2026-03-24T14:00:00Z");
    expect(await summary(team.admin, "mentor-a", "?date=2026-03-01")).toMatchObject({
      total_activities: 1,
      total_duration_minutes: 120,
      unique_contacts_supported: 0,
    });
    expect(await summary(team.admin, "mentor-nobody", "?date=2026-03-01")).toMatchObject({
      total_activities: 0,
      total_sessions: 0,
      total_referrals: 0,
      total_check_ins: 0,
      total_duration_minutes: 0,
      unique_contacts_supported: 0,
    });
  });

  it("puts 23:30 on 31 March in New York into March there and into April in UTC", async () => {
    const mentor = loneMentor();
    await record(mentor, { occurred_at: "2026-03-31T23:30:00-04:00", duration_minutes: 50 });

    const newYork = await summary(mentor, mentor.sub, "?period=month&date=2026-03-15&tz=America/New_York");
    expect(newYork).toMatchObject({
      period_start: "2026-03-01T05:00:00Z",
      period_end: "2026-04-01T03:59:59Z",
      time_zone: "America/New_York",
      total_activities: 1,
      total_duration_minutes: 50,
    });
    expect(await summary(mentor, mentor.sub, "?date=2026-03-15")).toMatchObject({ total_activities: 0 });
    expect(await summary(mentor, mentor.sub, "?date=2026-04-15")).toMatchObject({
      period_start: "2026-04-01T00:00:00Z",
      period_end: "2026-04-30T23:59:59Z",
      total_activities: 1,
    });
  });

  it("bounds a week across the spring daylight-saving change in New York to 167 hours", async () => {
    const mentor = loneMentor();
    await record(mentor, { occurred_at: "2026-03-02T05:00:00Z" });
    await record(mentor, { occurred_at: "2026-03-09T03:59:59Z" });
    await record(mentor, { occurred_at: "2026-03-02T04:59:59Z" });
    await record(mentor, { occurred_at: "2026-03-09T04:00:00Z" });

    const week = await summary(mentor, mentor.sub, "?period=week&date=2026-03-08&tz=America/New_York");
    expect(week).toMatchObject({
      period: "week",
      period_start: "2026-03-02T05:00:00Z",
      period_end: "2026-03-09T03:59:59Z",
      total_activities: 2,
    });
    expect((Date.parse(week.period_end) + 1000 - Date.parse(week.period_start)) / HOUR_MS).toBe(167);
  });

  it("bounds a week across the autumn daylight-saving change in London to 169 hours", async () => {
    const mentor = loneMentor();
    const week = await summary(mentor, mentor.sub, "?period=week&date=2026-10-25&tz=europe/london");
    expect(week).toMatchObject({
      period_start: "2026-10-18T23:00:00Z",
      period_end: "2026-10-25T23:59:59Z",
      time_zone: "Europe/London",
    });
    expect((Date.parse(week.period_end) + 1000 - Date.parse(week.period_start)) / HOUR_MS).toBe(169);
  });

  it("covers a day, a year, or exactly from..to as a custom period", async () => {
    const mentor = loneMentor();
    await record(mentor, { occurred_at: "2026-03-10T00:00:00Z" });
    await record(mentor, { occurred_at: "2026-03-10T23:59:59Z" });
    await record(mentor, { occurred_at: "2026-07-01T12:00:00Z" });

    expect(await summary(mentor, mentor.sub, "?period=day&date=2026-03-10")).toMatchObject({
      period: "day",
      period_start: "2026-03-10T00:00:00Z",
      period_end: "2026-03-10T23:59:59Z",
      total_activities: 2,
    });
    expect(await summary(mentor, mentor.sub, "?period=year&date=2026-03-10")).toMatchObject({
      period: "year",
      period_start: "2026-01-01T00:00:00Z",
      period_end: "2026-12-31T23:59:59Z",
      total_activities: 3,
    });
    const custom = await summary(
      mentor,
      mentor.sub,
      `?from=${encodeURIComponent("2026-03-10T01:59:59+02:00")}&to=2026-07-01T12:00:00Z`,
    );
    expect(custom).toMatchObject({
      period: "custom",
      period_start: "2026-03-09T23:59:59Z",
      period_end: "2026-07-01T12:00:00Z",
      total_activities: 3,
    });
  });

  it("defaults to the current month in UTC", async () => {
    const mentor = loneMentor();
    const monthStart = () => `${new Date().toISOString().slice(0, 7)}-01T00:00:00Z`;
    const before = monthStart();
    const body = await summary(mentor, mentor.sub);
    expect(body.period).toBe("month");
    expect(body.time_zone).toBe("UTC");
    expect([before, monthStart()]).toContain(body.period_start);
  });

  it("refuses a mentor asking about another mentor", async () => {
    const team = await newTeam();
    await expectProblem(await call("GET", `${BASE}/mentor/mentor-b/summary`, { as: team.mentorA }), 403);
    await expectProblem(
      await call("GET", `${BASE}/mentor/mentor-b/count-by-type`, { as: team.mentorA }),
      403,
    );
    await summary(team.compliance, "mentor-b");
    await countByType(team.coordinator, "mentor-b");
  });
});

describe("count by type", () => {
  it("counts each type that occurs, within from/to when given", async () => {
    const team = await newTeam();
    for (const [type, day] of [
      ["session_completed", "01"],
      ["session_completed", "02"],
      ["check_in", "03"],
      ["documentation", "20"],
    ] as const) {
      await record(team.mentorA, { activity_type: type, occurred_at: `2026-03-${day}T10:00:00Z` });
    }
    await insertProxy(team.org, "mentor-a", "pact-20260325-001", "2026-03-25T14:00:00Z");
    await record(team.mentorB, { activity_type: "training_attended" });

    expect(await countByType(team.mentorA, "mentor-a")).toEqual({
      mentor_id: "mentor-a",
      counts: { check_in: 1, documentation: 1, session_completed: 2, workshop: 1 },
    });
    const ranged = await countByType(
      team.admin,
      "mentor-a",
      "?from=2026-03-02T10:00:00Z&to=2026-03-20T10:00:00Z",
    );
    expect(ranged.counts).toEqual({ check_in: 1, documentation: 1, session_completed: 1 });
    expect((await countByType(team.admin, "mentor-nobody")).counts).toEqual({});
  });
});

describe("bad input", () => {
  it.each([
    { case: "duration 0", body: { duration_minutes: 0 }, path: "duration_minutes" },
    { case: "duration 1441", body: { duration_minutes: 1441 }, path: "duration_minutes" },
    { case: "a fractional duration", body: { duration_minutes: 2.5 }, path: "duration_minutes" },
    { case: "a duration as text", body: { duration_minutes: "60" }, path: "duration_minutes" },
    { case: "an impossible date", body: { occurred_at: "2026-13-01T00:00:00Z" }, path: "occurred_at" },
    { case: "a date without a time", body: { occurred_at: "2026-03-10" }, path: "occurred_at" },
    { case: "a time without an offset", body: { occurred_at: "2026-03-10T10:00:00" }, path: "occurred_at" },
    { case: "words for a date", body: { occurred_at: "yesterday" }, path: "occurred_at" },
    { case: "a description as a number", body: { description: 42 }, path: "description" },
    { case: "a blank description", body: { description: "   " }, path: "description" },
    {
      case: "a description over 2000 characters",
      body: { description: "x".repeat(2001) },
      path: "description",
    },
    { case: "a contact ID over 64 characters", body: { contact_id: "c".repeat(65) }, path: "contact_id" },
    { case: "a mentor ID with a slash", body: { mentor_id: "mentor/../x" }, path: "mentor_id" },
    { case: "no activity type", body: { activity_type: undefined }, path: "activity_type" },
    { case: "a log_id", body: { log_id: "log_mine" }, path: "log_id" },
    { case: "a created_at", body: { created_at: "2026-01-01T00:00:00Z" }, path: "created_at" },
    { case: "an entry_mode", body: { entry_mode: "proxy" }, path: "entry_mode" },
    { case: "an attribution_id", body: { attribution_id: "attr-20260325-001" }, path: "attribution_id" },
    { case: "a created_by", body: { created_by: "someone" }, path: "created_by" },
  ])("refuses $case when recording with a 400 naming $path and writes nothing", async ({ body, path }) => {
    const mentor = loneMentor();
    const res = await call("POST", BASE, {
      as: mentor,
      body: { ...SEED_REQUEST, mentor_id: mentor.sub, ...body },
    });
    await expectProblem(res, 400, path);
    expect((await list(mentor)).pagination.total).toBe(0);
  });

  it("refuses an unknown activity type with a 400 on activity_type, on create and on update", async () => {
    const mentor = loneMentor();
    const create = await call("POST", BASE, {
      as: mentor,
      body: { ...SEED_REQUEST, mentor_id: mentor.sub, activity_type: "karaoke" },
    });
    await expectProblem(create, 400, "activity_type");
    expect((await list(mentor)).pagination.total).toBe(0);

    const entry = await record(mentor);
    const update = await call("PUT", `${BASE}/${entry.log_id}`, {
      as: mentor,
      body: { activity_type: "karaoke", description: "changed" },
    });
    await expectProblem(update, 400, "activity_type");
    const stored = await call("GET", `${BASE}/${entry.log_id}`, { as: mentor });
    expect(await stored.json()).toEqual(entry);
  });

  it.each([
    { case: "an empty body", body: {}, path: "" },
    { case: "a mentor_id", body: { mentor_id: "mentor-b" }, path: "mentor_id" },
    { case: "a log_id", body: { log_id: "log_other", description: "x" }, path: "log_id" },
    { case: "an updated_at", body: { updated_at: "2026-01-01T00:00:00Z" }, path: "updated_at" },
    { case: "duration 0", body: { duration_minutes: 0 }, path: "duration_minutes" },
    { case: "a bad date", body: { occurred_at: "2026-02-30T10:00:00Z" }, path: "occurred_at" },
    { case: "a null description", body: { description: null }, path: "description" },
  ])("refuses $case when changing with a 400 and changes nothing", async ({ body, path }) => {
    const mentor = loneMentor();
    const entry = await record(mentor);
    const res = await call("PUT", `${BASE}/${entry.log_id}`, { as: mentor, body });
    await expectProblem(res, 400, path);
    const stored = await call("GET", `${BASE}/${entry.log_id}`, { as: mentor });
    expect(await stored.json()).toEqual(entry);
  });

  it.each([
    { case: "an unknown time zone", query: "?tz=Mars/Olympus_Mons", path: "tz" },
    { case: "a date that does not exist", query: "?date=2026-02-30", path: "date" },
    { case: "a date with a time", query: "?date=2026-03-01T00:00:00Z", path: "date" },
    { case: "an unknown period", query: "?period=fortnight", path: "period" },
    { case: "from without to", query: "?from=2026-03-01T00:00:00Z", path: "to" },
    { case: "from after to", query: "?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z", path: "to" },
    {
      case: "a period with from/to",
      query: "?period=week&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z",
      path: "period",
    },
  ])("refuses a summary with $case", async ({ query, path }) => {
    const mentor = loneMentor();
    await expectProblem(
      await call("GET", `${BASE}/mentor/${mentor.sub}/summary${query}`, { as: mentor }),
      400,
      path,
    );
  });

  it.each([
    { case: "limit 0", query: "?limit=0", path: "limit" },
    { case: "limit 101", query: "?limit=101", path: "limit" },
    { case: "page 0", query: "?page=0", path: "page" },
    { case: "a page that is not a number", query: "?page=two", path: "page" },
    { case: "an unknown entry mode", query: "?entry_mode=manual", path: "entry_mode" },
    { case: "a bad from", query: "?from=last-week", path: "from" },
    { case: "from after to", query: "?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z", path: "to" },
  ])("refuses a list with $case", async ({ query, path }) => {
    const mentor = loneMentor();
    await expectProblem(await call("GET", `${BASE}${query}`, { as: mentor }), 400, path);
  });

  it("refuses counts with from after to", async () => {
    const mentor = loneMentor();
    const res = await call(
      "GET",
      `${BASE}/mentor/${mentor.sub}/count-by-type?from=2026-04-01T00:00:00Z&to=2026-03-01T00:00:00Z`,
      {
        as: mentor,
      },
    );
    await expectProblem(res, 400, "to");
  });
});

describe("OpenAPI document", () => {
  it("declares the seven operations under Activity logs, with bearer security and every status they answer", async () => {
    const res = await call("GET", "/openapi.json");
    const doc = await json<{
      paths: Record<
        string,
        Record<
          string,
          { operationId: string; tags: string[]; security: unknown[]; responses: Record<string, unknown> }
        >
      >;
    }>(res);
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith(BASE))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, ...op })),
      );
    const statuses = Object.fromEntries(
      operations.map((op) => [op.operationId, Object.keys(op.responses).sort().join(",")]),
    );
    expect(statuses).toEqual({
      listActivityLogs: "200,400,401,403,429,500",
      getActivityLog: "200,304,400,401,403,404,429,500",
      createActivityLog: "201,400,401,403,409,413,415,422,429,500",
      updateActivityLog: "200,400,401,403,404,409,412,413,415,429,500",
      deleteActivityLog: "200,400,401,403,404,409,412,429,500",
      getActivitySummary: "200,400,401,403,429,500",
      countActivitiesByType: "200,400,401,403,429,500",
    });
    for (const op of operations) {
      expect(op.tags, op.route).toEqual(["Activity logs"]);
      expect(op.security, op.route).toEqual([{ bearerAuth: [] }]);
    }
  });
});
