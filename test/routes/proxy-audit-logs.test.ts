import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { auditClient } from "../../src/audit/client";
import type { AuditEventInput } from "../../src/audit/types";
import type { Role } from "../../src/auth/caller";
import { call, json, newOrg } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";

const BASE = "/api/v1/proxy-audit-logs";
const ISO_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const HEX_64 = /^[0-9a-f]{64}$/;

interface Problem {
  status: number;
  errors?: { path: string; message: string }[];
}
interface Page {
  data: Record<string, unknown>[];
  pagination: { page: number; limit: number; total: number };
}

function people(org: string) {
  const as = (sub: string, ...roles: Role[]): TokenClaims => ({ sub, org, roles });
  return {
    system: as("svc-attribution", "system"),
    admin: as("admin-007", "admin"),
    compliance: as("comp-001", "compliance"),
    coordinator: as("coord-119", "coordinator"),
    otherCoordinator: as("coord-007", "coordinator"),
    mentor: as("mentor-482", "mentor"),
  };
}

/** Four entries: three of coord-119 (one a bulk submission, one an update) and one of coord-007. */
async function seeded() {
  const org = newOrg("pal");
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
  await auditClient(env, org).append(events);
  return { org, who: people(org) };
}

async function expectProblem(res: Response, status: number, path?: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  const body = await json<Problem>(res);
  expect(body.status).toBe(status);
  if (path !== undefined) expect(body.errors?.map((e) => e.path)).toContain(path);
}

const ids = (page: Page) => page.data.map((item) => item.id);

describe("POST /proxy-audit-logs", () => {
  const SEED_BODY = {
    action: "proxy_created",
    coordinator_id: "coord-119",
    mentor_id: "mentor-482",
    activity_id: "pa-005",
  };

  it("lets the system role append the seed's body and answers 201 with the seed's fields", async () => {
    const who = people(newOrg());
    const res = await call("POST", BASE, { as: who.system, body: SEED_BODY });
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(Object.keys(body).sort()).toEqual([
      "action",
      "activity_id",
      "coordinator_id",
      "id",
      "mentor_id",
      "timestamp",
    ]);
    expect(body).toMatchObject({ ...SEED_BODY, id: "log-001" });
    expect(body.timestamp).toMatch(ISO_SECONDS);
  });

  it("records the request's IP address and user agent, shown by GET /:id only", async () => {
    const who = people(newOrg());
    const headers = { "CF-Connecting-IP": "203.0.113.9", "User-Agent": "EircodexApp/2.1 Android" };
    await call("POST", BASE, { as: who.system, body: SEED_BODY, headers });
    const detail = await json(await call("GET", `${BASE}/log-001`, { as: who.admin }));
    expect(detail).toMatchObject({ ip_address: "203.0.113.9", user_agent: "EircodexApp/2.1 Android" });
    expect(detail.actor_id).toBe("svc-attribution");
    const [item] = (await json<Page>(await call("GET", BASE, { as: who.admin }))).data;
    expect(item).not.toHaveProperty("ip_address");
    expect(item).not.toHaveProperty("user_agent");
  });

  it("keeps one entry when the same event ID is posted twice", async () => {
    const who = people(newOrg());
    const body = { ...SEED_BODY, event_id: "attr-20260326-001:created" };
    const first = await call("POST", BASE, { as: who.system, body });
    const again = await call("POST", BASE, { as: who.system, body });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect((await json(again)).id).toBe("log-001");
    expect((await json<Page>(await call("GET", BASE, { as: who.admin }))).pagination.total).toBe(1);
  });

  it("refuses every role but system", async () => {
    const who = people(newOrg());
    for (const caller of [who.admin, who.compliance, who.coordinator, who.mentor]) {
      await expectProblem(await call("POST", BASE, { as: caller, body: SEED_BODY }), 403);
    }
    expect((await json<Page>(await call("GET", BASE, { as: who.admin }))).pagination.total).toBe(0);
  });

  it("answers 401 without a token", async () => {
    await expectProblem(await call("POST", BASE, { body: SEED_BODY }), 401);
  });

  it("rejects bad input with 400 naming the field and appends nothing", async () => {
    const who = people(newOrg());
    const cases: [Record<string, unknown>, string][] = [
      [{ ...SEED_BODY, action: "Proxy Created" }, "action"],
      [{ ...SEED_BODY, action: "px" }, "action"],
      [{ ...SEED_BODY, action: "entry_deleted" }, "action"],
      [{ ...SEED_BODY, mentor_id: 482 }, "mentor_id"],
      [{ ...SEED_BODY, coordinator_id: undefined }, "coordinator_id"],
      [{ ...SEED_BODY, mentor_ids: "mentor-482" }, "mentor_ids"],
      [{ ...SEED_BODY, changes: { "Bad Field": { from: 1, to: 2 } } }, "changes.Bad Field"],
      [{ ...SEED_BODY, changes: { notes: { from: 1, to: 2, by: "x" } } }, "changes.notes.by"],
      [{ ...SEED_BODY, timestamp: "2026-03-26T10:30:00Z" }, "timestamp"],
      [{ ...SEED_BODY, ip_address: "10.0.0.1" }, "ip_address"],
    ];
    for (const [body, path] of cases) {
      await expectProblem(await call("POST", BASE, { as: who.system, body }), 400, path);
    }
    const malformed = await call("POST", BASE, {
      as: who.system,
      rawBody: '{"action": "proxy_created",',
      headers: { "Content-Type": "application/json" },
    });
    await expectProblem(malformed, 400);
    expect((await json<Page>(await call("GET", BASE, { as: who.admin }))).pagination.total).toBe(0);
  });

  it("answers 409 for the event ID of an entry that was deleted", async () => {
    const who = people(newOrg());
    const body = { ...SEED_BODY, event_id: "evt-1" };
    await call("POST", BASE, { as: who.system, body });
    await call("DELETE", `${BASE}/log-001`, { as: who.admin });
    await expectProblem(await call("POST", BASE, { as: who.system, body }), 409);
  });
});

