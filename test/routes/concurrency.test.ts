import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { call, json } from "../helpers/api";
import { signToken, type TokenClaims } from "../helpers/auth";
import { type DemoOrg, demoOrg } from "../helpers/org";

const STRONG_TAG = /^"[0-9a-f]{32}"$/;

function tagOf(res: Response): string {
  const tag = res.headers.get("ETag");
  expect(tag).toMatch(STRONG_TAG);
  return tag ?? "";
}

async function expectProblem(res: Response, status: number): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect((await json(res)).status).toBe(status);
}

async function expectNotModified(path: string, as: TokenClaims, tag: string, sent = tag): Promise<void> {
  const res = await call("GET", path, { as, headers: { "If-None-Match": sent } });
  expect(res.status).toBe(304);
  expect(res.headers.get("ETag")).toBe(tag);
  expect(await res.text()).toBe("");
}

async function newLog(o: DemoOrg): Promise<{ path: string; mentor: TokenClaims }> {
  const mentor = o.as("mentor-042", "mentor");
  const res = await call("POST", "/api/v1/activity-logs", {
    as: mentor,
    body: { activity_type: "check_in", description: "First", occurred_at: "2026-03-10T10:00:00Z" },
  });
  expect(res.status).toBe(201);
  const { log_id } = await json<{ log_id: string }>(res);
  return { path: `/api/v1/activity-logs/${log_id}`, mentor };
}

describe("ETag and If-None-Match on single-resource GETs", () => {
  it("answers 304 without a body for the current tag, and 200 for another", async () => {
    const o = await demoOrg();
    const { path, mentor } = await newLog(o);
    const tag = tagOf(await call("GET", path, { as: mentor }));
    await expectNotModified(path, mentor, tag);
    await expectNotModified(path, mentor, tag, `"0000", W/${tag}`);
    await expectNotModified(path, mentor, tag, "*");
    const other = await call("GET", path, { as: mentor, headers: { "If-None-Match": '"0000"' } });
    expect(other.status).toBe(200);
    expect(tagOf(other)).toBe(tag);
  });

  it("sends ETags on members, attributions and audit entries, and 304 for each", async () => {
    const o = await demoOrg();
    const registered = await call("POST", "/api/v1/activity-attributions", {
      as: o.coordinator,
      body: {
        activity_type_id: "one-on-one",
        activity_date: "2026-03-24T14:00:00Z",
        coordinator_id: "coord-007",
        mentor_id: "mentor-042",
      },
    });
    const { attribution_id } = await json<{ attribution_id: string }>(registered);
    for (const path of [
      "/api/v1/members/mentor-042",
      `/api/v1/activity-attributions/${attribution_id}`,
      "/api/v1/proxy-audit-logs/log-001",
    ]) {
      const res = await call("GET", path, { as: o.admin });
      expect(res.status, path).toBe(200);
      await expectNotModified(path, o.admin, tagOf(res));
    }
  });

  it("gives different tags to different resources with the same content", async () => {
    const o = await demoOrg();
    const a = await call("GET", "/api/v1/members/mentor-042", { as: o.admin });
    const other = await demoOrg();
    const b = await call("GET", "/api/v1/members/mentor-042", { as: other.admin });
    expect(tagOf(a)).not.toBe(tagOf(b));
  });
});

