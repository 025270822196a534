import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { components, paths } from "../../clients/typescript/index";
import { auditLogOf } from "../../src/audit/client";
import type { AuditEventInput } from "../../src/audit/types";
import { call, json } from "../helpers/api";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";

const BASE = "/api/v1/proxy-audit-logs";
const ENTRY = "/api/v1/proxy-audit-logs/{id}";
const BY_COORDINATOR = "/api/v1/proxy-audit-logs/by-coordinator/{coordinator_id}";
const VERIFY = "/api/v1/proxy-audit-logs/verify";
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const HEX_64 = /^[0-9a-f]{64}$/;

type Problem = components["schemas"]["Problem"];
type Page = components["schemas"]["ProxyAuditLogPage"];
type EntryInput = components["schemas"]["ProxyAuditLogInput"];
type Query = paths[typeof BASE]["get"]["parameters"]["query"];

/** What a call answered: the typed client's result, or a raw response read by `problemOf`. */
interface Answer {
  response: Response;
  error?: Problem;
}

/**
 * Four entries, the seed contract's examples: three of coord-119 (one a bulk submission, one an
 * update) and one of coord-007. coord-119 is the fixture's `otherCoordinator`.
 */
async function seeded(): Promise<TestOrg> {
  const o = await testOrg("pal");
  const events: AuditEventInput[] = [
    {
      event_id: "e1",
      action: "proxy_created",
      actor_id: "coord-119",
      coordinator_id: "coord-119",
      mentor_id: "mentor-482",
      activity_id: "pa-001",
      ip_address: "192.168.1.42",
      user_agent: "EircodexApp/2.1 Android",
      occurred_at: "2026-03-20T09:00:00Z",
    },
    {
      event_id: "e2",
      action: "bulk_submission",
      actor_id: "coord-119",
      coordinator_id: "coord-119",
      batch_id: "batch-0042",
      mentor_ids: ["mentor-482", "mentor-510"],
      occurred_at: "2026-03-25T08:00:00Z",
    },
    {
      event_id: "e3",
      action: "proxy_created",
      actor_id: "coord-007",
      coordinator_id: "coord-007",
      mentor_id: "mentor-033",
      activity_id: "pa-002",
      occurred_at: "2026-03-26T10:00:00Z",
    },
    {
      event_id: "e4",
      action: "proxy_updated",
      actor_id: "coord-119",
      coordinator_id: "coord-119",
      mentor_id: "mentor-482",
      activity_id: "pa-001",
      changes: { duration_minutes: { from: 30, to: 45 } },
      occurred_at: "2026-03-27T10:00:00Z",
    },
  ];
  await auditLogOf(env.AUDIT_LOG, o.org).append(events);
  return o;
}

async function expectProblem({ response, error }: Answer, status: number, path?: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  expect(error?.status).toBe(status);
  if (path !== undefined) expect(error?.errors?.map((e) => e.path)).toContain(path);
}

/** The problem of a response to a request sent outside the contract through `call`. */
const problemOf = async (response: Response): Promise<Answer> => ({
  response,
  error: await json<Problem>(response),
});

const ids = (page: Page | undefined) => page?.data.map((item) => item.id);
const entry = (id: string) => ({ params: { path: { id } } });
const total = async (o: TestOrg) => (await api(o.admin).GET(BASE)).data?.pagination.total;