describe("GET /proxy-audit-logs", () => {
  it("answers the seed's shape, newest first, with pagination", async () => {
    const { who } = await seeded();
    const page = await json<Page>(await call("GET", BASE, { as: who.admin }));
    expect(page.pagination).toEqual({ page: 1, limit: 20, total: 4 });
    expect(ids(page)).toEqual(["log-004", "log-003", "log-002", "log-001"]);
    expect(page.data[2]).toEqual({
      id: "log-002",
      action: "bulk_submission",
      coordinator_id: "coord-119",
      batch_id: "batch-0042",
      mentor_ids: ["mentor-482", "mentor-510"],
      timestamp: "2026-03-25T08:00:00Z",
    });
    expect(page.data[3]).toEqual({
      id: "log-001",
      action: "proxy_created",
      coordinator_id: "coord-119",
      mentor_id: "mentor-482",
      activity_id: "pa-001",
      timestamp: "2026-03-20T09:00:00Z",
    });
  });

  it("pages with page and limit, past the end too", async () => {
    const { who } = await seeded();
    const second = await json<Page>(await call("GET", `${BASE}?page=2&limit=3`, { as: who.compliance }));
    expect(ids(second)).toEqual(["log-001"]);
    const beyond = await json<Page>(await call("GET", `${BASE}?page=9&limit=3`, { as: who.compliance }));
    expect(beyond).toEqual({ data: [], pagination: { page: 9, limit: 3, total: 4 } });
  });

  it("filters by action, coordinator, mentor, activity, batch and time", async () => {
    const { who } = await seeded();
    const list = async (query: string) =>
      ids(await json<Page>(await call("GET", `${BASE}?${query}`, { as: who.admin })));
    expect(await list("action=proxy_created")).toEqual(["log-003", "log-001"]);
    expect(await list("coordinator_id=coord-007")).toEqual(["log-003"]);
    expect(await list("mentor_id=mentor-510")).toEqual(["log-002"]);
    expect(await list("activity_id=pa-001")).toEqual(["log-004", "log-001"]);
    expect(await list("batch_id=batch-0042")).toEqual(["log-002"]);
    expect(await list("from=2026-03-25T08:00:00Z&to=2026-03-26T11:00:00%2B01:00")).toEqual([
      "log-003",
      "log-002",
    ]);
  });

  it("shows a coordinator only its own entries and refuses it another's", async () => {
    const { who } = await seeded();
    const own = await json<Page>(await call("GET", BASE, { as: who.coordinator }));
    expect(ids(own)).toEqual(["log-004", "log-002", "log-001"]);
    expect(own.pagination.total).toBe(3);
    await expectProblem(await call("GET", `${BASE}?coordinator_id=coord-007`, { as: who.coordinator }), 403);
  });

  it("refuses mentors and the system role", async () => {
    const { who } = await seeded();
    await expectProblem(await call("GET", BASE, { as: who.mentor }), 403);
    await expectProblem(await call("GET", BASE, { as: who.system }), 403);
  });

  it("rejects a bad query with 400 naming the parameter", async () => {
    const { who } = await seeded();
    const cases: [string, string][] = [
      ["limit=0", "limit"],
      ["limit=101", "limit"],
      ["page=0", "page"],
      ["page=abc", "page"],
      ["from=yesterday", "from"],
      ["from=2026-03-27T00:00:00Z&to=2026-03-20T00:00:00Z", "from"],
      ["action=Proxy%20Created", "action"],
      ["mentor_id=%27%20OR%201%3D1", "mentor_id"],
    ];
    for (const [query, path] of cases) {
      await expectProblem(await call("GET", `${BASE}?${query}`, { as: who.admin }), 400, path);
    }
  });

  it("keeps each organisation's entries apart", async () => {
    await seeded();
    const who = people(newOrg());
    expect((await json<Page>(await call("GET", BASE, { as: who.admin }))).pagination.total).toBe(0);
    await expectProblem(await call("GET", `${BASE}/log-001`, { as: who.admin }), 404);
  });
});