describe("If-Match on activity logs", () => {
  it("applies a PUT with the current tag and answers the new tag, which a GET then shows", async () => {
    const o = await demoOrg();
    const { path, mentor } = await newLog(o);
    const tag = tagOf(await call("GET", path, { as: mentor }));
    const put = await call("PUT", path, {
      as: mentor,
      body: { description: "Second" },
      headers: { "If-Match": tag },
    });
    expect(put.status).toBe(200);
    const newTag = tagOf(put);
    expect(newTag).not.toBe(tag);
    expect(tagOf(await call("GET", path, { as: mentor }))).toBe(newTag);
  });

  it("refuses a PUT with a stale tag with 412 and changes nothing, even within the same second", async () => {
    const o = await demoOrg();
    const { path, mentor } = await newLog(o);
    const stale = tagOf(await call("GET", path, { as: mentor }));
    const first = await call("PUT", path, { as: mentor, body: { description: "Second" } });
    expect(first.status).toBe(200);
    const res = await call("PUT", path, {
      as: mentor,
      body: { description: "Third" },
      headers: { "If-Match": stale },
    });
    await expectProblem(res, 412);
    const now = await json<{ description: string }>(await call("GET", path, { as: mentor }));
    expect(now.description).toBe("Second");
  });

  it("compares If-Match strongly: a weak tag never matches", async () => {
    const o = await demoOrg();
    const { path, mentor } = await newLog(o);
    const tag = tagOf(await call("GET", path, { as: mentor }));
    const res = await call("PUT", path, {
      as: mentor,
      body: { description: "X" },
      headers: { "If-Match": `W/${tag}` },
    });
    await expectProblem(res, 412);
  });

  it("lets If-Match: * through for an existing entry and answers 404 for a missing one", async () => {
    const o = await demoOrg();
    const { path, mentor } = await newLog(o);
    const put = await call("PUT", path, {
      as: mentor,
      body: { description: "Any" },
      headers: { "If-Match": "*" },
    });
    expect(put.status).toBe(200);
    const missing = await call("PUT", "/api/v1/activity-logs/log_0000000000000000", {
      as: mentor,
      body: { description: "Any" },
      headers: { "If-Match": "*" },
    });
    await expectProblem(missing, 404);
  });

  it("refuses a DELETE with a stale tag with 412 and keeps the entry; the current tag deletes it", async () => {
    const o = await demoOrg();
    const { path, mentor } = await newLog(o);
    const stale = tagOf(await call("GET", path, { as: mentor }));
    const put = await call("PUT", path, { as: mentor, body: { description: "Second" } });
    await expectProblem(await call("DELETE", path, { as: mentor, headers: { "If-Match": stale } }), 412);
    expect((await call("GET", path, { as: mentor })).status).toBe(200);
    const deleted = await call("DELETE", path, { as: mentor, headers: { "If-Match": tagOf(put) } });
    expect(deleted.status).toBe(200);
    expect((await call("GET", path, { as: mentor })).status).toBe(404);
  });

  it("checks the caller's reach before the precondition", async () => {
    const o = await demoOrg();
    const { path } = await newLog(o);
    const res = await call("PUT", path, {
      as: o.as("mentor-033", "mentor"),
      body: { description: "Not mine" },
      headers: { "If-Match": '"0000"' },
    });
    await expectProblem(res, 403);
  });
});

describe("If-Match on members", () => {
  it("refuses a stale PUT with 412 and changes nothing; a current one answers the new tag", async () => {
    const o = await demoOrg();
    const path = "/api/v1/members/mentor-033";
    const stale = tagOf(await call("GET", path, { as: o.admin }));
    const first = await call("PUT", path, { as: o.admin, body: { name: "Alex Chen-Li", roles: ["mentor"] } });
    expect(first.status).toBe(200);
    const current = tagOf(first);
    const res = await call("PUT", path, {
      as: o.admin,
      body: { name: "Someone Else", roles: ["mentor"] },
      headers: { "If-Match": stale },
    });
    await expectProblem(res, 412);
    expect(await json(await call("GET", path, { as: o.admin }))).toMatchObject({ name: "Alex Chen-Li" });

    const ok = await call("PUT", path, {
      as: o.admin,
      body: { name: "Alex Chen", roles: ["mentor"] },
      headers: { "If-Match": current },
    });
    expect(ok.status).toBe(200);
    expect(tagOf(ok)).toBe(tagOf(await call("GET", path, { as: o.admin })));
  });

  it("answers 404 to a conditional PUT of a member that does not exist, and creates nothing", async () => {
    const o = await demoOrg();
    const res = await call("PUT", "/api/v1/members/nobody", {
      as: o.admin,
      body: { name: "Nobody", roles: ["mentor"] },
      headers: { "If-Match": "*" },
    });
    await expectProblem(res, 404);
    expect((await call("GET", "/api/v1/members/nobody", { as: o.admin })).status).toBe(404);
  });
});

describe("If-Match on attributions", () => {
  async function registered(o: DemoOrg): Promise<string> {
    const res = await call("POST", "/api/v1/activity-attributions", {
      as: o.coordinator,
      body: {
        activity_type_id: "one-on-one",
        activity_date: "2026-03-24T14:00:00Z",
        duration_minutes: 30,
        coordinator_id: "coord-007",
        mentor_id: "mentor-042",
      },
    });
    expect(res.status).toBe(201);
    const { attribution_id } = await json<{ attribution_id: string }>(res);
    return `/api/v1/activity-attributions/${attribution_id}`;
  }

  it("refuses a stale PUT and DELETE with 412 and changes nothing", async () => {
    const o = await demoOrg();
    const path = await registered(o);
    const stale = tagOf(await call("GET", path, { as: o.coordinator }));
    const first = await call("PUT", path, { as: o.coordinator, body: { duration_minutes: 45 } });
    expect(first.status).toBe(200);
    const current = tagOf(first);
    expect(current).not.toBe(stale);

    const put = await call("PUT", path, {
      as: o.coordinator,
      body: { duration_minutes: 90 },
      headers: { "If-Match": stale },
    });
    await expectProblem(put, 412);
    await expectProblem(
      await call("DELETE", path, { as: o.coordinator, headers: { "If-Match": stale } }),
      412,
    );
    const after = await call("GET", path, { as: o.coordinator });
    expect(await json(after)).toMatchObject({ duration_minutes: 45 });
    expect(tagOf(after)).toBe(current);

    const deleted = await call("DELETE", path, { as: o.coordinator, headers: { "If-Match": current } });
    expect(deleted.status).toBe(200);
    expect((await call("GET", path, { as: o.coordinator })).status).toBe(404);
  });

  it("applies a PUT with the current tag", async () => {
    const o = await demoOrg();
    const path = await registered(o);
    const tag = tagOf(await call("GET", path, { as: o.coordinator }));
    const put = await call("PUT", path, {
      as: o.coordinator,
      body: { location: "Library" },
      headers: { "If-Match": tag },
    });
    expect(put.status).toBe(200);
    expect(tagOf(put)).toBe(tagOf(await call("GET", path, { as: o.coordinator })));
  });
});

