import type { OperationObject } from "openapi-typescript";
import { describe, expect, it } from "vitest";
import type { components, paths } from "../../clients/typescript/index";
import { activities } from "../../src/db/schema";
import { call, json } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { orgDb } from "../helpers/databases";
import { testOrg } from "../helpers/org";

const BASE = "/api/v1/activity-logs";
const ENTRY = "/api/v1/activity-logs/{id}";
const SUMMARY = "/api/v1/activity-logs/mentor/{mentor_id}/summary";
const COUNTS = "/api/v1/activity-logs/mentor/{mentor_id}/count-by-type";
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const LOG_ID = /^log_[0-9a-f]{16}$/;
const HOUR_MS = 60 * 60 * 1000;

type ActivityLog = components["schemas"]["ActivityLog"];
type ActivityLogInput = components["schemas"]["ActivityLogInput"];
type ActivityLogChanges = components["schemas"]["ActivityLogChanges"];
type Problem = components["schemas"]["Problem"];
type ListQuery = NonNullable<paths[typeof BASE]["get"]["parameters"]["query"]>;
type SummaryQuery = NonNullable<paths[typeof SUMMARY]["get"]["parameters"]["query"]>;
type CountQuery = NonNullable<paths[typeof COUNTS]["get"]["parameters"]["query"]>;

/** What the typed client answers: the parsed body on success, the problem otherwise. */
interface Answer<T> {
  data?: T;
  error?: Problem;
  response: Response;
}

/** The body of an answer with the expected status; fails the test, naming the problem, otherwise. */
function expectBody<T>(answer: Answer<T>, status: number): T {
  expect(answer.response.status, JSON.stringify(answer.error)).toBe(status);
  if (answer.data === undefined) throw new Error(`${answer.response.status} answered without a body`);
  return answer.data;
}

const SEED_REQUEST = {
  mentor_id: "mentor-042",
  activity_type: "session_completed",
  description: "Monthly progress review",
  contact_id: "contact_xyz123",
  duration_minutes: 60,
  occurred_at: "2026-03-26T13:00:00Z",
} satisfies ActivityLogInput;

async function record(as: TokenClaims, body: Partial<ActivityLogInput> = {}): Promise<ActivityLog> {
  const answer = await api(as).POST(BASE, {
    body: {
      activity_type: "session_completed",
      description: "Weekly session",
      occurred_at: "2026-03-10T10:00:00Z",
      ...body,
    },
  });
  return expectBody(answer, 201);
}

/** A coordinator's proxy activity, written the way the attributions module writes it. */
async function insertProxy(org: string, mentorId: string, activityId: string, occurredAt: string) {
  await (await orgDb(org)).insert(activities).values({
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
    createdBy: "coord-007",
  });
}

const read = (as: TokenClaims, id: string) => api(as).GET(ENTRY, { params: { path: { id } } });

async function list(as: TokenClaims, query: ListQuery = {}) {
  return expectBody(await api(as).GET(BASE, { params: { query } }), 200);
}

async function summary(as: TokenClaims, mentorId: string, query: SummaryQuery = {}) {
  return expectBody(await api(as).GET(SUMMARY, { params: { path: { mentor_id: mentorId }, query } }), 200);
}

async function countByType(as: TokenClaims, mentorId: string, query: CountQuery = {}) {
  return expectBody(await api(as).GET(COUNTS, { params: { path: { mentor_id: mentorId }, query } }), 200);
}

/**
 * Checks a problem+json answer, from the typed client or from a raw `call` (for requests
 * outside the contract), and answers the problem.
 */
async function expectProblem(
  answer: Response | Answer<unknown>,
  status: number,
  path?: string,
): Promise<Problem> {
  const response = answer instanceof Response ? answer : answer.response;
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  const problem = answer instanceof Response ? await json<Problem>(answer) : answer.error;
  expect(problem).toMatchObject({ status, type: expect.any(String), title: expect.any(String) });
  if (problem === undefined) throw new Error(`${status} answered without a problem`);
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
  // SPEC §11: what a mentor enters itself (or an admin for it) needs no confirmation.
  confirmation_status: "confirmed",
  confirmation: null,
  // SPEC §10: the app's own ID of an entry queued offline; none was sent.
  client_ref: null,
  created_at: expect.stringMatching(ISO_SECONDS),
  updated_at: expect.stringMatching(ISO_SECONDS),
};