describe("POST /proxy-audit-logs", () => {
  const SEED_BODY: EntryInput = {
    action: "proxy_created",
    coordinator_id: "coord-119",
    mentor_id: "mentor-482",
    activity_id: "pa-005",
  };

  it("lets the system role append the seed's body and answers 201 with the seed's fields", async () => {
    const o = await testOrg();
    const { data, response } = await api(o.system).POST(BASE, { body: SEED_BODY });
    expect(response.status).toBe(201);
    expect(Object.keys(data ?? {}).sort()).toEqual([
      "action",
      "activity_id",
      "coordinator_id",
      "id",
      "mentor_id",
      "timestamp",
    ]);
    expect(data).toMatchObject({ ...SEED_BODY, id: "log-001" });
    expect(data?.timestamp).toMatch(ISO_SECONDS);
  });

  it("records the request's IP address and user agent, shown by GET /:id only", async () => {
    const o = await testOrg();
    const headers = { "CF-Connecting-IP": "203.0.113.9", "User-Agent": "EircodexApp/2.1 Android" };
    await api(o.system).POST(BASE, { body: SEED_BODY, headers });
    const { data: detail } = await api(o.admin).GET(ENTRY, entry("log-001"));
    expect(detail).toMatchObject({ ip_address: "203.0.113.9", user_agent: "EircodexApp/2.1 Android" });
    expect(detail?.actor_id).toBe("svc-audit");
    const item = (await api(o.admin).GET(BASE)).data?.data[0];
    expect(item).not.toHaveProperty("ip_address");
    expect(item).not.toHaveProperty("user_agent");
  });

  it("keeps one entry when the same event ID is posted twice", async () => {
    const o = await testOrg();
    const body = { ...SEED_BODY, event_id: "attr-20260326-001:created" };
    const first = await api(o.system).POST(BASE, { body });
    const again = await api(o.system).POST(BASE, { body });
    expect(first.response.status).toBe(201);
    expect(again.response.status).toBe(200);
    expect(again.data?.id).toBe("log-001");
    expect(await total(o)).toBe(1);
  });

  it("refuses every role but system", async () => {
    const o = await testOrg();
    for (const caller of [o.admin, o.compliance, o.coordinator, o.mentor]) {
      await expectProblem(await api(caller).POST(BASE, { body: SEED_BODY }), 403);
    }
    expect(await total(o)).toBe(0);
  });

  it("answers 401 without a token", async () => {
    // The typed client always signs in; a request with no token is sent raw.
    await expectProblem(await problemOf(await call("POST", BASE, { body: SEED_BODY })), 401);
  });

  it("rejects bad input with 400 naming the field and appends nothing", async () => {
    const o = await testOrg();
    const system = api(o.system);
    // Bodies the contract's types allow but its rules refuse.
    const allowed: [EntryInput, string][] = [
      [{ ...SEED_BODY, action: "Proxy Created" }, "action"],
      [{ ...SEED_BODY, action: "px" }, "action"],
      [{ ...SEED_BODY, action: "entry_deleted" }, "action"],
      [{ ...SEED_BODY, changes: { "Bad Field": { from: 1, to: 2 } } }, "changes.Bad Field"],
    ];
    for (const [body, path] of allowed) {
      await expectProblem(await system.POST(BASE, { body }), 400, path);
    }
    // Bodies the types forbid (wrong types, a missing field, fields of the answer or unknown
    // ones), sent raw as a hostile client would.
    const forbidden: [Record<string, unknown>, string][] = [
      [{ ...SEED_BODY, mentor_id: 482 }, "mentor_id"],
      [{ ...SEED_BODY, coordinator_id: undefined }, "coordinator_id"],
      [{ ...SEED_BODY, mentor_ids: "mentor-482" }, "mentor_ids"],
      [{ ...SEED_BODY, changes: { notes: { from: 1, to: 2, by: "x" } } }, "changes.notes.by"],
      [{ ...SEED_BODY, timestamp: "2026-03-26T10:30:00Z" }, "timestamp"],
      [{ ...SEED_BODY, ip_address: "10.0.0.1" }, "ip_address"],
    ];
    for (const [body, path] of forbidden) {
      await expectProblem(await problemOf(await call("POST", BASE, { as: o.system, body })), 400, path);
    }
    const malformed = await call("POST", BASE, {
      as: o.system,
      rawBody: '{"action": "proxy_created",',
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(await problemOf(malformed), 400);
    expect(await total(o)).toBe(0);
  });

  it("answers 409 for the event ID of an entry that was deleted", async () => {
    const o = await testOrg();
    const body = { ...SEED_BODY, event_id: "evt-1" };
    await api(o.system).POST(BASE, { body });
    await api(o.admin).DELETE(ENTRY, entry("log-001"));
    await expectProblem(await api(o.system).POST(BASE, { body }), 409);
  });
});

describe("GET /proxy-audit-logs", () => {
  it("answers the seed's shape, newest first, with pagination", async () => {
    const o = await seeded();
    const { data: page } = await api(o.admin).GET(BASE);
    expect(page?.pagination).toEqual({ page: 1, limit: 20, total: 4 });
    expect(ids(page)).toEqual(["log-004", "log-003", "log-002", "log-001"]);
    expect(page?.data[2]).toEqual({
      id: "log-002",
      action: "bulk_submission",
      coordinator_id: "coord-119",
      batch_id: "batch-0042",
      mentor_ids: ["mentor-482", "mentor-510"],
      timestamp: "2026-03-25T08:00:00Z",
    });
    expect(page?.data[3]).toEqual({
      id: "log-001",
      action: "proxy_created",
      coordinator_id: "coord-119",
      mentor_id: "mentor-482",
      activity_id: "pa-001",
      timestamp: "2026-03-20T09:00:00Z",
    });
  });

  it("pages with page and limit, past the end too", async () => {
    const o = await seeded();
    const compliance = api(o.compliance);
    const second = await compliance.GET(BASE, { params: { query: { page: 2, limit: 3 } } });
    expect(ids(second.data)).toEqual(["log-001"]);
    const beyond = await compliance.GET(BASE, { params: { query: { page: 9, limit: 3 } } });
    expect(beyond.data).toEqual({ data: [], pagination: { page: 9, limit: 3, total: 4 } });
  });

  it("filters by action, coordinator, mentor, activity, batch and time", async () => {
    const o = await seeded();
    const list = async (query: Query) => ids((await api(o.admin).GET(BASE, { params: { query } })).data);
    expect(await list({ action: "proxy_created" })).toEqual(["log-003", "log-001"]);
    expect(await list({ coordinator_id: "coord-007" })).toEqual(["log-003"]);
    expect(await list({ mentor_id: "mentor-510" })).toEqual(["log-002"]);
    expect(await list({ activity_id: "pa-001" })).toEqual(["log-004", "log-001"]);
    expect(await list({ batch_id: "batch-0042" })).toEqual(["log-002"]);
    expect(await list({ from: "2026-03-25T08:00:00Z", to: "2026-03-26T11:00:00+01:00" })).toEqual([
      "log-003",
      "log-002",
    ]);
  });

  it("shows a coordinator only its own entries and refuses it another's", async () => {
    const o = await seeded();
    const coordinator = api(o.otherCoordinator);
    const { data: own } = await coordinator.GET(BASE);
    expect(ids(own)).toEqual(["log-004", "log-002", "log-001"]);
    expect(own?.pagination.total).toBe(3);
    await expectProblem(
      await coordinator.GET(BASE, { params: { query: { coordinator_id: "coord-007" } } }),
      403,
    );
  });

  it("refuses mentors and the system role", async () => {
    const o = await seeded();
    await expectProblem(await api(o.mentor).GET(BASE), 403);
    await expectProblem(await api(o.system).GET(BASE), 403);
  });

  it("rejects a bad query with 400 naming the parameter", async () => {
    const o = await seeded();
    const cases: [Query, string][] = [
      [{ limit: 0 }, "limit"],
      [{ limit: 101 }, "limit"],
      [{ page: 0 }, "page"],
      [{ from: "yesterday" }, "from"],
      [{ from: "2026-03-27T00:00:00Z", to: "2026-03-20T00:00:00Z" }, "from"],
      [{ action: "Proxy Created" }, "action"],
      [{ mentor_id: "' OR 1=1" }, "mentor_id"],
    ];
    for (const [query, path] of cases) {
      await expectProblem(await api(o.admin).GET(BASE, { params: { query } }), 400, path);
    }
    // A page that is not a number is outside the types: sent raw.
    await expectProblem(await problemOf(await call("GET", `${BASE}?page=abc`, { as: o.admin })), 400, "page");
  });

  it("keeps each organisation's entries apart", async () => {
    await seeded();
    const o = await testOrg();
    expect(await total(o)).toBe(0);
    await expectProblem(await api(o.admin).GET(ENTRY, entry("log-001")), 404);
  });
});

describe("GET /proxy-audit-logs/:id", () => {
  it("shows the seed's fields with changes, IP address, user agent and the chain fields", async () => {
    const o = await seeded();
    const admin = api(o.admin);
    const { data, response } = await admin.GET(ENTRY, entry("log-001"));
    expect(response.status).toBe(200);
    expect(data).toMatchObject({
      id: "log-001",
      action: "proxy_created",
      coordinator_id: "coord-119",
      mentor_id: "mentor-482",
      activity_id: "pa-001",
      changes: null,
      timestamp: "2026-03-20T09:00:00Z",
      ip_address: "192.168.1.42",
      user_agent: "EircodexApp/2.1 Android",
      seq: 1,
      event_id: "e1",
      actor_id: "coord-119",
      prev_hash: "0".repeat(64),
    });
    expect(data?.payload_hash).toMatch(HEX_64);
    expect(data?.hash).toMatch(HEX_64);
    expect(data).not.toHaveProperty("annotation");
    const updated = await admin.GET(ENTRY, entry("log-004"));
    expect(updated.data).toMatchObject({
      changes: { duration_minutes: { from: 30, to: 45 } },
      ip_address: null,
    });
  });

  it("lets a coordinator read its own entry and answers 404 for another's", async () => {
    const o = await seeded();
    const coordinator = api(o.otherCoordinator);
    expect((await coordinator.GET(ENTRY, entry("log-001"))).response.status).toBe(200);
    await expectProblem(await coordinator.GET(ENTRY, entry("log-003")), 404);
  });

  it("shows the request's IP address and user agent to admin and compliance only (SPEC §9)", async () => {
    const o = await seeded();
    for (const caller of [o.admin, o.compliance]) {
      const { data } = await api(caller).GET(ENTRY, entry("log-001"));
      expect(data).toMatchObject({ ip_address: "192.168.1.42", user_agent: "EircodexApp/2.1 Android" });
    }
    // The entry's own coordinator reads it, without who-sent-it-from-where.
    const own = await api(o.otherCoordinator).GET(ENTRY, entry("log-001"));
    expect(own.response.status).toBe(200);
    expect(own.data).toMatchObject({ ip_address: null, user_agent: null });
  });

  it("answers 404 for a missing or non-canonical ID and 400 for a malformed one", async () => {
    const o = await seeded();
    const admin = api(o.admin);
    await expectProblem(await admin.GET(ENTRY, entry("log-999")), 404);
    await expectProblem(await admin.GET(ENTRY, entry("log-0001")), 404);
    await expectProblem(await admin.GET(ENTRY, entry("log-1")), 400, "id");
    await expectProblem(await admin.GET(ENTRY, entry("pa-001")), 400, "id");
  });

  it("refuses mentors and the system role", async () => {
    const o = await seeded();
    await expectProblem(await api(o.mentor).GET(ENTRY, entry("log-001")), 403);
    await expectProblem(await api(o.system).GET(ENTRY, entry("log-001")), 403);
  });
});

describe("PUT /proxy-audit-logs/:id", () => {
  const NOTE = { annotation: "Reviewed by compliance officer on 2026-03-26", reviewed_by: "admin-007" };

  it("lets an admin annotate: the seed's answer, shown by GET, the entry unchanged and the chain valid", async () => {
    const o = await seeded();
    const admin = api(o.admin);
    const { data: before } = await admin.GET(ENTRY, entry("log-001"));
    const { data, response } = await admin.PUT(ENTRY, { ...entry("log-001"), body: NOTE });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ id: "log-001", ...NOTE, record_id: "log-005" });
    expect(data?.updated_at).toMatch(ISO_SECONDS);

    const { data: after } = await admin.GET(ENTRY, entry("log-001"));
    expect(after).toEqual({ ...before, ...NOTE, updated_at: data?.updated_at });
    const { data: record } = await admin.GET(ENTRY, entry("log-005"));
    expect(record).toMatchObject({ action: "entry_annotated", target_id: "log-001", actor_id: "admin-007" });
    expect((await api(o.compliance).GET(VERIFY)).data).toMatchObject({ valid: true });
  });

  it("refuses every role but admin", async () => {
    const o = await seeded();
    for (const caller of [o.compliance, o.otherCoordinator, o.mentor, o.system]) {
      await expectProblem(await api(caller).PUT(ENTRY, { ...entry("log-001"), body: NOTE }), 403);
    }
  });

  it("answers 404 for a missing entry, 400 for a bad body and 409 for a record of the log's own", async () => {
    const o = await seeded();
    const admin = api(o.admin);
    await expectProblem(await admin.PUT(ENTRY, { ...entry("log-999"), body: NOTE }), 404);
    await expectProblem(
      await admin.PUT(ENTRY, { ...entry("log-001"), body: { ...NOTE, annotation: "  " } }),
      400,
      "annotation",
    );
    // updated_at is a field of the answer, not of the input: the types forbid it, so it goes raw.
    await expectProblem(
      await problemOf(
        await call("PUT", `${BASE}/log-001`, { as: o.admin, body: { ...NOTE, updated_at: "now" } }),
      ),
      400,
      "updated_at",
    );
    await admin.PUT(ENTRY, { ...entry("log-001"), body: NOTE });
    await expectProblem(await admin.PUT(ENTRY, { ...entry("log-005"), body: NOTE }), 409);
  });
});

