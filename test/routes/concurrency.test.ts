import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { databaseBinding } from "../../src/db/databases";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { withAuditDown } from "../helpers/doubles";
import { auditWriteAfter } from "../helpers/faults";
import { instrumentD1 } from "../helpers/instrumented-d1";
import { type TestOrg, testOrg } from "../helpers/org";

type Problem = components["schemas"]["Problem"];

const STRONG_TAG = /^"[0-9a-f]{32}"$/;

const logPath = "/api/v1/activity-logs/{id}";
const memberPath = "/api/v1/members/{member_id}";
const attributionPath = "/api/v1/activity-attributions/{id}";
const entryPath = "/api/v1/proxy-audit-logs/{id}";

/** What a call of the typed client answers, whatever its route. */
interface Answer {
  response: Response;
  data?: unknown;
  error?: unknown;
}

/** A read of one resource, with `ifNoneMatch` in If-None-Match when given. */
type Read = (ifNoneMatch?: string) => Promise<Answer>;

/** The answer's body; a call that answered none fails the test with its status and problem. */
function dataOf<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) {
    throw new Error(`answered ${answer.response.status} without a body: ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

function tagOf(res: Response): string {
  const tag = res.headers.get("ETag");
  expect(tag).toMatch(STRONG_TAG);
  return tag ?? "";
}

function expectProblem(answer: { response: Response; error?: Problem }, status: number): void {
  expect(answer.response.status).toBe(status);
  expect(answer.response.headers.get("content-type")).toContain("application/problem+json");
  expect(answer.error?.status).toBe(status);
}

async function expectNotModified(read: Read, tag: string, sent = tag): Promise<void> {
  const { response, data, error } = await read(sent);
  expect(response.status).toBe(304);
  expect(response.headers.get("ETag")).toBe(tag);
  // openapi-fetch reads a 304's body as its error: nothing when Content-Length is 0, else its text
  // (parsed when it is JSON). Either way an empty body leaves no data and no error but "".
  expect(data).toBeUndefined();
  expect(error ?? "").toBe("");
}

const readLog = (as: TokenClaims, id: string, ifNoneMatch?: string) =>
  api(as).GET(logPath, { params: { path: { id }, header: { "if-none-match": ifNoneMatch } } });
const putLog = (
  as: TokenClaims,
  id: string,
  body: components["schemas"]["ActivityLogChanges"],
  ifMatch?: string,
) => api(as).PUT(logPath, { params: { path: { id }, header: { "if-match": ifMatch } }, body });
const deleteLog = (as: TokenClaims, id: string, ifMatch?: string) =>
  api(as).DELETE(logPath, { params: { path: { id }, header: { "if-match": ifMatch } } });

/** An activity log of the fixture's mentor (mentor-042), entered by that mentor. */
async function newLog(o: TestOrg): Promise<string> {
  const created = await api(o.mentor).POST("/api/v1/activity-logs", {
    body: { activity_type: "check_in", description: "First", occurred_at: "2026-03-10T10:00:00Z" },
  });
  expect(created.response.status).toBe(201);
  return dataOf(created).log_id;
}

const readMember = (as: TokenClaims, memberId: string, ifNoneMatch?: string) =>
  api(as).GET(memberPath, {
    params: { path: { member_id: memberId }, header: { "if-none-match": ifNoneMatch } },
  });
const putMember = (
  as: TokenClaims,
  memberId: string,
  body: components["schemas"]["MemberInput"],
  ifMatch?: string,
) =>
  api(as).PUT(memberPath, {
    params: { path: { member_id: memberId }, header: { "if-match": ifMatch } },
    body,
  });

const readAttribution = (as: TokenClaims, id: string, ifNoneMatch?: string) =>
  api(as).GET(attributionPath, { params: { path: { id }, header: { "if-none-match": ifNoneMatch } } });
const putAttribution = (
  as: TokenClaims,
  id: string,
  body: components["schemas"]["UpdateAttribution"],
  ifMatch?: string,
) => api(as).PUT(attributionPath, { params: { path: { id }, header: { "if-match": ifMatch } }, body });
const deleteAttribution = (as: TokenClaims, id: string, ifMatch?: string) =>
  api(as).DELETE(attributionPath, { params: { path: { id }, header: { "if-match": ifMatch } } });

const oneOnOne = {
  activity_type_id: "one-on-one",
  activity_date: "2026-03-24T14:00:00Z",
  coordinator_id: "coord-007",
  mentor_id: "mentor-042",
};

describe("ETag and If-None-Match on single-resource GETs", () => {
  it("answers 304 without a body for the current tag, and 200 for another", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const read: Read = (ifNoneMatch) => readLog(o.mentor, id, ifNoneMatch);
    const tag = tagOf((await read()).response);
    await expectNotModified(read, tag);
    await expectNotModified(read, tag, `"0000", W/${tag}`);
    await expectNotModified(read, tag, "*");
    const other = await read('"0000"');
    expect(other.response.status).toBe(200);
    expect(tagOf(other.response)).toBe(tag);
  });

  it("sends ETags on members, attributions and audit entries, and 304 for each", async () => {
    const o = await testOrg();
    const registered = await api(o.coordinator).POST("/api/v1/activity-attributions", { body: oneOnOne });
    const { attribution_id } = dataOf(registered);
    const reads: [string, Read][] = [
      ["/api/v1/members/mentor-042", (inm) => readMember(o.admin, "mentor-042", inm)],
      [
        `/api/v1/activity-attributions/${attribution_id}`,
        (inm) => readAttribution(o.admin, attribution_id, inm),
      ],
      [
        "/api/v1/proxy-audit-logs/log-001",
        (inm) =>
          api(o.admin).GET(entryPath, {
            params: { path: { id: "log-001" }, header: { "if-none-match": inm } },
          }),
      ],
    ];
    for (const [path, read] of reads) {
      const res = await read();
      expect(res.response.status, path).toBe(200);
      await expectNotModified(read, tagOf(res.response));
    }
  });

  it("gives different tags to different resources with the same content", async () => {
    const o = await testOrg();
    const a = await readMember(o.admin, "mentor-042");
    const other = await testOrg();
    const b = await readMember(other.admin, "mentor-042");
    expect(tagOf(a.response)).not.toBe(tagOf(b.response));
  });
});

describe("If-Match on activity logs", () => {
  it("applies a PUT with the current tag and answers the new tag, which a GET then shows", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const tag = tagOf((await readLog(o.mentor, id)).response);
    const put = await putLog(o.mentor, id, { description: "Second" }, tag);
    expect(put.response.status).toBe(200);
    const newTag = tagOf(put.response);
    expect(newTag).not.toBe(tag);
    expect(tagOf((await readLog(o.mentor, id)).response)).toBe(newTag);
  });

  it("refuses a PUT with a stale tag with 412 and changes nothing, even within the same second", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const stale = tagOf((await readLog(o.mentor, id)).response);
    const first = await putLog(o.mentor, id, { description: "Second" });
    expect(first.response.status).toBe(200);
    expectProblem(await putLog(o.mentor, id, { description: "Third" }, stale), 412);
    const now = await readLog(o.mentor, id);
    expect(now.data?.description).toBe("Second");
  });

  it("compares If-Match strongly: a weak tag never matches", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const tag = tagOf((await readLog(o.mentor, id)).response);
    expectProblem(await putLog(o.mentor, id, { description: "X" }, `W/${tag}`), 412);
  });

  it("lets If-Match: * through for an existing entry and answers 404 for a missing one", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const put = await putLog(o.mentor, id, { description: "Any" }, "*");
    expect(put.response.status).toBe(200);
    expectProblem(await putLog(o.mentor, "log_0000000000000000", { description: "Any" }, "*"), 404);
  });

  it("refuses a DELETE with a stale tag with 412 and keeps the entry; the current tag deletes it", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const stale = tagOf((await readLog(o.mentor, id)).response);
    const put = await putLog(o.mentor, id, { description: "Second" });
    expectProblem(await deleteLog(o.mentor, id, stale), 412);
    expect((await readLog(o.mentor, id)).response.status).toBe(200);
    const deleted = await deleteLog(o.mentor, id, tagOf(put.response));
    expect(deleted.response.status).toBe(200);
    expect((await readLog(o.mentor, id)).response.status).toBe(404);
  });

  it("checks the caller's reach before the precondition: another mentor's entry is missing to it", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    // otherMentor is mentor-033; the entry is mentor-042's.
    expectProblem(await putLog(o.otherMentor, id, { description: "Not mine" }, '"0000"'), 404);
  });
});

describe("If-Match on members", () => {
  it("refuses a stale PUT with 412 and changes nothing; a current one answers the new tag", async () => {
    const o = await testOrg();
    const stale = tagOf((await readMember(o.admin, "mentor-033")).response);
    const first = await putMember(o.admin, "mentor-033", { name: "Alex Chen-Li", roles: ["mentor"] });
    expect(first.response.status).toBe(200);
    const current = tagOf(first.response);
    expectProblem(
      await putMember(o.admin, "mentor-033", { name: "Someone Else", roles: ["mentor"] }, stale),
      412,
    );
    expect((await readMember(o.admin, "mentor-033")).data).toMatchObject({ name: "Alex Chen-Li" });

    const ok = await putMember(o.admin, "mentor-033", { name: "Alex Chen", roles: ["mentor"] }, current);
    expect(ok.response.status).toBe(200);
    expect(tagOf(ok.response)).toBe(tagOf((await readMember(o.admin, "mentor-033")).response));
  });

  it("answers 404 to a conditional PUT of a member that does not exist, and creates nothing", async () => {
    const o = await testOrg();
    expectProblem(await putMember(o.admin, "nobody", { name: "Nobody", roles: ["mentor"] }, "*"), 404);
    expect((await readMember(o.admin, "nobody")).response.status).toBe(404);
  });
});

/**
 * The Worker's bindings, with `meanwhile` run just before the first write batch on `database`
 * whose SQL matches `pattern`: after the request checked its If-Match, before it writes.
 */
function writeBetween(o: TestOrg, pattern: RegExp, meanwhile: () => Promise<void>): Env {
  let done = false;
  const d1 = instrumentD1(databaseBinding(env as unknown as Record<string, unknown>, o.database), {
    batch: async (statements, run) => {
      if (!done && statements.some((statement) => pattern.test(statement.sql))) {
        done = true;
        await meanwhile();
      }
      return run();
    },
  });
  return { ...env, [o.database]: d1 } as Env;
}

describe("If-Match against a write that lands after the check, within the same second", () => {
  // Two writes within one second leave updated_at as it was; each competing write below then
  // sets it back to the value the conditional request read, as a same-second write leaves it.
  it("refuses the stale member PUT with 412 and keeps the change that landed first", async () => {
    const o = await testOrg();
    const read = await readMember(o.admin, "mentor-033");
    const seenAt = dataOf(read).updated_at;
    const bindings = writeBetween(o, /insert into "members"/i, async () => {
      const other = await putMember(o.admin, "mentor-033", {
        name: "Alex Chen",
        roles: ["mentor"],
        active: false,
      });
      expect(other.response.status).toBe(200);
      await o.d1
        .prepare("update members set updated_at = ? where org_id = ? and member_id = ?")
        .bind(seenAt, o.org, "mentor-033")
        .run();
    });
    const stale = await api(o.admin, { bindings }).PUT(memberPath, {
      params: { path: { member_id: "mentor-033" }, header: { "if-match": tagOf(read.response) } },
      body: { name: "Alex Chen-Li", roles: ["mentor"] },
    });
    expectProblem(stale, 412);
    expect(dataOf(await readMember(o.admin, "mentor-033"))).toMatchObject({
      name: "Alex Chen",
      active: false,
    });
  });

  it("refuses the stale activity-log PUT and DELETE with 412 and keeps the change that landed first", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const read = await readLog(o.mentor, id);
    const seenAt = dataOf(read).updated_at;
    const meanwhile = (description: string) => async () => {
      const other = await putLog(o.admin, id, { description });
      expect(other.response.status).toBe(200);
      await o.d1
        .prepare("update activities set updated_at = ? where org_id = ? and activity_id = ?")
        .bind(seenAt, o.org, id)
        .run();
    };
    const stalePut = await api(o.mentor, {
      bindings: writeBetween(o, /update "activities"/i, meanwhile("Corrected")),
    }).PUT(logPath, {
      params: { path: { id }, header: { "if-match": tagOf(read.response) } },
      body: { description: "From a stale copy" },
    });
    expectProblem(stalePut, 412);
    expect(dataOf(await readLog(o.mentor, id)).description).toBe("Corrected");

    const fresh = await readLog(o.mentor, id);
    const staleDelete = await api(o.mentor, {
      bindings: writeBetween(o, /delete from "activities"/i, meanwhile("Corrected again")),
    }).DELETE(logPath, { params: { path: { id }, header: { "if-match": tagOf(fresh.response) } } });
    expectProblem(staleDelete, 412);
    expect(dataOf(await readLog(o.mentor, id)).description).toBe("Corrected again");
  });

  it("lets If-Match: * through though a change landed after the check: it asks only that the entry exist", async () => {
    const o = await testOrg();
    const id = await newLog(o);
    const landed = async () => {
      const other = await putLog(o.admin, id, { description: "Corrected meanwhile" });
      expect(other.response.status).toBe(200);
    };
    const put = await api(o.mentor, {
      bindings: writeBetween(o, /update "activities"/i, landed),
    }).PUT(logPath, {
      params: { path: { id }, header: { "if-match": "*" } },
      body: { duration_minutes: 50 },
    });
    expect(put.response.status).toBe(200);
    expect(dataOf(await readLog(o.mentor, id))).toMatchObject({
      description: "Corrected meanwhile",
      duration_minutes: 50,
    });
  });
});

describe("If-Match on attributions", () => {
  async function registered(o: TestOrg): Promise<string> {
    const created = await api(o.coordinator).POST("/api/v1/activity-attributions", {
      body: { ...oneOnOne, duration_minutes: 30 },
    });
    expect(created.response.status).toBe(201);
    return dataOf(created).attribution_id;
  }

  it("refuses a stale PUT and DELETE with 412 and changes nothing", async () => {
    const o = await testOrg();
    const id = await registered(o);
    const stale = tagOf((await readAttribution(o.coordinator, id)).response);
    const first = await putAttribution(o.coordinator, id, { duration_minutes: 45 });
    expect(first.response.status).toBe(200);
    const current = tagOf(first.response);
    expect(current).not.toBe(stale);

    expectProblem(await putAttribution(o.coordinator, id, { duration_minutes: 90 }, stale), 412);
    expectProblem(await deleteAttribution(o.coordinator, id, stale), 412);
    const after = await readAttribution(o.coordinator, id);
    expect(after.data).toMatchObject({ duration_minutes: 45 });
    expect(tagOf(after.response)).toBe(current);

    const deleted = await deleteAttribution(o.coordinator, id, current);
    expect(deleted.response.status).toBe(200);
    expect((await readAttribution(o.coordinator, id)).response.status).toBe(404);
  });

  it("applies a PUT with the current tag", async () => {
    const o = await testOrg();
    const id = await registered(o);
    const tag = tagOf((await readAttribution(o.coordinator, id)).response);
    const put = await putAttribution(o.coordinator, id, { location: "Library" }, tag);
    expect(put.response.status).toBe(200);
    expect(tagOf(put.response)).toBe(tagOf((await readAttribution(o.coordinator, id)).response));
  });
});

describe("an attribution whose audit event is delivered late", () => {
  it("changes its tag once the trail shows the event, and accepts either tag as a precondition", async () => {
    const o = await testOrg();
    const created = await api(o.coordinator, { bindings: withAuditDown() }).POST(
      "/api/v1/activity-attributions",
      { body: oneOnOne },
    );
    expect(created.response.status).toBe(201);
    const id = dataOf(created).attribution_id;
    const pending = await readAttribution(o.coordinator, id);
    expect(pending.data).toMatchObject({ audit_trail: [] });
    const pendingTag = tagOf(pending.response);

    await worker.scheduled(createScheduledController({ cron: "*/5 * * * *" }), env);
    const complete = await readAttribution(o.coordinator, id, pendingTag);
    expect(complete.response.status).toBe(200);
    expect(complete.data).toMatchObject({ audit_trail: [{ event: "created" }] });
    expect(tagOf(complete.response)).not.toBe(pendingTag);

    const put = await putAttribution(o.coordinator, id, { location: "Library" }, pendingTag);
    expect(put.response.status).toBe(200);
  });
});

describe("If-Match on audit entries", () => {
  async function entry(o: TestOrg): Promise<string> {
    const created = await api(o.as("svc-attribution", "system")).POST("/api/v1/proxy-audit-logs", {
      body: { action: "proxy_created", coordinator_id: "coord-007", mentor_id: "mentor-042" },
    });
    expect(created.response.status).toBe(201);
    return dataOf(created).id;
  }
  const readEntry = (as: TokenClaims, id: string) => api(as).GET(entryPath, { params: { path: { id } } });
  const annotate = (as: TokenClaims, id: string, annotation: string, ifMatch?: string) =>
    api(as).PUT(entryPath, {
      params: { path: { id }, header: { "if-match": ifMatch } },
      body: { annotation, reviewed_by: "admin-007" },
    });

  it("annotates with the current tag, answers the tag a GET then shows, and refuses the old one", async () => {
    const o = await testOrg();
    const id = await entry(o);
    const first = tagOf((await readEntry(o.admin, id)).response);
    const put = await annotate(o.admin, id, "Checked", first);
    expect(put.response.status).toBe(200);
    const second = tagOf(put.response);
    expect(second).not.toBe(first);
    expect(tagOf((await readEntry(o.admin, id)).response)).toBe(second);

    expectProblem(await annotate(o.admin, id, "Overwrite", first), 412);
    expect((await readEntry(o.admin, id)).data).toMatchObject({ annotation: "Checked" });
  });

  it("refuses an annotation or a deletion whose tag an annotation made stale after the check, with 412", async () => {
    const o = await testOrg();
    const id = await entry(o);
    // The other annotation lands once the request's If-Match check has read the entry.
    const landing = (annotation: string) =>
      auditWriteAfter("get", async () => {
        expect((await annotate(o.admin, id, annotation)).response.status).toBe(200);
      });
    const seen = tagOf((await readEntry(o.admin, id)).response);
    const stale = await api(o.admin, { bindings: landing("Landed first") }).PUT(entryPath, {
      params: { path: { id }, header: { "if-match": seen } },
      body: { annotation: "From a stale copy", reviewed_by: "admin-007" },
    });
    expectProblem(stale, 412);
    const now = await readEntry(o.admin, id);
    expect(now.data).toMatchObject({ annotation: "Landed first" });
    expect(stale.response.headers.get("ETag")).toBe(tagOf(now.response));

    const staleDelete = await api(o.admin, { bindings: landing("Landed again") }).DELETE(entryPath, {
      params: { path: { id }, header: { "if-match": tagOf(now.response) } },
    });
    expectProblem(staleDelete, 412);
    expect((await readEntry(o.admin, id)).data).toMatchObject({ annotation: "Landed again" });
  });

  it("refuses a DELETE with a stale tag and keeps the entry", async () => {
    const o = await testOrg();
    const id = await entry(o);
    const stale = tagOf((await readEntry(o.admin, id)).response);
    await annotate(o.admin, id, "Checked");
    const deleted = await api(o.admin).DELETE(entryPath, {
      params: { path: { id }, header: { "if-match": stale } },
    });
    expectProblem(deleted, 412);
    expect((await readEntry(o.admin, id)).response.status).toBe(200);
  });
});