describe("recording an activity", () => {
  it("answers the seed's fields, a fresh log_ ID and a Location for the new entry", async () => {
    const o = await testOrg();
    const answer = await api(o.mentor).POST(BASE, { body: SEED_REQUEST });
    const body = expectBody(answer, 201);
    expect(body).toEqual({
      ...anActivityLog,
      ...SEED_REQUEST,
      log_id: expect.stringMatching(LOG_ID),
      entry_mode: "self",
      created_by: "mentor-042",
    });
    expect(body.updated_at).toBe(body.created_at);
    expect(answer.response.headers.get("location")).toBe(`${BASE}/${body.log_id}`);
    const again = await record(o.mentor);
    expect(again.log_id).not.toBe(body.log_id);
  });

  it("defaults mentor_id to the caller, stores times in UTC and leaves optional fields null", async () => {
    const o = await testOrg();
    // Not on record: a mentor's token vouches for it, so it needs no member record to log.
    const mentor = o.as("mentor-solo", "mentor");
    const body = await record(mentor, { occurred_at: "2026-03-26T09:00:00-04:00" });
    expect(body).toMatchObject({
      mentor_id: mentor.sub,
      occurred_at: "2026-03-26T13:00:00Z",
      contact_id: null,
      duration_minutes: null,
    });
  });

  it("lets an admin record for an active mentor and names the admin as creator", async () => {
    const o = await testOrg();
    const body = await record(o.admin, { mentor_id: "mentor-033" });
    expect(body).toMatchObject({ mentor_id: "mentor-033", created_by: "admin-007", entry_mode: "self" });
  });

  it.each([
    { case: "an unknown member", mentor: "mentor-nobody", message: /No member/ },
    { case: "an inactive mentor", mentor: "mentor-999", message: /inactive/ },
    { case: "a member without the mentor role", mentor: "coord-007", message: /mentor role/ },
  ])(
    "refuses an admin's entry for $case with a 400 on mentor_id and writes nothing",
    async ({ mentor, message }) => {
      const o = await testOrg();
      const answer = await api(o.admin).POST(BASE, { body: { ...SEED_REQUEST, mentor_id: mentor } });
      const problem = await expectProblem(answer, 400, "mentor_id");
      expect(problem.errors?.find((e) => e.path === "mentor_id")?.message).toMatch(message);
      expect((await list(o.admin)).pagination.total).toBe(0);
    },
  );

  it("refuses a mentor logging for another mentor and writes nothing", async () => {
    const o = await testOrg();
    const answer = await api(o.mentor).POST(BASE, { body: { ...SEED_REQUEST, mentor_id: "mentor-033" } });
    await expectProblem(answer, 403);
    expect((await list(o.admin)).pagination.total).toBe(0);
  });

  it("refuses coordinators and compliance officers", async () => {
    const o = await testOrg();
    for (const as of [o.coordinator, o.compliance]) {
      await expectProblem(await api(as).POST(BASE, { body: SEED_REQUEST }), 403);
    }
    expect((await list(o.admin)).pagination.total).toBe(0);
  });
});

