import { describe, expect, it } from "vitest";
import type { components, paths } from "../../clients/typescript/index";
import { call, json } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { addMember } from "../helpers/members";
import { testOrg } from "../helpers/org";

type Attribution = components["schemas"]["Attribution"];
type CreateAttribution = components["schemas"]["CreateAttribution"];
type CreateBatch = components["schemas"]["CreateBatch"];
type Problem = components["schemas"]["Problem"];
type ListQuery = NonNullable<paths["/api/v1/activity-attributions"]["get"]["parameters"]["query"]>;
type OrgLogQuery = NonNullable<
  paths["/api/v1/activity-attributions/audit-log"]["get"]["parameters"]["query"]
>;

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** The answer's body; a call that answered none fails the test with its status and problem. */
function dataOf<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`answered ${answer.response.status} without a body: ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

const workshop = (mentor_id: string, extra: Partial<CreateAttribution> = {}): CreateAttribution => ({
  activity_type_id: "workshop",
  activity_date: "2026-03-26T09:00:00Z",
  duration_minutes: 120,
  location: "Innovation Lab",
  notes: "Ran resume workshop for junior cohort",
  coordinator_id: "coord-007",
  mentor_id,
  ...extra,
});

async function register(as: TokenClaims, body: CreateAttribution): Promise<Attribution> {
  const answer = await api(as).POST("/api/v1/activity-attributions", { body });
  expect(answer.response.status, JSON.stringify(answer.error)).toBe(201);
  return dataOf(answer);
}

async function orgLog(as: TokenClaims, query: OrgLogQuery = {}) {
  const answer = await api(as).GET("/api/v1/activity-attributions/audit-log", {
    params: { query: { from: "2000-01-01T00:00:00Z", ...query } },
  });
  expect(answer.response.status, JSON.stringify(answer.error)).toBe(200);
  return dataOf(answer);
}

/** How many attributions the organisation lists to `as`. */
const attributionTotal = async (as: TokenClaims) =>
  (await api(as).GET("/api/v1/activity-attributions")).data?.pagination.total;

const attributionPath = "/api/v1/activity-attributions/{id}";
const confirmPath = "/api/v1/activity-attributions/batches/{batch_id}/confirm";

describe("registering an activity on a mentor's behalf", () => {
  it("creates the attribution and its activity with the seed's fields", async () => {
    const o = await testOrg();
    const created = await register(o.coordinator, workshop("mentor-033"));
    expect(created).toMatchObject({
      attribution_id: expect.stringMatching(/^attr-\d{8}-\d{3}$/),
      activity_id: expect.stringMatching(/^pact-\d{8}-\d{3}$/),
      attributed_to_mentor_id: "mentor-033",
      registered_by_coordinator_id: "coord-007",
      activity_type_id: "workshop",
      activity_date: "2026-03-26T09:00:00Z",
      proxy: true,
      created_at: expect.stringMatching(ISO),
      entry_mode: "proxy",
    });
    const today = new Date().toISOString().slice(0, 10).replaceAll("-", "");
    expect(created.attribution_id).toBe(`attr-${today}-001`);

    const read = await api(o.compliance).GET(attributionPath, {
      params: { path: { id: created.attribution_id } },
    });
    expect(read.response.status).toBe(200);
    const detail = dataOf(read);
    expect(detail).toMatchObject({
      attribution_id: created.attribution_id,
      activity_id: created.activity_id,
      attributed_to_mentor_name: "Alex Chen",
      registered_by_coordinator_name: "Jordan Lee",
      duration_minutes: 120,
      proxy: true,
    });
    expect(detail.audit_trail).toEqual([
      { event: "created", id: "log-001", actor: "coord-007", at: expect.stringMatching(ISO) },
    ]);
  });

  it("normalises an activity_date with an offset to UTC", async () => {
    const o = await testOrg();
    const created = await register(
      o.coordinator,
      workshop("mentor-042", { activity_date: "2026-03-26T10:30:15+01:00" }),
    );
    expect(created.activity_date).toBe("2026-03-26T09:30:15Z");
  });

  it("answers 409 to the same mentor, type and date registered twice, and writes nothing more", async () => {
    const o = await testOrg();
    await register(o.coordinator, workshop("mentor-033"));
    const again = await api(o.coordinator).POST("/api/v1/activity-attributions", {
      body: workshop("mentor-033", { activity_date: "2026-03-26T10:00:00+01:00" }),
    });
    expect(again.response.status).toBe(409);
    expect(again.response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(await attributionTotal(o.admin)).toBe(1);
    expect((await orgLog(o.admin)).pagination.total).toBe(1);
  });

  it.each([
    ["an unknown mentor", "mentor-nobody", /No member mentor-nobody/],
    ["a member who is not a mentor", "coord-119", /does not hold the mentor role/],
    ["an inactive mentor", "mentor-999", /is inactive/],
  ])("refuses %s with a 400 naming mentor_id, and writes nothing", async (_label, mentorId, message) => {
    const o = await testOrg();
    const { error, response } = await api(o.coordinator).POST("/api/v1/activity-attributions", {
      body: workshop(mentorId),
    });
    expect(response.status).toBe(400);
    expect(error?.errors).toEqual([{ path: "mentor_id", message: expect.stringMatching(message) }]);
    expect(await attributionTotal(o.admin)).toBe(0);
    expect((await orgLog(o.admin)).pagination.total).toBe(0);
  });

  it("refuses an unknown activity type, bad values and fields a caller may not set", async () => {
    const o = await testOrg();
    const inContract: [CreateAttribution, string[]][] = [
      [workshop("mentor-033", { activity_type_id: "juggling" }), ["activity_type_id"]],
      [workshop("mentor-033", { duration_minutes: 0 }), ["duration_minutes"]],
      [workshop("mentor-033", { duration_minutes: 1441 }), ["duration_minutes"]],
      [workshop("mentor-033", { activity_date: "26/03/2026" }), ["activity_date"]],
    ];
    for (const [body, fields] of inContract) {
      const { error, response } = await api(o.coordinator).POST("/api/v1/activity-attributions", { body });
      expect(response.status).toBe(400);
      expect(error?.errors?.map((e) => e.path).sort()).toEqual(fields);
    }
    // Fields the contract has no place for, which the typed client cannot send: sent raw.
    const outsideContract: [Record<string, unknown>, string[]][] = [
      [
        { ...workshop("mentor-033"), proxy: false, attribution_id: "attr-20260101-001" },
        ["attribution_id", "proxy"],
      ],
      [{ ...workshop("mentor-033"), created_at: "2026-03-26T09:00:00Z" }, ["created_at"]],
    ];
    for (const [body, fields] of outsideContract) {
      const res = await call("POST", "/api/v1/activity-attributions", { as: o.coordinator, body });
      expect(res.status).toBe(400);
      const problem = await json<Problem>(res);
      expect(problem.errors?.map((e) => e.path).sort()).toEqual(fields);
    }
    expect(await attributionTotal(o.admin)).toBe(0);
  });

  it("numbers attribution IDs per day and never reuses one after a delete", async () => {
    const o = await testOrg();
    const first = await register(o.coordinator, workshop("mentor-033"));
    const deleted = await api(o.coordinator).DELETE(attributionPath, {
      params: { path: { id: first.attribution_id } },
    });
    expect(deleted.response.status).toBe(200);
    const second = await register(o.coordinator, workshop("mentor-033"));
    expect(second.attribution_id).not.toBe(first.attribution_id);
    expect(second.activity_id).not.toBe(first.activity_id);
    expect(Number(second.attribution_id.slice(-3))).toBe(Number(first.attribution_id.slice(-3)) + 1);
  });
});

describe("attribution roles", () => {
  it("lets a coordinator register only as itself, and an admin name any active coordinator", async () => {
    const o = await testOrg();
    const asOther = await api(o.coordinator).POST("/api/v1/activity-attributions", {
      body: workshop("mentor-033", { coordinator_id: "coord-119" }),
    });
    expect(asOther.response.status).toBe(403);
    const byAdmin = await register(o.admin, workshop("mentor-033", { coordinator_id: "coord-119" }));
    expect(byAdmin.registered_by_coordinator_id).toBe("coord-119");
    const notCoordinator = await api(o.admin).POST("/api/v1/activity-attributions", {
      body: workshop("mentor-042", { coordinator_id: "mentor-033" }),
    });
    expect(notCoordinator.response.status).toBe(400);
    expect(notCoordinator.error?.errors?.[0]?.path).toBe("coordinator_id");
  });

  it.each([["mentor"], ["compliance"], ["system"]] as const)("refuses registration to a %s", async (role) => {
    const o = await testOrg();
    const { response } = await api(o.as(`${role}-x`, role)).POST("/api/v1/activity-attributions", {
      body: workshop("mentor-033"),
    });
    expect(response.status).toBe(403);
  });

  it("shows a mentor only the attributions made to it", async () => {
    const o = await testOrg();
    const mine = await register(o.coordinator, workshop("mentor-033"));
    const theirs = await register(o.coordinator, workshop("mentor-042"));
    // otherMentor is mentor-033, the one the first attribution is made to.
    const mentor = api(o.otherMentor);
    const page = dataOf(await mentor.GET("/api/v1/activity-attributions"));
    expect(page.data.map((a) => a.attribution_id)).toEqual([mine.attribution_id]);
    const read = (id: string) => mentor.GET(attributionPath, { params: { path: { id } } });
    expect((await read(mine.attribution_id)).response.status).toBe(200);
    expect((await read(theirs.attribution_id)).response.status).toBe(404);
    const named = await mentor.GET("/api/v1/activity-attributions", {
      params: { query: { mentor_id: "mentor-042" } },
    });
    expect(named.response.status).toBe(403);
  });

  it("lets only the registering coordinator or an admin change or delete, and changes nothing otherwise", async () => {
    const o = await testOrg();
    const created = await register(o.coordinator, workshop("mentor-033"));
    const params = { path: { id: created.attribution_id } };
    for (const who of [o.otherCoordinator, o.compliance, o.otherMentor]) {
      const put = await api(who).PUT(attributionPath, { params, body: { duration_minutes: 5 } });
      expect(put.response.status).toBe(403);
      expect((await api(who).DELETE(attributionPath, { params })).response.status).toBe(403);
    }
    const admin = api(o.admin);
    const unchanged = dataOf(await admin.GET(attributionPath, { params }));
    expect(unchanged.duration_minutes).toBe(120);
    expect(
      (await admin.PUT(attributionPath, { params, body: { duration_minutes: 90 } })).response.status,
    ).toBe(200);
    expect((await admin.DELETE(attributionPath, { params })).response.status).toBe(200);
  });

  it("answers 404 for another organisation's attribution on every route", async () => {
    const o = await testOrg();
    const other = await testOrg();
    const created = await register(o.coordinator, workshop("mentor-033"));
    const params = { path: { id: created.attribution_id } };
    const outsider = api(other.admin);
    expect((await outsider.GET(attributionPath, { params })).response.status).toBe(404);
    expect((await outsider.PUT(attributionPath, { params, body: { notes: "x" } })).response.status).toBe(404);
    expect((await outsider.DELETE(attributionPath, { params })).response.status).toBe(404);
    expect((await api(o.admin).GET(attributionPath, { params })).response.status).toBe(200);
  });
});

describe("listing attributions", () => {
  it("pages newest activity first with filters and true totals", async () => {
    const o = await testOrg();
    await register(o.coordinator, workshop("mentor-033", { activity_date: "2026-03-01T09:00:00Z" }));
    await register(o.coordinator, workshop("mentor-042", { activity_date: "2026-03-03T09:00:00Z" }));
    await register(
      o.admin,
      workshop("mentor-042", {
        activity_date: "2026-03-02T09:00:00Z",
        coordinator_id: "coord-119",
        activity_type_id: "one-on-one",
      }),
    );
    const reader = api(o.compliance);
    const list = async (query: ListQuery) =>
      dataOf(await reader.GET("/api/v1/activity-attributions", { params: { query } }));

    const all = await list({});
    expect(all.data.map((a) => a.activity_date)).toEqual([
      "2026-03-03T09:00:00Z",
      "2026-03-02T09:00:00Z",
      "2026-03-01T09:00:00Z",
    ]);
    expect(all.pagination).toEqual({ page: 1, limit: 20, total: 3 });
    expect(all.data[0]).toMatchObject({
      attributed_to_mentor_name: "Sam Rivera",
      registered_by_coordinator_name: "Jordan Lee",
    });
    expect((await list({ mentor_id: "mentor-042" })).pagination.total).toBe(2);
    expect((await list({ coordinator_id: "coord-119" })).data.map((a) => a.attributed_to_mentor_id)).toEqual([
      "mentor-042",
    ]);
    expect((await list({ activity_type_id: "one-on-one" })).pagination.total).toBe(1);
    expect((await list({ from: "2026-03-02T00:00:00Z", to: "2026-03-02T23:59:59Z" })).pagination.total).toBe(
      1,
    );
    const second = await list({ limit: 1, page: 2 });
    expect(second.data.map((a) => a.activity_date)).toEqual(["2026-03-02T09:00:00Z"]);
    expect(second.pagination).toEqual({ page: 2, limit: 1, total: 3 });
    const past = await list({ page: 9 });
    expect(past.data).toEqual([]);
    expect(past.pagination.total).toBe(3);
  });
});

describe("correcting an attribution", () => {
  it("records each changed field as {from, to} in the audit trail and the organisation log", async () => {
    const o = await testOrg();
    const created = await register(o.coordinator, workshop("mentor-033"));
    const params = { path: { id: created.attribution_id } };
    const { data, response } = await api(o.coordinator).PUT(attributionPath, {
      params,
      body: {
        activity_date: "2026-03-26T10:00:00Z",
        duration_minutes: 90,
        notes: "Updated: session ran longer than expected",
      },
    });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({
      attribution_id: created.attribution_id,
      activity_date: "2026-03-26T10:00:00Z",
      duration_minutes: 90,
      notes: "Updated: session ran longer than expected",
      updated_at: expect.stringMatching(ISO),
    });
    const detail = dataOf(await api(o.admin).GET(attributionPath, { params }));
    expect(detail.audit_trail.map((e) => e.event)).toEqual(["created", "updated"]);
    expect(detail.audit_trail[1]?.changes).toEqual({
      activity_date: { from: "2026-03-26T09:00:00Z", to: "2026-03-26T10:00:00Z" },
      duration_minutes: { from: 120, to: 90 },
      notes: {
        from: "Ran resume workshop for junior cohort",
        to: "Updated: session ran longer than expected",
      },
    });
    const log = await orgLog(o.compliance, { event: "proxy_activity_updated" });
    expect(log.data).toHaveLength(1);
    expect(log.data[0]?.changes?.duration_minutes).toEqual({ from: 120, to: 90 });
  });

  it("moves the activity to the corrected mentor, in lists and summaries", async () => {
    const o = await testOrg();
    const created = await register(o.coordinator, workshop("mentor-033"));
    const { data, response } = await api(o.coordinator).PUT(attributionPath, {
      params: { path: { id: created.attribution_id } },
      body: { mentor_id: "mentor-042" },
    });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({
      attributed_to_mentor_id: "mentor-042",
      attributed_to_mentor_name: "Sam Rivera",
    });
    const admin = api(o.admin);
    const logs = dataOf(
      await admin.GET("/api/v1/activity-logs", { params: { query: { entry_mode: "proxy" } } }),
    );
    expect(logs.data.map((l) => [l.log_id, l.mentor_id])).toEqual([[created.activity_id, "mentor-042"]]);
    const summary = async (mentorId: string) =>
      (
        await admin.GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", {
          params: { path: { mentor_id: mentorId }, query: { date: "2026-03-26" } },
        })
      ).data;
    expect(await summary("mentor-033")).toMatchObject({ total_activities: 0, total_duration_minutes: 0 });
    expect(await summary("mentor-042")).toMatchObject({ total_activities: 1, total_duration_minutes: 120 });
  });

  it("says proxy again when a correction moves it to or from the registering coordinator", async () => {
    const o = await testOrg();
    // A coordinator who mentors too, and so may register an activity of its own.
    await addMember(o.org, "coord-m", ["coordinator", "mentor"], { name: "Casey Morgan" });
    const both = o.as("coord-m", "coordinator", "mentor");
    const own = await register(both, workshop("coord-m", { coordinator_id: "coord-m" }));
    expect(own.proxy).toBe(false);
    const params = { path: { id: own.attribution_id } };
    const moved = await api(both).PUT(attributionPath, { params, body: { mentor_id: "mentor-042" } });
    expect(moved.data).toMatchObject({ attributed_to_mentor_id: "mentor-042", proxy: true });
    const back = await api(both).PUT(attributionPath, { params, body: { mentor_id: "coord-m" } });
    expect(back.data).toMatchObject({ attributed_to_mentor_id: "coord-m", proxy: false });
    // As stored, not only as answered.
    expect(dataOf(await api(o.admin).GET(attributionPath, { params })).proxy).toBe(false);
  });

  it("refuses a correction to an inactive mentor or into a duplicate, and changes nothing", async () => {
    const o = await testOrg();
    const a = await register(o.coordinator, workshop("mentor-033"));
    await register(o.coordinator, workshop("mentor-042"));
    const params = { path: { id: a.attribution_id } };
    const coordinator = api(o.coordinator);
    const correct = async (body: components["schemas"]["UpdateAttribution"]) =>
      (await coordinator.PUT(attributionPath, { params, body })).response.status;
    expect(await correct({ mentor_id: "mentor-999" })).toBe(400);
    expect(await correct({ mentor_id: "mentor-042" })).toBe(409);
    expect(await correct({})).toBe(400);
    const detail = dataOf(await api(o.admin).GET(attributionPath, { params }));
    expect(detail.attributed_to_mentor_id).toBe("mentor-033");
    expect(detail.audit_trail.map((e) => e.event)).toEqual(["created"]);
  });
});

describe("deleting an attribution", () => {
  it("answers the seed's shape and leaves nothing but the audit entries", async () => {
    const o = await testOrg();
    const created = await register(o.coordinator, workshop("mentor-033"));
    const params = { path: { id: created.attribution_id } };
    const { data, response } = await api(o.coordinator).DELETE(attributionPath, { params });
    expect(response.status).toBe(200);
    expect(data).toEqual({
      message: `Attribution ${created.attribution_id} deleted`,
      deleted_at: expect.stringMatching(ISO),
    });
    const admin = api(o.admin);
    expect((await admin.GET(attributionPath, { params })).response.status).toBe(404);
    expect((await admin.DELETE(attributionPath, { params })).response.status).toBe(404);
    expect(await attributionTotal(o.admin)).toBe(0);
    const logs = dataOf(await admin.GET("/api/v1/activity-logs"));
    expect(logs.pagination.total).toBe(0);
    const log = await orgLog(o.admin);
    expect(log.data.map((e) => e.event)).toEqual(["proxy_activity_deleted", "proxy_activity_created"]);
    expect(log.data[0]).toMatchObject({
      attribution_id: created.attribution_id,
      mentor_id: "mentor-033",
      actor_id: "coord-007",
    });
  });
});

describe("the organisation's proxy audit log", () => {
  it("projects events with the seed's fields and the names as they were at the time", async () => {
    const o = await testOrg();
    const created = await register(o.coordinator, workshop("mentor-042"));
    await addMember(o.org, "mentor-042", ["mentor"], { name: "Sam Rivera-Okafor" });
    const log = await orgLog(o.compliance);
    expect(log.pagination).toEqual({ page: 1, limit: 50, total: 1 });
    expect(log.data[0]).toEqual({
      event: "proxy_activity_created",
      attribution_id: created.attribution_id,
      activity_id: created.activity_id,
      actor_id: "coord-007",
      actor_name: "Jordan Lee",
      mentor_id: "mentor-042",
      mentor_name: "Sam Rivera",
      activity_type_id: "workshop",
      activity_date: "2026-03-26T09:00:00Z",
      occurred_at: expect.stringMatching(ISO),
    });
    const current = dataOf(
      await api(o.admin).GET(attributionPath, { params: { path: { id: created.attribution_id } } }),
    );
    expect(current.attributed_to_mentor_name).toBe("Sam Rivera-Okafor");
  });

  it("filters by event, actor and mentor, and defaults to the last 30 days", async () => {
    const o = await testOrg();
    await register(o.coordinator, workshop("mentor-042"));
    await register(o.admin, workshop("mentor-033", { coordinator_id: "coord-119" }));
    expect((await orgLog(o.admin, { actor_id: "admin-007" })).data.map((e) => e.mentor_id)).toEqual([
      "mentor-033",
    ]);
    expect((await orgLog(o.admin, { mentor_id: "mentor-042" })).data.map((e) => e.actor_id)).toEqual([
      "coord-007",
    ]);
    expect((await orgLog(o.admin, { event: "bulk_batch_confirmed" })).pagination.total).toBe(0);
    const admin = api(o.admin);
    const recent = await admin.GET("/api/v1/activity-attributions/audit-log");
    expect(recent.data?.pagination.total).toBe(2);
    const old = await admin.GET("/api/v1/activity-attributions/audit-log", {
      params: { query: { from: "2020-01-01T00:00:00Z", to: "2020-02-01T00:00:00Z" } },
    });
    expect(old.data?.pagination.total).toBe(0);
  });

  it("refuses a range whose from is after to, and readers other than admin and compliance", async () => {
    const o = await testOrg();
    const read = (as: TokenClaims, query: OrgLogQuery = {}) =>
      api(as).GET("/api/v1/activity-attributions/audit-log", { params: { query } });
    const bad = await read(o.admin, { from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z" });
    expect(bad.response.status).toBe(400);
    expect(bad.error?.errors?.[0]?.path).toBe("from");
    expect((await read(o.coordinator)).response.status).toBe(403);
    expect((await read(o.mentor)).response.status).toBe(403);
    expect((await read(o.admin, { limit: 200 })).response.status).toBe(200);
    expect((await read(o.admin, { limit: 201 })).response.status).toBe(400);
  });
});

describe("bulk registration", () => {
  const bulk = (mentor_ids: string[], extra: Partial<CreateBatch> = {}): CreateBatch => {
    const { mentor_id: _unused, ...fields } = workshop("x");
    return { ...fields, mentor_ids, ...extra };
  };
  const submit = (as: TokenClaims, body: CreateBatch) =>
    api(as).POST("/api/v1/activity-attributions/batches", { body });
  const confirm = (as: TokenClaims, batchId: string) =>
    api(as).POST(confirmPath, { params: { path: { batch_id: batchId } } });

  it("previews each mentor as will_create or skipped with its reason, then confirms once", async () => {
    const o = await testOrg();
    await register(o.coordinator, workshop("mentor-482"));
    const preview = await submit(
      o.coordinator,
      bulk(["mentor-042", "mentor-nobody", "mentor-999", "mentor-482", "mentor-033"]),
    );
    expect(preview.response.status).toBe(201);
    const batch = dataOf(preview);
    expect(batch.batch_id).toMatch(/^batch-\d{8}-\d{3}$/);
    expect(batch).toMatchObject({
      status: "pending",
      mentor_count: 5,
      skipped_count: 3,
      will_create_count: 2,
    });
    expect(batch.items.map((i) => [i.mentor_id, i.status, i.reason])).toEqual([
      ["mentor-042", "will_create", null],
      ["mentor-nobody", "skipped", "unknown_mentor"],
      ["mentor-999", "skipped", "inactive_mentor"],
      ["mentor-482", "skipped", "duplicate"],
      ["mentor-033", "will_create", null],
    ]);
    expect(await attributionTotal(o.admin)).toBe(1);

    const confirmed = await confirm(o.coordinator, batch.batch_id);
    expect(confirmed.response.status).toBe(200);
    const done = dataOf(confirmed);
    expect(done.status).toBe("confirmed");
    expect(done.attributions.map((a) => [a.attributed_to_mentor_id, a.entry_mode, a.batch_id])).toEqual([
      ["mentor-042", "bulk", batch.batch_id],
      ["mentor-033", "bulk", batch.batch_id],
    ]);
    expect(done.items.filter((i) => i.status === "created").map((i) => i.attribution_id)).toEqual(
      done.attributions.map((a) => a.attribution_id),
    );

    const again = await confirm(o.coordinator, batch.batch_id);
    expect(again.response.status).toBe(200);
    expect(again.data).toEqual(done);
    expect(await attributionTotal(o.admin)).toBe(3);

    const log = await orgLog(o.admin);
    expect(log.data.map((e) => e.event)).toEqual([
      "bulk_batch_confirmed",
      "proxy_activity_created",
      "proxy_activity_created",
      "bulk_batch_submitted",
      "proxy_activity_created",
    ]);
    expect(log.data[0]).toMatchObject({
      batch_id: batch.batch_id,
      actor_id: "coord-007",
      actor_name: "Jordan Lee",
      mentor_count: 5,
      skipped_count: 3,
      occurred_at: expect.stringMatching(ISO),
    });
    const mentorLogs = dataOf(
      await api(o.admin).GET("/api/v1/activity-logs", { params: { query: { mentor_id: "mentor-033" } } }),
    );
    expect(mentorLogs.data.map((l) => l.entry_mode)).toEqual(["bulk"]);
  });

  it("creates in one call with confirm: true", async () => {
    const o = await testOrg();
    const res = await submit(
      o.coordinator,
      bulk(["mentor-042", "mentor-033", "mentor-510"], { confirm: true }),
    );
    expect(res.response.status).toBe(201);
    const batch = dataOf(res);
    expect(batch).toMatchObject({
      status: "confirmed",
      mentor_count: 3,
      skipped_count: 0,
      will_create_count: 3,
    });
    expect(batch.attributions).toHaveLength(3);
    const ids = batch.attributions.map((a) => a.attribution_id);
    expect(new Set(ids).size).toBe(3);
    const events = (await orgLog(o.admin)).data.map((e) => e.event);
    expect(events.filter((e) => e === "proxy_activity_created")).toHaveLength(3);
    expect(events).toContain("bulk_batch_submitted");
    expect(events).toContain("bulk_batch_confirmed");
  });

  it("takes members' changes into account at confirmation", async () => {
    const o = await testOrg();
    const batch = dataOf(await submit(o.coordinator, bulk(["mentor-042", "mentor-033"])));
    await addMember(o.org, "mentor-033", ["mentor"], { name: "Alex Chen", active: false });
    const done = dataOf(await confirm(o.coordinator, batch.batch_id));
    expect(done.items.map((i) => [i.mentor_id, i.status, i.reason])).toEqual([
      ["mentor-042", "created", null],
      ["mentor-033", "skipped", "inactive_mentor"],
    ]);
    expect(done).toMatchObject({ mentor_count: 2, skipped_count: 1 });
  });

  it("refuses a batch with no mentors, too many, or the same mentor twice", async () => {
    const o = await testOrg();
    const tooMany = Array.from({ length: 101 }, (_, i) => `mentor-${i}`);
    for (const ids of [[], tooMany, ["mentor-042", "mentor-042"]]) {
      const { error, response } = await submit(o.coordinator, bulk(ids));
      expect(response.status).toBe(400);
      expect(error?.errors?.[0]?.path).toBe("mentor_ids");
    }
  });

  it("lets only the submitting coordinator or an admin confirm, and answers 404 for an unknown batch", async () => {
    const o = await testOrg();
    const batch = dataOf(await submit(o.coordinator, bulk(["mentor-042"])));
    expect((await confirm(o.otherCoordinator, batch.batch_id)).response.status).toBe(403);
    expect(await attributionTotal(o.admin)).toBe(0);
    expect((await confirm(o.admin, "batch-20200101-001")).response.status).toBe(404);
    expect((await confirm(o.admin, batch.batch_id)).response.status).toBe(200);
  });

  it("handles 100 mentors in one confirmation", async () => {
    const o = await testOrg();
    const ids = Array.from({ length: 100 }, (_, i) => `bulk-mentor-${i}`);
    for (const id of ids) await addMember(o.org, id, ["mentor"]);
    const res = await submit(o.coordinator, bulk(ids, { confirm: true }));
    expect(res.response.status).toBe(201);
    const batch = dataOf(res);
    expect(batch.attributions).toHaveLength(100);
    expect(batch.attributions.map((a) => a.attributed_to_mentor_id).sort()).toEqual([...ids].sort());
    expect((await orgLog(o.admin, { limit: 200 })).pagination.total).toBe(102);
  });
});

describe("edge cases found by fuzzing", () => {
  it("answers the organisation log for a `to` in January 1970 without reaching before 1970", async () => {
    const o = await testOrg();
    const res = await api(o.admin).GET("/api/v1/activity-attributions/audit-log", {
      params: { query: { to: "1970-01-02T00:00:00Z" } },
    });
    expect(res.response.status).toBe(200);
    expect(res.data?.pagination.total).toBe(0);
  });

  it("records the audit event of a caller whose token name is blank", async () => {
    const o = await testOrg();
    const created = await register(
      { ...o.as("coord-new", "coordinator"), name: "   " },
      workshop("mentor-042", { coordinator_id: "coord-new" }),
    );
    const log = await orgLog(o.admin);
    expect(log.data.map((e) => [e.attribution_id, e.actor_name])).toEqual([[created.attribution_id, null]]);
  });
});
