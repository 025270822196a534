import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { summarizeActivities } from "../../src/db/queries/activities";
import { activities } from "../../src/db/schema";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { call, json } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { withAuditDown } from "../helpers/doubles";
import { type TestOrg, testOrg } from "../helpers/org";
import { outboxSize } from "../helpers/outbox";
import { observe } from "../helpers/world";

/**
 * SPEC §11: the mentor an activity is attributed to confirms or disputes it; each answer that
 * changes something is one audit entry, written through the outbox with the change.
 */

type Attribution = components["schemas"]["Attribution"];
type CreateAttribution = components["schemas"]["CreateAttribution"];
type Problem = components["schemas"]["Problem"];

const ATTRIBUTIONS = "/api/v1/activity-attributions";
const ATTRIBUTION = "/api/v1/activity-attributions/{id}";
const CONFIRM = "/api/v1/activity-attributions/{id}/confirm";
const DISPUTE = "/api/v1/activity-attributions/{id}/dispute";
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const REASON = "I was on leave that day; this session was run by someone else";

/** The answer's body; a call that answered none fails the test with its status and problem. */
function dataOf<T>(answer: { data?: T; error?: unknown; response: Response }, status = 200): T {
  expect(answer.response.status, JSON.stringify(answer.error)).toBe(status);
  if (answer.data === undefined) throw new Error(`answered ${answer.response.status} without a body`);
  return answer.data;
}

let serial = 0;
/** A workshop in March 2026 for `mentorId`, at a time no other registration of the file uses. */
function workshop(mentorId: string, extra: Partial<CreateAttribution> = {}): CreateAttribution {
  serial += 1;
  const at = new Date(Date.UTC(2026, 2, 2) + serial * 60_000).toISOString().slice(0, 19);
  return {
    activity_type_id: "workshop",
    activity_date: `${at}Z`,
    duration_minutes: 120,
    coordinator_id: "coord-007",
    mentor_id: mentorId,
    ...extra,
  };
}

async function register(o: TestOrg, mentorId: string, extra: Partial<CreateAttribution> = {}) {
  return dataOf(await api(o.coordinator).POST(ATTRIBUTIONS, { body: workshop(mentorId, extra) }), 201);
}

/** The typed header parameters of an answer. */
interface AnswerHeaders {
  "idempotency-key"?: string;
  "if-match"?: string;
}

const confirm = (as: TokenClaims, id: string, header: AnswerHeaders = {}, bindings?: Env) =>
  api(as, { bindings }).POST(CONFIRM, { params: { path: { id }, header } });

const dispute = (as: TokenClaims, id: string, reason: string, header: AnswerHeaders = {}) =>
  api(as).POST(DISPUTE, { params: { path: { id }, header }, body: { reason } });

/** The attribution with its audit trail, as an admin reads it. */
const detail = async (o: TestOrg, id: string) =>
  dataOf(await api(o.admin).GET(ATTRIBUTION, { params: { path: { id } } }));

const trailOf = async (o: TestOrg, id: string) => (await detail(o, id)).audit_trail;

/** The organisation's proxy log, newest first, as compliance reads it. */
async function orgLog(o: TestOrg) {
  const page = await api(o.compliance).GET("/api/v1/activity-attributions/audit-log", {
    params: { query: { from: "2000-01-01T00:00:00Z", limit: 200 } },
  });
  return dataOf(page).data;
}

/** How many entries of `action` the organisation's audit log holds. */
async function entriesOf(o: TestOrg, action: string): Promise<number> {
  const page = await api(o.admin).GET("/api/v1/proxy-audit-logs", { params: { query: { action } } });
  return dataOf(page).pagination.total;
}

/** The activity of an attribution, as the mentor's activity log shows it. */
async function activityLog(o: TestOrg, a: Attribution) {
  return dataOf(
    await api(o.admin).GET("/api/v1/activity-logs/{id}", { params: { path: { id: a.activity_id } } }),
  );
}