describe("DELETE /proxy-audit-logs/:id", () => {
  it("redacts for admin and compliance: the seed's answer, then 404, gone from lists, log still valid", async () => {
    const o = await seeded();
    const admin = api(o.admin);
    const { data, response } = await admin.DELETE(ENTRY, entry("log-002"));
    expect(response.status).toBe(200);
    expect(data).toEqual({ success: true, deleted_id: "log-002", deletion_record_id: "log-005" });
    const byCompliance = await api(o.compliance).DELETE(ENTRY, entry("log-003"));
    expect(byCompliance.data?.deleted_id).toBe("log-003");

    await expectProblem(await admin.GET(ENTRY, entry("log-002")), 404);
    const { data: page } = await admin.GET(BASE);
    expect(ids(page)).toEqual(["log-006", "log-005", "log-004", "log-001"]);
    expect(page?.data[1]).toMatchObject({ action: "entry_deleted", target_id: "log-002" });
    const { data: record } = await admin.GET(ENTRY, entry("log-005"));
    expect(record).toMatchObject({ action: "entry_deleted", actor_id: "admin-007", target_id: "log-002" });
    expect((await admin.GET(VERIFY)).data).toMatchObject({ valid: true, tree_size: 6 });
  });

  it("answers 404 the second time and 409 for a deletion record", async () => {
    const o = await seeded();
    const admin = api(o.admin);
    await admin.DELETE(ENTRY, entry("log-001"));
    await expectProblem(await admin.DELETE(ENTRY, entry("log-001")), 404);
    await expectProblem(await admin.DELETE(ENTRY, entry("log-005")), 409);
  });

  it("refuses coordinators, mentors and the system role", async () => {
    const o = await seeded();
    for (const caller of [o.otherCoordinator, o.mentor, o.system]) {
      await expectProblem(await api(caller).DELETE(ENTRY, entry("log-001")), 403);
    }
    expect((await api(o.admin).GET(ENTRY, entry("log-001"))).response.status).toBe(200);
  });
});