describe("reading entries", () => {
  it("answers one entry by ID with every seed field", async () => {
    const o = await testOrg();
    const created = await record(o.mentor, SEED_REQUEST);
    expect(expectBody(await read(o.mentor, created.log_id), 200)).toEqual({ ...anActivityLog, ...created });
  });

  it("lets coordinators, admins and compliance read any mentor's entries", async () => {
    const o = await testOrg();
    const a = await record(o.mentor);
    const b = await record(o.otherMentor);
    for (const as of [o.coordinator, o.admin, o.compliance]) {
      const page = await list(as);
      expect(page.data.map((e) => e.log_id).sort()).toEqual([a.log_id, b.log_id].sort());
      expect((await read(as, b.log_id)).response.status).toBe(200);
    }
  });

  it("shows a mentor only its own entries, refuses a filter on another mentor and hides another's entry (404)", async () => {
    const o = await testOrg();
    const own = await record(o.mentor);
    const other = await record(o.otherMentor);
    const page = await list(o.mentor);
    expect(page.data.map((e) => e.log_id)).toEqual([own.log_id]);
    expect(page.pagination.total).toBe(1);
    expect((await list(o.mentor, { mentor_id: "mentor-042" })).pagination.total).toBe(1);
    await expectProblem(
      await api(o.mentor).GET(BASE, { params: { query: { mentor_id: "mentor-033" } } }),
      403,
    );
    // As for a missing entry (SPEC §12): the answer tells nothing of entries the caller may not see.
    await expectProblem(await read(o.mentor, other.log_id), 404);
  });

  it("answers 401 with a Bearer challenge when the token is missing", async () => {
    // Raw: the typed client always signs its requests in.
    const res = await call("GET", BASE);
    await expectProblem(res, 401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers 404 for another organisation's entry, as for a missing one", async () => {
    const o = await testOrg();
    const entry = await record(o.mentor, SEED_REQUEST);
    const outsider = (await testOrg("other")).admin;
    const theirs = api(outsider);
    const path = { id: entry.log_id };
    await expectProblem(await theirs.GET(ENTRY, { params: { path } }), 404);
    await expectProblem(
      await theirs.PUT(ENTRY, { params: { path }, body: { description: "taken over" } }),
      404,
    );
    await expectProblem(await theirs.DELETE(ENTRY, { params: { path } }), 404);
    await expectProblem(await read(o.admin, "log_0000000000000000"), 404);
    expect((await list(outsider)).pagination.total).toBe(0);
    expect((await read(o.mentor, entry.log_id)).data).toEqual(entry);
  });

  it("shows a coordinator's proxy activities with entry_mode and attribution_id", async () => {
    const o = await testOrg();
    await insertProxy(o.org, "mentor-042", "pact-20260325-001", "2026-03-24T14:00:00Z");
    const page = await list(o.mentor);
    expect(page.data).toEqual([
      expect.objectContaining({
        log_id: "pact-20260325-001",
        entry_mode: "proxy",
        attribution_id: "attr-20260325-001",
        created_by: "coord-007",
      }),
    ]);
  });
});

describe("listing: order, pagination and filters", () => {
  it("orders newest first, breaks ties by log_id descending and pages past the end to an empty page", async () => {
    const { mentor } = await testOrg();
    const days = ["01", "05", "03", "05", "02"];
    const created: ActivityLog[] = [];
    for (const day of days) created.push(await record(mentor, { occurred_at: `2026-03-${day}T09:00:00Z` }));
    const expected = [...created]
      .sort((x, y) => (`${x.occurred_at} ${x.log_id}` < `${y.occurred_at} ${y.log_id}` ? 1 : -1))
      .map((e) => e.log_id);

    const pages = [];
    for (const page of [1, 2, 3]) pages.push(await list(mentor, { limit: 2, page }));
    expect(pages.flatMap((p) => p.data.map((e) => e.log_id))).toEqual(expected);
    expect(pages.map((p) => p.data.length)).toEqual([2, 2, 1]);
    expect(pages[0]?.pagination).toEqual({ page: 1, limit: 2, total: 5 });

    expect(await list(mentor, { limit: 2, page: 4 })).toEqual({
      data: [],
      pagination: { page: 4, limit: 2, total: 5 },
      next_cursor: null,
    });
    const first = await list(mentor, { limit: 1 });
    expect(first.data.map((e) => e.log_id)).toEqual(expected.slice(0, 1));
    expect(first.pagination).toEqual({ page: 1, limit: 1, total: 5 });
    expect((await list(mentor)).pagination).toEqual({ page: 1, limit: 20, total: 5 });
  });

  it("narrows the entries and the total by each filter, from/to inclusive", async () => {
    const o = await testOrg();
    const early = await record(o.mentor, {
      activity_type: "check_in",
      contact_id: "contact-1",
      occurred_at: "2026-03-01T00:00:00Z",
    });
    const middle = await record(o.mentor, {
      activity_type: "referral_made",
      contact_id: "contact-2",
      occurred_at: "2026-03-15T12:00:00Z",
    });
    const late = await record(o.otherMentor, {
      activity_type: "check_in",
      contact_id: "contact-1",
      occurred_at: "2026-03-31T23:59:59Z",
    });
    await insertProxy(o.org, "mentor-033", "pact-20260401-001", "2026-04-01T00:00:00Z");

    const ids = async (query: ListQuery) => {
      const page = await list(o.coordinator, { ...query, limit: 1 });
      const all = await list(o.coordinator, query);
      expect(page.pagination.total).toBe(all.data.length);
      return all.data.map((e) => e.log_id);
    };
    expect(await ids({ mentor_id: "mentor-042" })).toEqual([middle.log_id, early.log_id]);
    expect(await ids({ activity_type: "check_in" })).toEqual([late.log_id, early.log_id]);
    expect(await ids({ contact_id: "contact-1" })).toEqual([late.log_id, early.log_id]);
    expect(await ids({ entry_mode: "proxy" })).toEqual(["pact-20260401-001"]);
    expect(await ids({ entry_mode: "self", mentor_id: "mentor-033" })).toEqual([late.log_id]);
    expect(await ids({ from: "2026-03-01T00:00:00Z", to: "2026-03-31T23:59:59Z" })).toEqual([
      late.log_id,
      middle.log_id,
      early.log_id,
    ]);
    expect(await ids({ from: "2026-03-15T12:00:00Z" })).toEqual([
      "pact-20260401-001",
      late.log_id,
      middle.log_id,
    ]);
    expect(await ids({ to: "2026-03-15T08:00:00-04:00" })).toEqual([middle.log_id, early.log_id]);
    expect(
      await ids({ activity_type: "check_in", contact_id: "contact-1", mentor_id: "mentor-042" }),
    ).toEqual([early.log_id]);
    expect(await ids({ activity_type: "workshop", mentor_id: "mentor-042" })).toEqual([]);
  });
});

describe("changing an entry", () => {
  it("changes only the named fields and answers the whole entry with a new updated_at", async () => {
    const o = await testOrg();
    await o.db.insert(activities).values({
      orgId: o.org,
      activityId: "log_003ccc",
      mentorId: "mentor-042",
      activityType: "session_completed",
      description: "Monthly progress review",
      contactId: "contact_xyz123",
      durationMinutes: 60,
      occurredAt: "2026-03-26T13:00:00Z",
      entryMode: "self",
      confirmationStatus: "confirmed",
      createdBy: "mentor-042",
      createdAt: "2001-01-01T00:00:00Z",
      updatedAt: "2001-01-01T00:00:00Z",
    });
    const answer = await api(o.mentor).PUT(ENTRY, {
      params: { path: { id: "log_003ccc" } },
      body: { description: "Monthly progress review — updated notes added", duration_minutes: 65 },
    });
    const body = expectBody(answer, 200);
    expect(body).toEqual({
      ...anActivityLog,
      log_id: "log_003ccc",
      mentor_id: "mentor-042",
      activity_type: "session_completed",
      description: "Monthly progress review — updated notes added",
      contact_id: "contact_xyz123",
      duration_minutes: 65,
      occurred_at: "2026-03-26T13:00:00Z",
      entry_mode: "self",
      created_by: "mentor-042",
      created_at: "2001-01-01T00:00:00Z",
    });
    expect(body.updated_at > body.created_at).toBe(true);
    expect((await read(o.mentor, "log_003ccc")).data).toEqual(body);
  });

  it("changes type, contact and time, and clears contact and duration with null", async () => {
    const { mentor } = await testOrg();
    const entry = await record(mentor, { contact_id: "contact-1", duration_minutes: 30 });
    const path = { id: entry.log_id };
    const changed = await api(mentor).PUT(ENTRY, {
      params: { path },
      body: { activity_type: "check_in", occurred_at: "2026-03-11T08:00:00+01:00", contact_id: "contact-2" },
    });
    expect(changed.data).toMatchObject({
      activity_type: "check_in",
      occurred_at: "2026-03-11T07:00:00Z",
      contact_id: "contact-2",
      duration_minutes: 30,
    });
    const cleared = await api(mentor).PUT(ENTRY, {
      params: { path },
      body: { contact_id: null, duration_minutes: null },
    });
    expect(cleared.data).toMatchObject({ contact_id: null, duration_minutes: null });
  });

  it("answers a mentor changing or deleting another mentor's entry as for a missing one (404), and leaves it as it was", async () => {
    const o = await testOrg();
    const entry = await record(o.otherMentor, { ...SEED_REQUEST, mentor_id: "mentor-033" });
    const path = { id: entry.log_id };
    const mine = api(o.mentor);
    await expectProblem(await mine.PUT(ENTRY, { params: { path }, body: { description: "not mine" } }), 404);
    await expectProblem(await mine.DELETE(ENTRY, { params: { path } }), 404);
    expect((await read(o.otherMentor, entry.log_id)).data).toEqual(entry);
  });

  it("refuses coordinators and compliance officers changing or deleting entries", async () => {
    const o = await testOrg();
    const entry = await record(o.mentor);
    const path = { id: entry.log_id };
    for (const as of [o.coordinator, o.compliance]) {
      await expectProblem(
        await api(as).PUT(ENTRY, { params: { path }, body: { description: "edited" } }),
        403,
      );
      await expectProblem(await api(as).DELETE(ENTRY, { params: { path } }), 403);
    }
    expect((await read(o.mentor, entry.log_id)).data).toEqual(entry);
  });

  it("lets an admin change and delete any mentor's entry", async () => {
    const o = await testOrg();
    const entry = await record(o.mentor);
    const path = { id: entry.log_id };
    const put = await api(o.admin).PUT(ENTRY, { params: { path }, body: { duration_minutes: 90 } });
    expect(put.response.status).toBe(200);
    expect(put.data).toMatchObject({ mentor_id: "mentor-042", duration_minutes: 90 });
    const del = await api(o.admin).DELETE(ENTRY, { params: { path } });
    expect(del.data).toEqual({ deleted: true, log_id: entry.log_id });
  });

  it("answers 409 to changing or deleting a proxy activity, even for an admin, and keeps it", async () => {
    const o = await testOrg();
    await insertProxy(o.org, "mentor-042", "pact-20260325-001", "2026-03-24T14:00:00Z");
    const path = { id: "pact-20260325-001" };
    for (const as of [o.mentor, o.admin]) {
      const put = await api(as).PUT(ENTRY, { params: { path }, body: { duration_minutes: 30 } });
      const problem = await expectProblem(put, 409);
      expect(problem.detail).toContain("attr-20260325-001");
      await expectProblem(await api(as).DELETE(ENTRY, { params: { path } }), 409);
    }
    expect((await read(o.mentor, "pact-20260325-001")).data).toMatchObject({
      duration_minutes: 120,
      entry_mode: "proxy",
    });
  });
});

describe("deleting an entry", () => {
  it("answers {deleted, log_id}; the entry then answers 404 and vanishes from lists, summaries and counts", async () => {
    const o = await testOrg();
    const kept = await record(o.mentor, { activity_type: "check_in", contact_id: "contact-1" });
    const gone = await record(o.mentor, {
      activity_type: "referral_made",
      contact_id: "contact-2",
      duration_minutes: 30,
    });
    const mentor = api(o.mentor);
    const path = { id: gone.log_id };

    const deleted = await mentor.DELETE(ENTRY, { params: { path } });
    expect(expectBody(deleted, 200)).toEqual({ deleted: true, log_id: gone.log_id });

    await expectProblem(await mentor.GET(ENTRY, { params: { path } }), 404);
    await expectProblem(await mentor.DELETE(ENTRY, { params: { path } }), 404);
    await expectProblem(await mentor.PUT(ENTRY, { params: { path }, body: { description: "back" } }), 404);
    expect((await list(o.mentor)).data.map((e) => e.log_id)).toEqual([kept.log_id]);
    expect(await summary(o.mentor, "mentor-042", { date: "2026-03-10" })).toMatchObject({
      total_activities: 1,
      total_referrals: 0,
      total_check_ins: 1,
      total_duration_minutes: 0,
      unique_contacts_supported: 1,
    });
    expect((await countByType(o.mentor, "mentor-042")).counts).toEqual({ check_in: 1 });
  });
});

describe("summary", () => {
  it("answers the seed's fields with totals counted by hand for a month", async () => {
    const o = await testOrg();
    const march: Partial<ActivityLogInput>[] = [
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
    const outside: Partial<ActivityLogInput>[] = [
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
    for (const body of [...march, ...outside]) await record(o.mentor, body);
    await record(o.otherMentor, { activity_type: "check_in", duration_minutes: 500, contact_id: "c-8" });

    const body = await summary(o.coordinator, "mentor-042", { period: "month", date: "2026-03-20" });
    expect(body).toEqual({
      mentor_id: "mentor-042",
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
      pending_confirmation: 0,
      disputed: 0,
    });
  });

  it("counts proxy activities and answers zeros for a mentor without entries", async () => {
    const o = await testOrg();
    await insertProxy(o.org, "mentor-042", "pact-20260325-001", "2026-03-24T14:00:00Z");
    expect(await summary(o.admin, "mentor-042", { date: "2026-03-01" })).toMatchObject({
      total_activities: 1,
      total_duration_minutes: 120,
      unique_contacts_supported: 0,
    });
    expect(await summary(o.admin, "mentor-nobody", { date: "2026-03-01" })).toMatchObject({
      total_activities: 0,
      total_sessions: 0,
      total_referrals: 0,
      total_check_ins: 0,
      total_duration_minutes: 0,
      unique_contacts_supported: 0,
    });
  });

  it("puts 23:30 on 31 March in New York into March there and into April in UTC", async () => {
    const { mentor } = await testOrg();
    await record(mentor, { occurred_at: "2026-03-31T23:30:00-04:00", duration_minutes: 50 });

    const newYork = await summary(mentor, mentor.sub, {
      period: "month",
      date: "2026-03-15",
      tz: "America/New_York",
    });
    expect(newYork).toMatchObject({
      period_start: "2026-03-01T05:00:00Z",
      period_end: "2026-04-01T03:59:59Z",
      time_zone: "America/New_York",
      total_activities: 1,
      total_duration_minutes: 50,
    });
    expect(await summary(mentor, mentor.sub, { date: "2026-03-15" })).toMatchObject({ total_activities: 0 });
    expect(await summary(mentor, mentor.sub, { date: "2026-04-15" })).toMatchObject({
      period_start: "2026-04-01T00:00:00Z",
      period_end: "2026-04-30T23:59:59Z",
      total_activities: 1,
    });
  });

  it("bounds a week across the spring daylight-saving change in New York to 167 hours", async () => {
    const { mentor } = await testOrg();
    await record(mentor, { occurred_at: "2026-03-02T05:00:00Z" });
    await record(mentor, { occurred_at: "2026-03-09T03:59:59Z" });
    await record(mentor, { occurred_at: "2026-03-02T04:59:59Z" });
    await record(mentor, { occurred_at: "2026-03-09T04:00:00Z" });

    const week = await summary(mentor, mentor.sub, {
      period: "week",
      date: "2026-03-08",
      tz: "America/New_York",
    });
    expect(week).toMatchObject({
      period: "week",
      period_start: "2026-03-02T05:00:00Z",
      period_end: "2026-03-09T03:59:59Z",
      total_activities: 2,
    });
    expect((Date.parse(week.period_end) + 1000 - Date.parse(week.period_start)) / HOUR_MS).toBe(167);
  });

  it("bounds a week across the autumn daylight-saving change in London to 169 hours", async () => {
    const { mentor } = await testOrg();
    const week = await summary(mentor, mentor.sub, {
      period: "week",
      date: "2026-10-25",
      tz: "europe/london",
    });
    expect(week).toMatchObject({
      period_start: "2026-10-18T23:00:00Z",
      period_end: "2026-10-25T23:59:59Z",
      time_zone: "Europe/London",
    });
    expect((Date.parse(week.period_end) + 1000 - Date.parse(week.period_start)) / HOUR_MS).toBe(169);
  });

  it("covers a day, a year, or exactly from..to as a custom period", async () => {
    const { mentor } = await testOrg();
    await record(mentor, { occurred_at: "2026-03-10T00:00:00Z" });
    await record(mentor, { occurred_at: "2026-03-10T23:59:59Z" });
    await record(mentor, { occurred_at: "2026-07-01T12:00:00Z" });

    expect(await summary(mentor, mentor.sub, { period: "day", date: "2026-03-10" })).toMatchObject({
      period: "day",
      period_start: "2026-03-10T00:00:00Z",
      period_end: "2026-03-10T23:59:59Z",
      total_activities: 2,
    });
    expect(await summary(mentor, mentor.sub, { period: "year", date: "2026-03-10" })).toMatchObject({
      period: "year",
      period_start: "2026-01-01T00:00:00Z",
      period_end: "2026-12-31T23:59:59Z",
      total_activities: 3,
    });
    // The client percent-encodes the query, so the "+" of the offset arrives as itself.
    const custom = await summary(mentor, mentor.sub, {
      from: "2026-03-10T01:59:59+02:00",
      to: "2026-07-01T12:00:00Z",
    });
    expect(custom).toMatchObject({
      period: "custom",
      period_start: "2026-03-09T23:59:59Z",
      period_end: "2026-07-01T12:00:00Z",
      total_activities: 3,
    });
  });

  it("defaults to the current month in UTC", async () => {
    const { mentor } = await testOrg();
    const monthStart = () => `${new Date().toISOString().slice(0, 7)}-01T00:00:00Z`;
    const before = monthStart();
    const body = await summary(mentor, mentor.sub);
    expect(body.period).toBe("month");
    expect(body.time_zone).toBe("UTC");
    expect([before, monthStart()]).toContain(body.period_start);
  });

  it("refuses a mentor asking about another mentor", async () => {
    const o = await testOrg();
    const path = { mentor_id: "mentor-033" };
    await expectProblem(await api(o.mentor).GET(SUMMARY, { params: { path } }), 403);
    await expectProblem(await api(o.mentor).GET(COUNTS, { params: { path } }), 403);
    await summary(o.compliance, "mentor-033");
    await countByType(o.coordinator, "mentor-033");
  });
});

describe("count by type", () => {
  it("counts each type that occurs, within from/to when given", async () => {
    const o = await testOrg();
    for (const [type, day] of [
      ["session_completed", "01"],
      ["session_completed", "02"],
      ["check_in", "03"],
      ["documentation", "20"],
    ] as const) {
      await record(o.mentor, { activity_type: type, occurred_at: `2026-03-${day}T10:00:00Z` });
    }
    await insertProxy(o.org, "mentor-042", "pact-20260325-001", "2026-03-25T14:00:00Z");
    await record(o.otherMentor, { activity_type: "training_attended" });

    expect(await countByType(o.mentor, "mentor-042")).toEqual({
      mentor_id: "mentor-042",
      counts: { check_in: 1, documentation: 1, session_completed: 2, workshop: 1 },
    });
    const ranged = await countByType(o.admin, "mentor-042", {
      from: "2026-03-02T10:00:00Z",
      to: "2026-03-20T10:00:00Z",
    });
    expect(ranged.counts).toEqual({ check_in: 1, documentation: 1, session_completed: 1 });
    expect((await countByType(o.admin, "mentor-nobody")).counts).toEqual({});
  });
});

describe("bad input", () => {
  it.each<{ case: string; body: Partial<ActivityLogInput>; path: string }>([
    { case: "duration 0", body: { duration_minutes: 0 }, path: "duration_minutes" },
    { case: "duration 1441", body: { duration_minutes: 1441 }, path: "duration_minutes" },
    { case: "a fractional duration", body: { duration_minutes: 2.5 }, path: "duration_minutes" },
    { case: "an impossible date", body: { occurred_at: "2026-13-01T00:00:00Z" }, path: "occurred_at" },
    { case: "a date without a time", body: { occurred_at: "2026-03-10" }, path: "occurred_at" },
    { case: "a time without an offset", body: { occurred_at: "2026-03-10T10:00:00" }, path: "occurred_at" },
    { case: "words for a date", body: { occurred_at: "yesterday" }, path: "occurred_at" },
    { case: "a blank description", body: { description: "   " }, path: "description" },
    {
      case: "a description over 2000 characters",
      body: { description: "x".repeat(2001) },
      path: "description",
    },
    { case: "a contact ID over 64 characters", body: { contact_id: "c".repeat(65) }, path: "contact_id" },
    { case: "a mentor ID with a slash", body: { mentor_id: "mentor/../x" }, path: "mentor_id" },
  ])("refuses $case when recording with a 400 naming $path and writes nothing", async ({ body, path }) => {
    const { mentor } = await testOrg();
    const answer = await api(mentor).POST(BASE, {
      body: { ...SEED_REQUEST, mentor_id: mentor.sub, ...body },
    });
    await expectProblem(answer, 400, path);
    expect((await list(mentor)).pagination.total).toBe(0);
  });

  // Outside the contract (wrong JSON types, a required field left out, fields the API sets
  // itself), so the typed client cannot send them: raw requests.
  it.each<{ case: string; body: Record<string, unknown>; path: string }>([
    { case: "a duration as text", body: { duration_minutes: "60" }, path: "duration_minutes" },
    { case: "a description as a number", body: { description: 42 }, path: "description" },
    { case: "no activity type", body: { activity_type: undefined }, path: "activity_type" },
    { case: "a log_id", body: { log_id: "log_mine" }, path: "log_id" },
    { case: "a created_at", body: { created_at: "2026-01-01T00:00:00Z" }, path: "created_at" },
    { case: "an entry_mode", body: { entry_mode: "proxy" }, path: "entry_mode" },
    { case: "an attribution_id", body: { attribution_id: "attr-20260325-001" }, path: "attribution_id" },
    { case: "a created_by", body: { created_by: "someone" }, path: "created_by" },
  ])("refuses $case when recording with a 400 naming $path and writes nothing", async ({ body, path }) => {
    const { mentor } = await testOrg();
    const res = await call("POST", BASE, {
      as: mentor,
      body: { ...SEED_REQUEST, mentor_id: mentor.sub, ...body },
    });
    await expectProblem(res, 400, path);
    expect((await list(mentor)).pagination.total).toBe(0);
  });

  it("refuses an unknown activity type with a 400 on activity_type, on create and on update", async () => {
    const { mentor } = await testOrg();
    const create = await api(mentor).POST(BASE, {
      body: { ...SEED_REQUEST, mentor_id: mentor.sub, activity_type: "karaoke" },
    });
    await expectProblem(create, 400, "activity_type");
    expect((await list(mentor)).pagination.total).toBe(0);

    const entry = await record(mentor);
    const update = await api(mentor).PUT(ENTRY, {
      params: { path: { id: entry.log_id } },
      body: { activity_type: "karaoke", description: "changed" },
    });
    await expectProblem(update, 400, "activity_type");
    expect((await read(mentor, entry.log_id)).data).toEqual(entry);
  });

  it.each<{ case: string; body: ActivityLogChanges; path: string }>([
    // The document cannot say "at least one field", so the types allow an empty change.
    { case: "an empty body", body: {}, path: "" },
    { case: "duration 0", body: { duration_minutes: 0 }, path: "duration_minutes" },
    { case: "a bad date", body: { occurred_at: "2026-02-30T10:00:00Z" }, path: "occurred_at" },
  ])("refuses $case when changing with a 400 and changes nothing", async ({ body, path }) => {
    const { mentor } = await testOrg();
    const entry = await record(mentor);
    const answer = await api(mentor).PUT(ENTRY, { params: { path: { id: entry.log_id } }, body });
    await expectProblem(answer, 400, path);
    expect((await read(mentor, entry.log_id)).data).toEqual(entry);
  });

  // Fields the API does not let a change name, and a null where null is not allowed: outside
  // the contract, so raw requests.
  it.each<{ case: string; body: Record<string, unknown>; path: string }>([
    { case: "a mentor_id", body: { mentor_id: "mentor-033" }, path: "mentor_id" },
    { case: "a log_id", body: { log_id: "log_other", description: "x" }, path: "log_id" },
    { case: "an updated_at", body: { updated_at: "2026-01-01T00:00:00Z" }, path: "updated_at" },
    { case: "a null description", body: { description: null }, path: "description" },
  ])("refuses $case when changing with a 400 and changes nothing", async ({ body, path }) => {
    const { mentor } = await testOrg();
    const entry = await record(mentor);
    const res = await call("PUT", `${BASE}/${entry.log_id}`, { as: mentor, body });
    await expectProblem(res, 400, path);
    expect((await read(mentor, entry.log_id)).data).toEqual(entry);
  });

  it.each<{ case: string; query: SummaryQuery; path: string }>([
    { case: "an unknown time zone", query: { tz: "Mars/Olympus_Mons" }, path: "tz" },
    { case: "a date that does not exist", query: { date: "2026-02-30" }, path: "date" },
    { case: "a date with a time", query: { date: "2026-03-01T00:00:00Z" }, path: "date" },
    { case: "from without to", query: { from: "2026-03-01T00:00:00Z" }, path: "to" },
    {
      case: "from after to",
      query: { from: "2026-04-01T00:00:00Z", to: "2026-03-01T00:00:00Z" },
      path: "to",
    },
    {
      case: "a period with from/to",
      query: { period: "week", from: "2026-03-01T00:00:00Z", to: "2026-03-02T00:00:00Z" },
      path: "period",
    },
  ])("refuses a summary with $case", async ({ query, path }) => {
    const { mentor } = await testOrg();
    const answer = await api(mentor).GET(SUMMARY, { params: { path: { mentor_id: mentor.sub }, query } });
    await expectProblem(answer, 400, path);
  });

  it("refuses a summary with an unknown period", async () => {
    const { mentor } = await testOrg();
    // Raw: the period is outside the enum the typed client allows.
    const res = await call("GET", `${BASE}/mentor/${mentor.sub}/summary?period=fortnight`, { as: mentor });
    await expectProblem(res, 400, "period");
  });

  it.each<{ case: string; query: ListQuery; path: string }>([
    { case: "limit 0", query: { limit: 0 }, path: "limit" },
    { case: "limit 101", query: { limit: 101 }, path: "limit" },
    { case: "page 0", query: { page: 0 }, path: "page" },
    { case: "a bad from", query: { from: "last-week" }, path: "from" },
    {
      case: "from after to",
      query: { from: "2026-04-01T00:00:00Z", to: "2026-03-01T00:00:00Z" },
      path: "to",
    },
  ])("refuses a list with $case", async ({ query, path }) => {
    const { mentor } = await testOrg();
    await expectProblem(await api(mentor).GET(BASE, { params: { query } }), 400, path);
  });

  // A page that is not a number and a mode outside the enum: the typed client cannot send them.
  it.each([
    { case: "a page that is not a number", query: "?page=two", path: "page" },
    { case: "an unknown entry mode", query: "?entry_mode=manual", path: "entry_mode" },
  ])("refuses a list with $case", async ({ query, path }) => {
    const { mentor } = await testOrg();
    await expectProblem(await call("GET", `${BASE}${query}`, { as: mentor }), 400, path);
  });

  it("refuses counts with from after to", async () => {
    const { mentor } = await testOrg();
    const answer = await api(mentor).GET(COUNTS, {
      params: {
        path: { mentor_id: mentor.sub },
        query: { from: "2026-04-01T00:00:00Z", to: "2026-03-01T00:00:00Z" },
      },
    });
    await expectProblem(answer, 400, "to");
  });
});

describe("a range bound with a fraction of a second", () => {
  it("leaves out what lies before `from`, in the list, its total and the counts", async () => {
    const o = await testOrg();
    const at = "2026-03-20T14:00:00Z";
    const logged = await api(o.mentor).POST("/api/v1/activity-logs", {
      body: { activity_type: "check_in", description: "On the second", occurred_at: at },
    });
    expect(logged.response.status).toBe(201);
    const from = "2026-03-20T14:00:00.500Z";
    const after = await api(o.coordinator).GET("/api/v1/activity-logs", { params: { query: { from } } });
    expect(after.data?.data).toEqual([]);
    expect(after.data?.pagination.total).toBe(0);
    const counts = await api(o.coordinator).GET("/api/v1/activity-logs/mentor/{mentor_id}/count-by-type", {
      params: { path: { mentor_id: "mentor-042" }, query: { from } },
    });
    expect(counts.data?.counts).toEqual({});
    // `to` at the same instant takes it in: the entry lies before it.
    const before = await api(o.coordinator).GET("/api/v1/activity-logs", { params: { query: { to: from } } });
    expect(before.data?.data.map((e) => e.occurred_at)).toEqual([at]);
  });
});

describe("OpenAPI document", () => {
  it("declares the eight operations under Activity logs, with bearer security and every status they answer", async () => {
    // The document itself is not one of its own paths, so it is fetched raw.
    const res = await call("GET", "/openapi.json");
    const doc = await json<{ paths: Record<string, Record<string, OperationObject>> }>(res);
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith(BASE))
      .flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ route: `${method.toUpperCase()} ${path}`, ...op })),
      );
    const statuses = Object.fromEntries(
      operations.map((op) => [
        op.operationId,
        Object.keys(op.responses ?? {})
          .sort()
          .join(","),
      ]),
    );
    expect(statuses).toEqual({
      listActivityLogs: "200,400,401,403,429,500,503",
      getActivityLog: "200,304,400,401,403,404,429,500,503",
      // 200: an entry sent again under its client_ref (SPEC §10).
      createActivityLog: "200,201,400,401,403,409,413,415,422,429,500,503",
      uploadActivityLogs: "200,400,401,403,409,413,415,422,429,500,503",
      updateActivityLog: "200,400,401,403,404,409,412,413,415,422,429,500,503",
      deleteActivityLog: "200,400,401,403,404,409,412,413,422,429,500,503",
      getActivitySummary: "200,400,401,403,429,500,503",
      countActivitiesByType: "200,400,401,403,429,500,503",
    });
    for (const op of operations) {
      expect(op.tags, op.route).toEqual(["Activity logs"]);
      expect(op.security, op.route).toEqual([{ bearerAuth: [] }]);
    }
  });
});