async function verified(o: TestOrg) {
  return dataOf(await api(o.compliance).GET("/api/v1/proxy-audit-logs/verify"));
}

const drain = () => worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);

describe("who may confirm or dispute an attribution", () => {
  const actions = {
    confirm: (as: TokenClaims, id: string) => confirm(as, id),
    dispute: (as: TokenClaims, id: string) => dispute(as, id, REASON),
  } as const;
  const expected = { confirm: "confirmed", dispute: "disputed" } as const;

  /** Who asks, in which organisation, and what it is answered. */
  const callers: [string, (o: TestOrg, abroad: TestOrg) => TokenClaims, number][] = [
    ["the mentor it names", (o) => o.mentor, 200],
    ["a mentor it does not name (404, as on its GET)", (o) => o.otherMentor, 404],
    ["the same mentor ID in another organisation (404)", (_o, abroad) => abroad.mentor, 404],
    ["the coordinator who registered it (403)", (o) => o.coordinator, 403],
    ["an admin (403)", (o) => o.admin, 403],
    ["a compliance officer (403)", (o) => o.compliance, 403],
    ["a service identity (403)", (o) => o.system, 403],
  ];

  for (const action of ["confirm", "dispute"] as const) {
    it.each(callers)(`${action}: %s`, async (_who, caller, status) => {
      const o = await testOrg();
      const abroad = await testOrg("abroad");
      const a = await register(o, o.mentor.sub);
      const before = await observe(o);
      const answer = await actions[action](caller(o, abroad), a.attribution_id);
      expect(answer.response.status, JSON.stringify(answer.error)).toBe(status);
      if (status === 200) {
        expect(answer.data?.confirmation_status).toBe(expected[action]);
        expect(answer.response.headers.get("ETag")).toMatch(/^"[0-9a-f]{32}"$/);
        expect(await observe(o)).not.toEqual(before);
        return;
      }
      expect(answer.response.headers.get("Content-Type")).toBe("application/problem+json");
      expect(answer.error).toMatchObject({ status });
      expect(await observe(o), "a refused answer changed data").toEqual(before);
      expect((await detail(o, a.attribution_id)).confirmation_status).toBe("pending");
    });
  }
});

