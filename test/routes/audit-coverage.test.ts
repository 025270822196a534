import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";

// SPEC §9: everything done to someone else's record is in the audit log, and an erased event
// stays visible where the record shows its history.

const LOG = "/api/v1/proxy-audit-logs";
const LOG_ENTRY = "/api/v1/proxy-audit-logs/{id}";
const ACTIVITY_LOGS = "/api/v1/activity-logs";
const ACTIVITY_LOG = "/api/v1/activity-logs/{id}";
const MEMBER = "/api/v1/members/{member_id}";
const ATTRIBUTIONS = "/api/v1/activity-attributions";
const ATTRIBUTION = "/api/v1/activity-attributions/{id}";

type AuditEntry = components["schemas"]["ProxyAuditLogEntry"];

const total = async (o: TestOrg) => (await api(o.compliance).GET(LOG)).data?.pagination.total ?? -1;

/** The newest entry of the log, in full. */
async function newest(o: TestOrg): Promise<AuditEntry | undefined> {
  const id = (await api(o.compliance).GET(LOG)).data?.data[0]?.id ?? "";
  return (await api(o.compliance).GET(LOG_ENTRY, { params: { path: { id } } })).data;
}

async function mentorEntry(as: TokenClaims): Promise<string> {
  const { data, response } = await api(as).POST(ACTIVITY_LOGS, {
    body: {
      activity_type: "session_completed",
      description: "Weekly session",
      duration_minutes: 30,
      occurred_at: "2026-03-10T10:00:00Z",
    },
  });
  expect(response.status).toBe(201);
  return data?.log_id ?? "";
}

describe("an admin's change to a mentor's own activity log", () => {
  it("appends one entry per update and per delete, with the fields changed", async () => {
    const o = await testOrg("cover");
    const id = await mentorEntry(o.mentor);
    // The mentor's own writes are its own business: nothing is appended for them.
    const own = await api(o.mentor).PUT(ACTIVITY_LOG, {
      params: { path: { id } },
      body: { duration_minutes: 40 },
    });
    expect(own.response.status).toBe(200);
    expect(await total(o)).toBe(0);

    const updated = await api(o.admin).PUT(ACTIVITY_LOG, {
      params: { path: { id } },
      body: { duration_minutes: 45, description: "Weekly session (corrected)" },
    });
    expect(updated.response.status).toBe(200);
    expect(await total(o)).toBe(1);
    expect(await newest(o)).toMatchObject({
      action: "activity_log_updated",
      actor_id: "admin-007",
      mentor_id: "mentor-042",
      activity_id: id,
      changes: {
        duration_minutes: { from: 40, to: 45 },
        description: { from: "Weekly session", to: "Weekly session (corrected)" },
      },
    });

    const deleted = await api(o.admin).DELETE(ACTIVITY_LOG, { params: { path: { id } } });
    expect(deleted.response.status).toBe(200);
    expect(await total(o)).toBe(2);
    expect(await newest(o)).toMatchObject({
      action: "activity_log_deleted",
      actor_id: "admin-007",
      mentor_id: "mentor-042",
      activity_id: id,
    });
  });

  it("appends an entry when an admin records an activity in a mentor's name", async () => {
    const o = await testOrg("cover");
    const { response } = await api(o.admin).POST(ACTIVITY_LOGS, {
      body: {
        mentor_id: "mentor-033",
        activity_type: "session_completed",
        description: "Set a goal with the mentee",
        occurred_at: "2026-03-10T10:00:00Z",
      },
    });
    expect(response.status).toBe(201);
    expect(await newest(o)).toMatchObject({
      action: "activity_log_created",
      actor_id: "admin-007",
      mentor_id: "mentor-033",
    });
  });
});

describe("a member change", () => {
  it("appends member_created, then member_updated with the fields changed, and nothing for a no-op", async () => {
    const o = await testOrg("cover");
    const path = { member_id: "mentor-700" };
    const created = await api(o.admin).PUT(MEMBER, {
      params: { path },
      body: { name: "Noor Haddad", roles: ["mentor"] },
    });
    expect(created.response.status).toBe(201);
    expect(await total(o)).toBe(1);
    expect(await newest(o)).toMatchObject({
      action: "member_created",
      actor_id: "admin-007",
      member_id: "mentor-700",
    });

    const changed = await api(o.admin).PUT(MEMBER, {
      params: { path },
      body: { name: "Noor Haddad", roles: ["mentor", "coordinator"], active: false },
    });
    expect(changed.response.status).toBe(200);
    expect(await total(o)).toBe(2);
    const about = await api(o.compliance).GET(LOG, { params: { query: { member_id: "mentor-700" } } });
    expect(about.data?.data.map((entry) => entry.action)).toEqual(["member_updated", "member_created"]);
    expect(await newest(o)).toMatchObject({
      action: "member_updated",
      member_id: "mentor-700",
      changes: {
        roles: { from: ["mentor"], to: ["mentor", "coordinator"] },
        active: { from: true, to: false },
      },
    });

    const same = await api(o.admin).PUT(MEMBER, {
      params: { path },
      body: { name: "Noor Haddad", roles: ["mentor", "coordinator"], active: false },
    });
    expect(same.response.status).toBe(200);
    expect(await total(o)).toBe(2);
  });
});

describe("a redacted audit event", () => {
  it("stays in the record's audit trail as `redacted`, with who erased it and when", async () => {
    const o = await testOrg("cover");
    const registered = await api(o.coordinator).POST(ATTRIBUTIONS, {
      body: {
        activity_type_id: "workshop",
        activity_date: "2026-03-26T09:00:00Z",
        duration_minutes: 120,
        location: "Innovation Lab",
        notes: "Ran resume workshop for junior cohort",
        coordinator_id: "coord-007",
        mentor_id: "mentor-042",
      },
    });
    expect(registered.response.status).toBe(201);
    const id = registered.data?.attribution_id ?? "";
    const erased = await api(o.compliance).DELETE(LOG_ENTRY, { params: { path: { id: "log-001" } } });
    expect(erased.response.status).toBe(200);

    const { data } = await api(o.admin).GET(ATTRIBUTION, { params: { path: { id } } });
    expect(data?.audit_trail).toEqual([
      { event: "redacted", id: "log-001", actor: "compliance-001", at: expect.stringMatching(/Z$/) },
    ]);
  });
});