describe("GET /proxy-audit-logs/:id", () => {
  it("shows the seed's fields with changes, IP address, user agent and the chain fields", async () => {
    const { who } = await seeded();
    const res = await call("GET", `${BASE}/log-001`, { as: who.admin });
    expect(res.status).toBe(200);
    const entry = await json(res);
    expect(entry).toMatchObject({
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
    expect(entry.payload_hash).toMatch(HEX_64);
    expect(entry.hash).toMatch(HEX_64);
    expect(entry).not.toHaveProperty("annotation");
    const updated = await json(await call("GET", `${BASE}/log-004`, { as: who.admin }));
    expect(updated).toMatchObject({ changes: { duration_minutes: { from: 30, to: 45 } }, ip_address: null });
  });

  it("lets a coordinator read its own entry and answers 404 for another's", async () => {
    const { who } = await seeded();
    expect((await call("GET", `${BASE}/log-001`, { as: who.coordinator })).status).toBe(200);
    await expectProblem(await call("GET", `${BASE}/log-003`, { as: who.coordinator }), 404);
  });

  it("answers 404 for a missing or non-canonical ID and 400 for a malformed one", async () => {
    const { who } = await seeded();
    await expectProblem(await call("GET", `${BASE}/log-999`, { as: who.admin }), 404);
    await expectProblem(await call("GET", `${BASE}/log-0001`, { as: who.admin }), 404);
    await expectProblem(await call("GET", `${BASE}/log-1`, { as: who.admin }), 400, "id");
    await expectProblem(await call("GET", `${BASE}/pa-001`, { as: who.admin }), 400, "id");
  });

  it("refuses mentors and the system role", async () => {
    const { who } = await seeded();
    await expectProblem(await call("GET", `${BASE}/log-001`, { as: who.mentor }), 403);
    await expectProblem(await call("GET", `${BASE}/log-001`, { as: who.system }), 403);
  });
});

describe("PUT /proxy-audit-logs/:id", () => {
  const NOTE = { annotation: "Reviewed by compliance officer on 2026-03-26", reviewed_by: "admin-007" };

  it("lets an admin annotate: the seed's answer, shown by GET, the entry unchanged and the chain valid", async () => {
    const { who } = await seeded();
    const before = await json(await call("GET", `${BASE}/log-001`, { as: who.admin }));
    const res = await call("PUT", `${BASE}/log-001`, { as: who.admin, body: NOTE });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ id: "log-001", ...NOTE, record_id: "log-005" });
    expect(body.updated_at).toMatch(ISO_SECONDS);

    const after = await json(await call("GET", `${BASE}/log-001`, { as: who.admin }));
    expect(after).toEqual({ ...before, ...NOTE, updated_at: body.updated_at });
    const record = await json(await call("GET", `${BASE}/log-005`, { as: who.admin }));
    expect(record).toMatchObject({ action: "entry_annotated", target_id: "log-001", actor_id: "admin-007" });
    expect(await json(await call("GET", `${BASE}/verify`, { as: who.compliance }))).toMatchObject({
      valid: true,
    });
  });

  it("refuses every role but admin", async () => {
    const { who } = await seeded();
    for (const caller of [who.compliance, who.coordinator, who.mentor, who.system]) {
      await expectProblem(await call("PUT", `${BASE}/log-001`, { as: caller, body: NOTE }), 403);
    }
  });

  it("answers 404 for a missing entry, 400 for a bad body and 409 for a record of the log's own", async () => {
    const { who } = await seeded();
    await expectProblem(await call("PUT", `${BASE}/log-999`, { as: who.admin, body: NOTE }), 404);
    await expectProblem(
      await call("PUT", `${BASE}/log-001`, { as: who.admin, body: { ...NOTE, annotation: "  " } }),
      400,
      "annotation",
    );
    await expectProblem(
      await call("PUT", `${BASE}/log-001`, { as: who.admin, body: { ...NOTE, updated_at: "now" } }),
      400,
      "updated_at",
    );
    await call("PUT", `${BASE}/log-001`, { as: who.admin, body: NOTE });
    await expectProblem(await call("PUT", `${BASE}/log-005`, { as: who.admin, body: NOTE }), 409);
  });
});