describe("the life cycle of a registration", () => {
  it("goes pending → disputed → corrected (pending) → confirmed, one audit entry a step, in every view", async () => {
    const o = await testOrg();
    const a = await register(o, o.mentor.sub);
    const id = a.attribution_id;
    expect(a).toMatchObject({ confirmation_status: "pending", confirmation: null });
    expect(await activityLog(o, a)).toMatchObject({ confirmation_status: "pending", confirmation: null });

    const disputed = dataOf(await dispute(o.mentor, id, REASON));
    expect(disputed).toMatchObject({
      attribution_id: id,
      confirmation_status: "disputed",
      confirmation: { by: "mentor-042", at: expect.stringMatching(ISO), reason: REASON },
      updated_at: expect.stringMatching(ISO),
    });
    // The answer is the attribution as GET shows it, without the trail.
    const { audit_trail: afterDispute, ...asRead } = await detail(o, id);
    expect(asRead).toEqual(disputed);
    expect(afterDispute.map((e) => e.event)).toEqual(["created", "disputed"]);
    expect(afterDispute[1]).toEqual({
      event: "disputed",
      id: "log-002",
      actor: "mentor-042",
      at: disputed.confirmation?.at,
      changes: {
        confirmation_status: { from: "pending", to: "disputed" },
        reason: { from: null, to: REASON },
      },
    });
    expect(await activityLog(o, a)).toMatchObject({
      confirmation_status: "disputed",
      confirmation: disputed.confirmation,
    });
    const [disputeEvent] = await orgLog(o);
    expect(disputeEvent).toMatchObject({
      event: "proxy_activity_disputed",
      attribution_id: id,
      activity_id: a.activity_id,
      actor_id: "mentor-042",
      actor_name: "Sam Rivera",
      mentor_id: "mentor-042",
      changes: afterDispute[1]?.changes,
    });

    const corrected = dataOf(
      await api(o.coordinator).PUT(ATTRIBUTION, {
        params: { path: { id } },
        body: { duration_minutes: 90, notes: "Ran 90 minutes, with Sam co-facilitating" },
      }),
    );
    expect(corrected).toMatchObject({
      confirmation_status: "pending",
      confirmation: null,
      duration_minutes: 90,
    });
    expect(await activityLog(o, a)).toMatchObject({ confirmation_status: "pending", confirmation: null });
    const afterCorrection = await trailOf(o, id);
    expect(afterCorrection.map((e) => e.event)).toEqual(["created", "disputed", "updated"]);
    expect(afterCorrection[2]).toMatchObject({
      actor: "coord-007",
      changes: {
        duration_minutes: { from: 120, to: 90 },
        confirmation_status: { from: "disputed", to: "pending" },
      },
    });

    const confirmed = dataOf(await confirm(o.mentor, id));
    expect(confirmed).toMatchObject({
      confirmation_status: "confirmed",
      confirmation: { by: "mentor-042", at: expect.stringMatching(ISO), reason: null },
    });
    expect(await activityLog(o, a)).toMatchObject({
      confirmation_status: "confirmed",
      confirmation: confirmed.confirmation,
    });
    const trail = await trailOf(o, id);
    expect(trail.map((e) => e.event)).toEqual(["created", "disputed", "updated", "confirmed"]);
    // The reason was cleared by the correction, so the confirmation changes the status alone.
    expect(trail[3]).toEqual({
      event: "confirmed",
      id: "log-004",
      actor: "mentor-042",
      at: confirmed.confirmation?.at,
      changes: { confirmation_status: { from: "pending", to: "confirmed" } },
    });
    expect((await orgLog(o)).map((e) => [e.event, e.actor_id])).toEqual([
      ["proxy_activity_confirmed", "mentor-042"],
      ["proxy_activity_updated", "coord-007"],
      ["proxy_activity_disputed", "mentor-042"],
      ["proxy_activity_created", "coord-007"],
    ]);
    expect(await verified(o)).toMatchObject({ valid: true, tree_size: 4 });
  });

  it("goes the same way for a bulk registration, each mentor answering only its own", async () => {
    const o = await testOrg();
    const { mentor_id: _single, ...activity } = workshop("unused");
    const batch = dataOf(
      await api(o.coordinator).POST("/api/v1/activity-attributions/batches", {
        body: { ...activity, mentor_ids: [o.mentor.sub, o.otherMentor.sub], confirm: true },
      }),
      201,
    );
    expect(batch.attributions.map((a) => [a.attributed_to_mentor_id, a.confirmation_status])).toEqual([
      ["mentor-042", "pending"],
      ["mentor-033", "pending"],
    ]);
    const [mine, theirs] = batch.attributions;
    if (!mine || !theirs) throw new Error("the batch created fewer than two attributions");
    expect(await activityLog(o, mine)).toMatchObject({ entry_mode: "bulk", confirmation_status: "pending" });

    expect((await dispute(o.otherMentor, mine.attribution_id, REASON)).response.status).toBe(404);
    const disputed = dataOf(await dispute(o.mentor, mine.attribution_id, REASON));
    expect(disputed).toMatchObject({
      entry_mode: "bulk",
      batch_id: batch.batch_id,
      confirmation_status: "disputed",
    });
    expect(dataOf(await confirm(o.otherMentor, theirs.attribution_id)).confirmation_status).toBe("confirmed");

    const corrected = dataOf(
      await api(o.coordinator).PUT(ATTRIBUTION, {
        params: { path: { id: mine.attribution_id } },
        body: { location: "Room 2" },
      }),
    );
    expect(corrected.confirmation_status).toBe("pending");
    expect(dataOf(await confirm(o.mentor, mine.attribution_id)).confirmation_status).toBe("confirmed");

    expect((await trailOf(o, mine.attribution_id)).map((e) => [e.event, e.actor])).toEqual([
      ["created", "coord-007"],
      ["disputed", "mentor-042"],
      ["updated", "coord-007"],
      ["confirmed", "mentor-042"],
    ]);
    expect((await trailOf(o, theirs.attribution_id)).map((e) => [e.event, e.actor])).toEqual([
      ["created", "coord-007"],
      ["confirmed", "mentor-033"],
    ]);
    expect((await orgLog(o)).map((e) => [e.event, e.attribution_id ?? e.batch_id])).toEqual([
      ["proxy_activity_confirmed", mine.attribution_id],
      ["proxy_activity_updated", mine.attribution_id],
      ["proxy_activity_confirmed", theirs.attribution_id],
      ["proxy_activity_disputed", mine.attribution_id],
      ["bulk_batch_confirmed", batch.batch_id],
      ["proxy_activity_created", theirs.attribution_id],
      ["proxy_activity_created", mine.attribution_id],
      ["bulk_batch_submitted", batch.batch_id],
    ]);
    expect(await verified(o)).toMatchObject({ valid: true, tree_size: 8 });
  });
});