describe("GET /proxy-audit-logs/by-coordinator/:coordinator_id", () => {
  const of = (coordinator_id: string, query?: { limit: number }) => ({
    params: { path: { coordinator_id }, query },
  });

  it("lets a coordinator read its own entries in the seed's shape", async () => {
    const o = await seeded();
    const { data: page, response } = await api(o.otherCoordinator).GET(
      BY_COORDINATOR,
      of("coord-119", { limit: 2 }),
    );
    expect(response.status).toBe(200);
    expect(page?.pagination).toEqual({ page: 1, limit: 2, total: 3 });
    expect(ids(page)).toEqual(["log-004", "log-002"]);
    expect(page?.data[0]).toMatchObject({
      action: "proxy_updated",
      mentor_id: "mentor-482",
      activity_id: "pa-001",
    });
  });

  it("refuses a coordinator another coordinator's entries", async () => {
    const o = await seeded();
    await expectProblem(await api(o.otherCoordinator).GET(BY_COORDINATOR, of("coord-007")), 403);
  });

  it("lets admin and compliance read any coordinator and refuses mentors and the system role", async () => {
    const o = await seeded();
    for (const caller of [o.admin, o.compliance]) {
      const { data: page } = await api(caller).GET(BY_COORDINATOR, of("coord-007"));
      expect(ids(page)).toEqual(["log-003"]);
    }
    await expectProblem(await api(o.mentor).GET(BY_COORDINATOR, of("coord-119")), 403);
    await expectProblem(await api(o.system).GET(BY_COORDINATOR, of("coord-119")), 403);
  });
});