describe("DELETE /proxy-audit-logs/:id", () => {
  it("redacts for admin and compliance: the seed's answer, then 404, gone from lists, chain valid", async () => {
    const { who } = await seeded();
    const res = await call("DELETE", `${BASE}/log-002`, { as: who.admin });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ success: true, deleted_id: "log-002", deletion_record_id: "log-005" });
    const byCompliance = await call("DELETE", `${BASE}/log-003`, { as: who.compliance });
    expect((await json(byCompliance)).deleted_id).toBe("log-003");

    await expectProblem(await call("GET", `${BASE}/log-002`, { as: who.admin }), 404);
    const page = await json<Page>(await call("GET", BASE, { as: who.admin }));
    expect(ids(page)).toEqual(["log-006", "log-005", "log-004", "log-001"]);
    expect(page.data[1]).toMatchObject({ action: "entry_deleted", target_id: "log-002" });
    const record = await json(await call("GET", `${BASE}/log-005`, { as: who.admin }));
    expect(record).toMatchObject({ action: "entry_deleted", actor_id: "admin-007", target_id: "log-002" });
    expect(await json(await call("GET", `${BASE}/verify`, { as: who.admin }))).toMatchObject({
      valid: true,
      entries_checked: 6,
    });
  });

  it("answers 404 the second time and 409 for a deletion record", async () => {
    const { who } = await seeded();
    await call("DELETE", `${BASE}/log-001`, { as: who.admin });
    await expectProblem(await call("DELETE", `${BASE}/log-001`, { as: who.admin }), 404);
    await expectProblem(await call("DELETE", `${BASE}/log-005`, { as: who.admin }), 409);
  });

  it("refuses coordinators, mentors and the system role", async () => {
    const { who } = await seeded();
    for (const caller of [who.coordinator, who.mentor, who.system]) {
      await expectProblem(await call("DELETE", `${BASE}/log-001`, { as: caller }), 403);
    }
    expect((await call("GET", `${BASE}/log-001`, { as: who.admin })).status).toBe(200);
  });
});