describe("changing one's mind", () => {
  it("records a new reason and each change of mind, and nothing for an answer that changes nothing", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    const events = async () => (await trailOf(o, id)).map((e) => [e.event, e.changes]);

    dataOf(await dispute(o.mentor, id, "Not me"));
    dataOf(await dispute(o.mentor, id, REASON));
    const same = dataOf(await dispute(o.mentor, id, `  ${REASON} `));
    expect(same.confirmation?.reason).toBe(REASON);
    dataOf(await confirm(o.mentor, id));
    const again = await confirm(o.mentor, id);
    expect(dataOf(again).confirmation_status).toBe("confirmed");
    dataOf(await dispute(o.mentor, id, "Wrong day after all"));

    expect(await events()).toEqual([
      ["created", undefined],
      [
        "disputed",
        { confirmation_status: { from: "pending", to: "disputed" }, reason: { from: null, to: "Not me" } },
      ],
      [
        "disputed",
        { confirmation_status: { from: "disputed", to: "disputed" }, reason: { from: "Not me", to: REASON } },
      ],
      [
        "confirmed",
        { confirmation_status: { from: "disputed", to: "confirmed" }, reason: { from: REASON, to: null } },
      ],
      [
        "disputed",
        {
          confirmation_status: { from: "confirmed", to: "disputed" },
          reason: { from: null, to: "Wrong day after all" },
        },
      ],
    ]);
    expect(await entriesOf(o, "proxy_disputed")).toBe(3);
    expect(await entriesOf(o, "proxy_confirmed")).toBe(1);
  });
});

describe("a correction asks the mentor again", () => {
  it("moved to another mentor, the attribution waits for the new mentor, and the old one no longer finds it", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    dataOf(await confirm(o.mentor, id));
    const moved = dataOf(
      await api(o.coordinator).PUT(ATTRIBUTION, {
        params: { path: { id } },
        body: { mentor_id: "mentor-033" },
      }),
    );
    expect(moved).toMatchObject({
      attributed_to_mentor_id: "mentor-033",
      confirmation_status: "pending",
      confirmation: null,
    });
    const [, , update] = await trailOf(o, id);
    expect(update?.changes).toEqual({
      mentor_id: { from: "mentor-042", to: "mentor-033" },
      confirmation_status: { from: "confirmed", to: "pending" },
    });
    expect((await confirm(o.mentor, id)).response.status).toBe(404);
    expect(dataOf(await dispute(o.otherMentor, id, REASON)).confirmation).toMatchObject({
      by: "mentor-033",
      reason: REASON,
    });
  });

  it("leaves a confirmed attribution confirmed when the correction changes nothing", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub, { duration_minutes: 45 });
    dataOf(await confirm(o.mentor, id));
    const same = dataOf(
      await api(o.coordinator).PUT(ATTRIBUTION, { params: { path: { id } }, body: { duration_minutes: 45 } }),
    );
    expect(same.confirmation_status).toBe("confirmed");
    expect((await trailOf(o, id)).map((e) => e.event)).toEqual(["created", "confirmed"]);
  });
});