describe("GET /proxy-audit-logs/verify", () => {
  it("answers the signed tree, its checkpoint checked, and the re-hash status to admin and compliance", async () => {
    const o = await seeded();
    for (const caller of [o.admin, o.compliance]) {
      const { data, response } = await api(caller).GET(VERIFY);
      expect(response.status).toBe(200);
      expect(data).toMatchObject({
        valid: true,
        tree_size: 4,
        checkpoint_valid: true,
        checkpoint_problem: null,
        building: null,
        full_audit: { status: "never" },
      });
      expect(data?.root_hash).toMatch(HEX_64);
    }
  });

  it("finds a stored field altered behind the tree's back with the full re-hash POST /verify starts", async () => {
    const o = await seeded();
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(o.org));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE entries SET mentor_ids = '[\"mentor-482\"]' WHERE seq = 2");
    });
    const started = await api(o.compliance).POST(VERIFY, {});
    expect(started.response.status).toBe(202);
    expect(started.data).toMatchObject({ status: "running", tree_size: 4, checked_through: 0 });
    while (await runDurableObjectAlarm(stub));
    const { data } = await api(o.compliance).GET(VERIFY);
    expect(data).toMatchObject({
      valid: false,
      checkpoint_valid: true,
      full_audit: { status: "done", checked_through: 1, first_bad_seq: 2 },
    });
    expect(data?.full_audit.reason).toMatch(/^payload_hash_mismatch/);
  });

  it("refuses coordinators, mentors and the system role", async () => {
    const o = await seeded();
    for (const caller of [o.otherCoordinator, o.mentor, o.system]) {
      await expectProblem(await api(caller).GET(VERIFY), 403);
      await expectProblem(await api(caller).POST(VERIFY, {}), 403);
    }
  });
});

describe("OpenAPI", () => {
  it("documents every proxy audit log operation with its tag, bearer security and statuses", async () => {
    // The served document itself: not an operation of the contract it describes, so read raw.
    type Operation = {
      operationId: string;
      tags: string[];
      security: unknown[];
      responses: Record<string, unknown>;
    };
    const doc = await json<{ paths: Record<string, Record<string, Operation>> }>(
      await call("GET", "/openapi.json"),
    );
    const expected: [string, string, string[]][] = [
      ["get", BASE, ["200", "400", "401", "403"]],
      ["post", BASE, ["200", "201", "400", "401", "403", "409", "413", "415"]],
      ["get", ENTRY, ["200", "400", "401", "403", "404"]],
      ["put", ENTRY, ["200", "400", "401", "403", "404", "409", "413", "415"]],
      ["delete", ENTRY, ["200", "400", "401", "403", "404", "409"]],
      ["get", BY_COORDINATOR, ["200", "400", "401", "403"]],
      ["get", VERIFY, ["200", "401", "403"]],
    ];
    for (const [method, path, statuses] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.tags).toEqual(["Proxy audit logs"]);
      expect(operation?.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(statuses));
    }
  });
});
