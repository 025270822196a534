import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { auditLogOf } from "../../src/audit/client";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";
import { activityLogOf, attributionOf } from "../helpers/world";

// SPEC §10: a 412 for a stale If-Match carries the current representation as `current` and its
// ETag, so the client can merge without another call; sending that ETag then succeeds.

type Problem = components["schemas"]["Problem"] & { current?: unknown };

const stale = '"0000000000000000000000000000000000000000000000000000000000000000"';

function expectCurrent(answer: { response: Response; error?: unknown }, current: unknown): string {
  expect(answer.response.status).toBe(412);
  expect((answer.error as Problem).current).toEqual(current);
  const etag = answer.response.headers.get("ETag");
  expect(etag).toMatch(/^"[0-9a-f]+"$/);
  return etag ?? "";
}

describe("412 Precondition Failed carries the current version", () => {
  it("on an activity log: PUT and DELETE", async () => {
    const o = await testOrg("precond");
    const id = await activityLogOf(o, o.mentor.sub);
    const path = { params: { path: { id } } };
    const read = await api(o.mentor).GET("/api/v1/activity-logs/{id}", path);
    const put = await api(o.mentor).PUT("/api/v1/activity-logs/{id}", {
      ...path,
      headers: { "If-Match": stale },
      body: { description: "From the phone" },
    });
    const etag = expectCurrent(put, read.data);
    expect(etag).toBe(read.response.headers.get("ETag"));
    const del = await api(o.mentor).DELETE("/api/v1/activity-logs/{id}", {
      ...path,
      headers: { "If-Match": stale },
    });
    expectCurrent(del, read.data);
    // The ETag the 412 carried is current: the merged write goes through.
    const merged = await api(o.mentor).PUT("/api/v1/activity-logs/{id}", {
      ...path,
      headers: { "If-Match": etag },
      body: { description: "Merged" },
    });
    expect(merged.response.status).toBe(200);
  });

  it("on an attribution: PUT, DELETE and the mentor's confirmation, without the trail", async () => {
    const o = await testOrg("precond");
    const id = await attributionOf(o, o.coordinator.sub, o.mentor.sub);
    const path = { params: { path: { id } } };
    const { data } = await api(o.coordinator).GET("/api/v1/activity-attributions/{id}", path);
    const { audit_trail: _, ...withoutTrail } = data ?? { audit_trail: [] };
    const put = await api(o.coordinator).PUT("/api/v1/activity-attributions/{id}", {
      ...path,
      headers: { "If-Match": stale },
      body: { duration_minutes: 90 },
    });
    const etag = expectCurrent(put, withoutTrail);
    const del = await api(o.coordinator).DELETE("/api/v1/activity-attributions/{id}", {
      ...path,
      headers: { "If-Match": stale },
    });
    expectCurrent(del, withoutTrail);
    const confirm = await api(o.mentor).POST("/api/v1/activity-attributions/{id}/confirm", {
      ...path,
      headers: { "If-Match": stale },
    });
    expectCurrent(confirm, withoutTrail);
    const merged = await api(o.coordinator).PUT("/api/v1/activity-attributions/{id}", {
      ...path,
      headers: { "If-Match": etag },
      body: { duration_minutes: 90 },
    });
    expect(merged.response.status).toBe(200);
  });

  it("on a member and on an audit entry", async () => {
    const o = await testOrg("precond");
    const member = { params: { path: { member_id: o.otherMentor.sub } } };
    const read = await api(o.admin).GET("/api/v1/members/{member_id}", member);
    const put = await api(o.admin).PUT("/api/v1/members/{member_id}", {
      ...member,
      headers: { "If-Match": stale },
      body: { name: "Alex Chen", roles: ["mentor"] },
    });
    expect(expectCurrent(put, read.data)).toBe(read.response.headers.get("ETag"));

    await auditLogOf(env.AUDIT_LOG, o.org).append([
      { event_id: "e1", action: "proxy_created", actor_id: "coord-007", coordinator_id: "coord-007" },
    ]);
    const entry = { params: { path: { id: "log-001" } } };
    const got = await api(o.admin).GET("/api/v1/proxy-audit-logs/{id}", entry);
    const annotate = await api(o.admin).PUT("/api/v1/proxy-audit-logs/{id}", {
      ...entry,
      headers: { "If-Match": stale },
      body: { annotation: "Reviewed", reviewed_by: "admin-007" },
    });
    expect(expectCurrent(annotate, got.data)).toBe(got.response.headers.get("ETag"));
  });

  it("answers a missing resource 404 with or without If-Match, carrying nothing", async () => {
    const o = await testOrg("precond");
    const put = await api(o.admin).PUT("/api/v1/activity-logs/{id}", {
      params: { path: { id: "log_0000000000000000" } },
      headers: { "If-Match": stale },
      body: { description: "x" },
    });
    expect(put.response.status).toBe(404);
    expect((put.error as Problem).current).toBeUndefined();
  });
});