describe("the mentor's summary and counts", () => {
  const summaryOf = async (o: TestOrg) =>
    dataOf(
      await api(o.coordinator).GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", {
        params: { path: { mentor_id: o.mentor.sub }, query: { date: "2026-03-15" } },
      }),
    );
  const countsOf = async (o: TestOrg) =>
    dataOf(
      await api(o.mentor).GET("/api/v1/activity-logs/mentor/{mentor_id}/count-by-type", {
        params: { path: { mentor_id: o.mentor.sub } },
      }),
    ).counts;

  it("leave a disputed activity out of every figure, count pending and disputed ones, and take it back on confirmation", async () => {
    const o = await testOrg();
    dataOf(
      await api(o.mentor).POST("/api/v1/activity-logs", {
        body: {
          activity_type: "check_in",
          description: "Weekly check-in",
          contact_id: "contact-1",
          duration_minutes: 30,
          occurred_at: "2026-03-10T10:00:00Z",
        },
      }),
      201,
    );
    await register(o, o.mentor.sub, { duration_minutes: 120 });
    const session = await register(o, o.mentor.sub, { activity_type_id: "one-on-one", duration_minutes: 60 });

    const before = {
      total_activities: 3,
      total_sessions: 1,
      total_referrals: 0,
      total_check_ins: 1,
      total_duration_minutes: 210,
      unique_contacts_supported: 1,
      pending_confirmation: 2,
      disputed: 0,
    };
    expect(await summaryOf(o)).toMatchObject(before);
    expect(await countsOf(o)).toEqual({ check_in: 1, "one-on-one": 1, workshop: 1 });

    dataOf(await dispute(o.mentor, session.attribution_id, REASON));
    expect(await summaryOf(o)).toMatchObject({
      total_activities: 2,
      total_sessions: 0,
      total_referrals: 0,
      total_check_ins: 1,
      total_duration_minutes: 150,
      unique_contacts_supported: 1,
      pending_confirmation: 1,
      disputed: 1,
    });
    expect(await countsOf(o)).toEqual({ check_in: 1, workshop: 1 });
    // The activity itself is still listed, marked, so the mentor and coordinator see what is at issue.
    const listed = dataOf(
      await api(o.mentor).GET("/api/v1/activity-logs", { params: { query: { entry_mode: "proxy" } } }),
    );
    expect(listed.data.map((l) => [l.log_id, l.confirmation_status]).sort()).toEqual(
      [
        [session.activity_id, "disputed"],
        [expect.stringMatching(/^pact-/), "pending"],
      ].sort(),
    );

    dataOf(await confirm(o.mentor, session.attribution_id));
    expect(await summaryOf(o)).toMatchObject({ ...before, pending_confirmation: 1 });
    expect(await countsOf(o)).toEqual({ check_in: 1, "one-on-one": 1, workshop: 1 });
  });

  it("leave a disputed activity's contact out of the unique contacts", async () => {
    // Registrations carry no contact through the API, so the row is written as a dispute leaves it.
    const o = await testOrg();
    const db = o.db;
    const row = {
      orgId: o.org,
      mentorId: o.mentor.sub,
      activityType: "one-on-one",
      description: "Session",
      durationMinutes: 60,
      occurredAt: "2026-03-20T10:00:00Z",
      createdBy: "coord-007",
    };
    await db.insert(activities).values([
      { ...row, activityId: "pact-20260320-001", contactId: "contact-1", entryMode: "proxy" },
      {
        ...row,
        activityId: "pact-20260320-002",
        contactId: "contact-2",
        entryMode: "proxy",
        confirmationStatus: "disputed",
        confirmationBy: o.mentor.sub,
        confirmationAt: "2026-03-21T10:00:00Z",
        confirmationReason: REASON,
      },
    ]);
    const march = { from: "2026-03-01T00:00:00Z", to: "2026-03-31T23:59:59Z" };
    expect(await summarizeActivities(db, o.org, o.mentor.sub, march)).toEqual({
      totalActivities: 1,
      totalSessions: 1,
      totalReferrals: 0,
      totalCheckIns: 0,
      totalDurationMinutes: 60,
      uniqueContacts: 1,
      pendingConfirmation: 1,
      disputed: 1,
    });
  });
});