describe("an attribution whose audit event is delivered late", () => {
  const unreachableAuditLog = {
    idFromName: (name: string) => env.AUDIT_LOG.idFromName(name),
    get: () => ({
      append: async () => {
        throw new Error("audit object unavailable");
      },
    }),
  } as unknown as Env["AUDIT_LOG"];

  it("changes its tag once the trail shows the event, and accepts either tag as a precondition", async () => {
    const o = await demoOrg();
    const ctx = createExecutionContext();
    const created = await worker.fetch(
      new Request("https://api.test/api/v1/activity-attributions", {
        method: "POST",
        headers: {
          Authorization: `Bearer ${await signToken(o.coordinator)}`,
          "Content-Type": "application/json",
        },
        body: JSON.stringify({
          activity_type_id: "one-on-one",
          activity_date: "2026-03-24T14:00:00Z",
          coordinator_id: "coord-007",
          mentor_id: "mentor-042",
        }),
      }),
      { ...env, AUDIT_LOG: unreachableAuditLog },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(created.status).toBe(201);
    const path = `/api/v1/activity-attributions/${(await json<{ attribution_id: string }>(created)).attribution_id}`;
    const pending = await call("GET", path, { as: o.coordinator });
    expect(await json(pending)).toMatchObject({ audit_trail: [] });
    const pendingTag = tagOf(pending);

    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
    const complete = await call("GET", path, { as: o.coordinator, headers: { "If-None-Match": pendingTag } });
    expect(complete.status).toBe(200);
    expect(await json(complete)).toMatchObject({ audit_trail: [{ event: "created" }] });
    expect(tagOf(complete)).not.toBe(pendingTag);

    const put = await call("PUT", path, {
      as: o.coordinator,
      body: { location: "Library" },
      headers: { "If-Match": pendingTag },
    });
    expect(put.status).toBe(200);
  });
});

describe("If-Match on audit entries", () => {
  async function entry(o: DemoOrg): Promise<string> {
    const res = await call("POST", "/api/v1/proxy-audit-logs", {
      as: o.as("svc-attribution", "system"),
      body: { action: "proxy_created", coordinator_id: "coord-007", mentor_id: "mentor-042" },
    });
    expect(res.status).toBe(201);
    const { id } = await json<{ id: string }>(res);
    return `/api/v1/proxy-audit-logs/${id}`;
  }
  const note = (annotation: string) => ({ annotation, reviewed_by: "admin-007" });

  it("annotates with the current tag, answers the tag a GET then shows, and refuses the old one", async () => {
    const o = await demoOrg();
    const path = await entry(o);
    const first = tagOf(await call("GET", path, { as: o.admin }));
    const put = await call("PUT", path, {
      as: o.admin,
      body: note("Checked"),
      headers: { "If-Match": first },
    });
    expect(put.status).toBe(200);
    const second = tagOf(put);
    expect(second).not.toBe(first);
    expect(tagOf(await call("GET", path, { as: o.admin }))).toBe(second);

    const stale = await call("PUT", path, {
      as: o.admin,
      body: note("Overwrite"),
      headers: { "If-Match": first },
    });
    await expectProblem(stale, 412);
    expect(await json(await call("GET", path, { as: o.admin }))).toMatchObject({ annotation: "Checked" });
  });

  it("refuses a DELETE with a stale tag and keeps the entry", async () => {
    const o = await demoOrg();
    const path = await entry(o);
    const stale = tagOf(await call("GET", path, { as: o.admin }));
    await call("PUT", path, { as: o.admin, body: note("Checked") });
    await expectProblem(await call("DELETE", path, { as: o.admin, headers: { "If-Match": stale } }), 412);
    expect((await call("GET", path, { as: o.admin })).status).toBe(200);
  });
});