describe("GET /proxy-audit-logs/by-coordinator/:coordinator_id", () => {
  it("lets a coordinator read its own entries in the seed's shape", async () => {
    const { who } = await seeded();
    const res = await call("GET", `${BASE}/by-coordinator/coord-119?limit=2`, { as: who.coordinator });
    expect(res.status).toBe(200);
    const page = await json<Page>(res);
    expect(page.pagination).toEqual({ page: 1, limit: 2, total: 3 });
    expect(ids(page)).toEqual(["log-004", "log-002"]);
    expect(page.data[0]).toMatchObject({
      action: "proxy_updated",
      mentor_id: "mentor-482",
      activity_id: "pa-001",
    });
  });

  it("refuses a coordinator another coordinator's entries", async () => {
    const { who } = await seeded();
    await expectProblem(await call("GET", `${BASE}/by-coordinator/coord-007`, { as: who.coordinator }), 403);
  });

  it("lets admin and compliance read any coordinator and refuses mentors and the system role", async () => {
    const { who } = await seeded();
    for (const caller of [who.admin, who.compliance]) {
      const page = await json<Page>(await call("GET", `${BASE}/by-coordinator/coord-007`, { as: caller }));
      expect(ids(page)).toEqual(["log-003"]);
    }
    await expectProblem(await call("GET", `${BASE}/by-coordinator/coord-119`, { as: who.mentor }), 403);
    await expectProblem(await call("GET", `${BASE}/by-coordinator/coord-119`, { as: who.system }), 403);
  });
});

describe("GET /proxy-audit-logs/verify", () => {
  it("answers valid, the entries checked, the head and its checkpoint to admin and compliance", async () => {
    const { who } = await seeded();
    for (const caller of [who.admin, who.compliance]) {
      const res = await call("GET", `${BASE}/verify`, { as: caller });
      expect(res.status).toBe(200);
      const body = await json<{ head: { seq: number; hash: string }; checkpoint: string }>(res);
      expect(body).toMatchObject({ valid: true, entries_checked: 4, head: { seq: 4 } });
      expect(body.head.hash).toMatch(HEX_64);
      expect(body.checkpoint).toMatch(HEX_64);
    }
  });

  it("names the first bad entry after a stored field was altered", async () => {
    const { org, who } = await seeded();
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(org));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE entries SET mentor_ids = '[\"mentor-482\"]' WHERE seq = 2");
    });
    const body = await json(await call("GET", `${BASE}/verify`, { as: who.compliance }));
    expect(body).toMatchObject({
      valid: false,
      entries_checked: 1,
      first_bad_seq: 2,
      first_bad_id: "log-002",
      reason: "payload_hash_mismatch",
      checkpoint: null,
    });
  });

  it("refuses coordinators, mentors and the system role", async () => {
    const { who } = await seeded();
    for (const caller of [who.coordinator, who.mentor, who.system]) {
      await expectProblem(await call("GET", `${BASE}/verify`, { as: caller }), 403);
    }
  });
});

describe("OpenAPI", () => {
  it("documents every proxy audit log operation with its tag, bearer security and statuses", async () => {
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
      ["get", `${BASE}/{id}`, ["200", "400", "401", "403", "404"]],
      ["put", `${BASE}/{id}`, ["200", "400", "401", "403", "404", "409", "413", "415"]],
      ["delete", `${BASE}/{id}`, ["200", "400", "401", "403", "404", "409"]],
      ["get", `${BASE}/by-coordinator/{coordinator_id}`, ["200", "400", "401", "403"]],
      ["get", `${BASE}/verify`, ["200", "401", "403"]],
    ];
    for (const [method, path, statuses] of expected) {
      const operation = doc.paths[path]?.[method];
      expect(operation?.tags).toEqual(["Proxy audit logs"]);
      expect(operation?.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(statuses));
    }
  });
});