describe("listing by confirmation status", () => {
  it("gives a mentor its pending ones (the badge) and a coordinator the disputed ones", async () => {
    const o = await testOrg();
    const pending = await register(o, o.mentor.sub);
    const disputed = await register(o, o.mentor.sub);
    const confirmed = await register(o, o.mentor.sub);
    const othersPending = await register(o, o.otherMentor.sub);
    dataOf(await dispute(o.mentor, disputed.attribution_id, REASON));
    dataOf(await confirm(o.mentor, confirmed.attribution_id));

    const list = async (as: TokenClaims, status: "pending" | "confirmed" | "disputed", limit = 20) =>
      dataOf(await api(as).GET(ATTRIBUTIONS, { params: { query: { confirmation_status: status, limit } } }));
    const ids = (page: { data: Attribution[] }) => page.data.map((a) => a.attribution_id).sort();

    const badge = await list(o.mentor, "pending", 1);
    expect(badge.pagination.total).toBe(1);
    expect(ids(badge)).toEqual([pending.attribution_id]);
    expect(ids(await list(o.coordinator, "pending"))).toEqual(
      [pending.attribution_id, othersPending.attribution_id].sort(),
    );
    const disputes = await list(o.coordinator, "disputed");
    expect(ids(disputes)).toEqual([disputed.attribution_id]);
    expect(disputes.data[0]?.confirmation?.reason).toBe(REASON);
    expect(ids(await list(o.compliance, "confirmed"))).toEqual([confirmed.attribution_id]);
    expect((await list(o.otherMentor, "disputed")).pagination.total).toBe(0);

    const bad = await call("GET", `${ATTRIBUTIONS}?confirmation_status=maybe`, { as: o.coordinator });
    expect(bad.status).toBe(400);
    expect((await json<Problem>(bad)).errors?.map((e) => e.path)).toEqual(["confirmation_status"]);
  });
});

describe("retries and preconditions", () => {
  it("replays an answer sent again with the same Idempotency-Key, recording it once", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    const first = await dispute(o.mentor, id, REASON, { "idempotency-key": "dispute-1" });
    const replay = await dispute(o.mentor, id, REASON, { "idempotency-key": "dispute-1" });
    expect(replay.response.status).toBe(200);
    expect(replay.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.data).toEqual(dataOf(first));
    expect(replay.response.headers.get("ETag")).toBe(first.response.headers.get("ETag"));
    expect(await entriesOf(o, "proxy_disputed")).toBe(1);
  });

  it("answers a repeated confirmation without a key 200 as it stands, recording nothing", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    const first = await confirm(o.mentor, id);
    const before = await observe(o);
    const again = await confirm(o.mentor, id);
    expect(again.data).toEqual(dataOf(first));
    expect(again.response.headers.get("ETag")).toBe(first.response.headers.get("ETag"));
    expect(await observe(o)).toEqual(before);
    expect(await entriesOf(o, "proxy_confirmed")).toBe(1);
  });

  it("refuses an answer on a stale If-Match with 412 and takes a current one", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    const read = await api(o.mentor).GET(ATTRIBUTION, { params: { path: { id } } });
    const seen = read.response.headers.get("ETag") ?? "";
    expect(seen).not.toBe("");
    await api(o.coordinator).PUT(ATTRIBUTION, { params: { path: { id } }, body: { notes: "Moved rooms" } });

    const before = await observe(o);
    const stale = await confirm(o.mentor, id, { "if-match": seen });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.status).toBe(412);
    expect(await observe(o)).toEqual(before);

    const current = (await api(o.mentor).GET(ATTRIBUTION, { params: { path: { id } } })).response.headers.get(
      "ETag",
    );
    const answered = await dispute(o.mentor, id, REASON, { "if-match": current ?? "" });
    expect(dataOf(answered).confirmation_status).toBe("disputed");
    expect(answered.response.headers.get("ETag")).not.toBe(current);
  });
});

describe("an answer while the audit log is unreachable", () => {
  it("is kept with its audit event in the outbox, and the drain appends the event exactly once", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    const db = o.db;
    const down = withAuditDown();

    const answered = await confirm(o.mentor, id, {}, down);
    expect(dataOf(answered).confirmation_status).toBe("confirmed");
    expect((await detail(o, id)).confirmation_status).toBe("confirmed");
    expect(await outboxSize(db, o.org)).toBe(1);
    expect(await entriesOf(o, "proxy_confirmed")).toBe(0);
    // Confirmed already: nothing changes, so nothing waits for delivery either.
    expect(dataOf(await confirm(o.mentor, id, {}, down)).confirmation_status).toBe("confirmed");
    expect(await outboxSize(db, o.org)).toBe(1);

    await drain();
    expect(await outboxSize(db, o.org)).toBe(0);
    expect(await entriesOf(o, "proxy_confirmed")).toBe(1);
    expect((await trailOf(o, id)).map((e) => e.event)).toEqual(["created", "confirmed"]);
    await drain();
    expect(await entriesOf(o, "proxy_confirmed")).toBe(1);
    expect(await verified(o)).toMatchObject({ valid: true, tree_size: 2 });
  });
});

describe("bad input", () => {
  it.each([
    ["an empty reason", { reason: "" }, ["reason"]],
    ["a blank reason", { reason: "   " }, ["reason"]],
    ["a reason of 501 characters", { reason: "x".repeat(501) }, ["reason"]],
    ["a reason that is not text", { reason: 42 }, ["reason"]],
    ["no reason", {}, ["reason"]],
    [
      "a field a mentor may not set",
      { reason: REASON, confirmation_status: "confirmed" },
      ["confirmation_status"],
    ],
    ["who answered", { reason: REASON, by: "mentor-033" }, ["by"]],
  ])("refuses %s with a 400 naming the field, and changes nothing", async (_label, body, paths) => {
    // Bodies outside the contract, which the typed client cannot send: sent raw.
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    const before = await observe(o);
    const res = await call("POST", `${ATTRIBUTIONS}/${id}/dispute`, { as: o.mentor, body });
    expect(res.status).toBe(400);
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    expect((await json<Problem>(res)).errors?.map((e) => e.path).sort()).toEqual(paths);
    expect(await observe(o)).toEqual(before);
  });

  it("takes a reason of exactly 500 characters", async () => {
    const o = await testOrg();
    const { attribution_id: id } = await register(o, o.mentor.sub);
    const reason = "x".repeat(500);
    expect(dataOf(await dispute(o.mentor, id, reason)).confirmation?.reason).toBe(reason);
  });

  it("refuses an ID that is not an attribution ID with a 400 naming it", async () => {
    const o = await testOrg();
    const { error, response } = await confirm(o.mentor, "log_0123456789abcdef");
    expect(response.status).toBe(400);
    expect(error?.errors?.map((e) => e.path)).toEqual(["id"]);
  });
});
