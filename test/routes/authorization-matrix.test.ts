import { describe, expect, it } from "vitest";
import type { Role } from "../../src/auth/caller";
import { ALL_ROLES, type Grant, SPEC_ROLE_TABLE } from "../helpers/access";
import { call, json } from "../helpers/api";
import { addMember } from "../helpers/members";
import {
  activityLogOf,
  attributionBody,
  attributionOf,
  auditEntryOf,
  batchBody,
  newWorld,
  observe,
  pendingBatchOf,
  type World,
} from "../helpers/world";

/** Whose thing a cell aims at: the caller's own, someone else's, or nobody's (no owner in the route). */
type Target = "own" | "other" | "unowned";

interface ApiRequest {
  method: string;
  path: string;
  body?: unknown;
}

interface Operation {
  /** Who owns what the operation touches, when the table's "own" wording applies to it. */
  owner: "mentor" | "coordinator" | null;
  /** The status an allowed call answers. */
  success: number;
  /** Creates what the call needs in the world and names the request; `subject` is the owner's ID. */
  request: (w: World, subject: string) => Promise<ApiRequest>;
}

const LOGS = "/api/v1/activity-logs";
const ATTR = "/api/v1/activity-attributions";
const PAL = "/api/v1/proxy-audit-logs";

const OPERATIONS: Record<string, Operation> = {
  createActivityLog: {
    owner: "mentor",
    success: 201,
    request: async (_w, mentor) => ({
      method: "POST",
      path: LOGS,
      body: {
        mentor_id: mentor,
        activity_type: "session_completed",
        description: "Monthly progress review",
        occurred_at: "2026-03-26T13:00:00Z",
      },
    }),
  },
  listActivityLogs: {
    owner: "mentor",
    success: 200,
    request: async (_w, mentor) => ({ method: "GET", path: `${LOGS}?mentor_id=${mentor}` }),
  },
  getActivityLog: {
    owner: "mentor",
    success: 200,
    request: async (w, mentor) => ({
      method: "GET",
      path: `${LOGS}/${await activityLogOf(w, mentor)}`,
    }),
  },
  getActivitySummary: {
    owner: "mentor",
    success: 200,
    request: async (_w, mentor) => ({ method: "GET", path: `${LOGS}/mentor/${mentor}/summary` }),
  },
  countActivitiesByType: {
    owner: "mentor",
    success: 200,
    request: async (_w, mentor) => ({
      method: "GET",
      path: `${LOGS}/mentor/${mentor}/count-by-type`,
    }),
  },
  updateActivityLog: {
    owner: "mentor",
    success: 200,
    request: async (w, mentor) => ({
      method: "PUT",
      path: `${LOGS}/${await activityLogOf(w, mentor)}`,
      body: { description: "Corrected description" },
    }),
  },
  deleteActivityLog: {
    owner: "mentor",
    success: 200,
    request: async (w, mentor) => ({
      method: "DELETE",
      path: `${LOGS}/${await activityLogOf(w, mentor)}`,
    }),
  },
  createAttribution: {
    owner: "coordinator",
    success: 201,
    request: async (w, coordinator) => ({
      method: "POST",
      path: ATTR,
      body: attributionBody(coordinator, w.otherMentor),
    }),
  },
  createAttributionBatch: {
    owner: "coordinator",
    success: 201,
    request: async (_w, coordinator) => ({
      method: "POST",
      path: `${ATTR}/batches`,
      body: batchBody(coordinator),
    }),
  },
  confirmAttributionBatch: {
    owner: "coordinator",
    success: 200,
    request: async (w, coordinator) => ({
      method: "POST",
      path: `${ATTR}/batches/${await pendingBatchOf(w, coordinator)}/confirm`,
    }),
  },
  listAttributions: {
    owner: "mentor",
    success: 200,
    request: async (_w, mentor) => ({ method: "GET", path: `${ATTR}?mentor_id=${mentor}` }),
  },
  getAttribution: {
    owner: "mentor",
    success: 200,
    request: async (w, mentor) => ({
      method: "GET",
      path: `${ATTR}/${await attributionOf(w, w.otherCoordinator, mentor)}`,
    }),
  },
  updateAttribution: {
    owner: "coordinator",
    success: 200,
    request: async (w, coordinator) => ({
      method: "PUT",
      path: `${ATTR}/${await attributionOf(w, coordinator, w.otherMentor)}`,
      body: { notes: "Corrected notes" },
    }),
  },
  deleteAttribution: {
    owner: "coordinator",
    success: 200,
    request: async (w, coordinator) => ({
      method: "DELETE",
      path: `${ATTR}/${await attributionOf(w, coordinator, w.otherMentor)}`,
    }),
  },
  getAttributionAuditLog: {
    owner: null,
    success: 200,
    request: async () => ({ method: "GET", path: `${ATTR}/audit-log` }),
  },
  listProxyAuditLogs: {
    owner: "coordinator",
    success: 200,
    request: async (_w, coordinator) => ({
      method: "GET",
      path: `${PAL}?coordinator_id=${coordinator}`,
    }),
  },
  getProxyAuditLog: {
    owner: "coordinator",
    success: 200,
    request: async (w, coordinator) => ({
      method: "GET",
      path: `${PAL}/${await auditEntryOf(w, coordinator)}`,
    }),
  },
  listProxyAuditLogsByCoordinator: {
    owner: "coordinator",
    success: 200,
    request: async (_w, coordinator) => ({
      method: "GET",
      path: `${PAL}/by-coordinator/${coordinator}`,
    }),
  },
  createProxyAuditLog: {
    owner: null,
    success: 201,
    request: async (w) => ({
      method: "POST",
      path: PAL,
      body: {
        action: "proxy_created",
        coordinator_id: w.otherCoordinator,
        mentor_id: w.otherMentor,
        activity_id: "pa-9",
      },
    }),
  },
  annotateProxyAuditLog: {
    owner: null,
    success: 200,
    request: async (w) => ({
      method: "PUT",
      path: `${PAL}/${await auditEntryOf(w, w.otherCoordinator)}`,
      body: { annotation: "Reviewed", reviewed_by: "admin-a" },
    }),
  },
  deleteProxyAuditLog: {
    owner: null,
    success: 200,
    request: async (w) => ({ method: "DELETE", path: `${PAL}/${await auditEntryOf(w, w.otherCoordinator)}` }),
  },
  verifyProxyAuditLog: {
    owner: null,
    success: 200,
    request: async () => ({ method: "GET", path: `${PAL}/verify` }),
  },
  exportProxyAuditLog: {
    owner: null,
    success: 200,
    request: async () => ({ method: "GET", path: `${PAL}/export?format=ndjson` }),
  },
  putMember: {
    owner: null,
    success: 201,
    request: async () => ({
      method: "PUT",
      path: "/api/v1/members/mentor-new",
      body: { name: "New Mentor", roles: ["mentor"], active: true },
    }),
  },
  listMembers: {
    owner: null,
    success: 200,
    request: async () => ({ method: "GET", path: "/api/v1/members" }),
  },
  getMember: {
    owner: null,
    success: 200,
    request: async (w) => ({ method: "GET", path: `/api/v1/members/${w.otherMentor}` }),
  },
  listActivityTypes: {
    owner: null,
    success: 200,
    request: async () => ({ method: "GET", path: "/api/v1/activity-types" }),
  },
};

/**
 * Where a denied caller is answered 404 rather than 403, because the handler hides another's
 * resource as if it did not exist (read from the handlers, and what the route tests prove).
 */
const HIDDEN_AS_NOT_FOUND: { operation: string; role: Role; why: string }[] = [
  { operation: "getAttribution", role: "mentor", why: "a mentor does not learn of attributions to others" },
  { operation: "getProxyAuditLog", role: "coordinator", why: "a coordinator sees only its own entries" },
];

interface Cell {
  action: string;
  operation: string;
  role: Role;
  grant: Grant;
  target: Target;
  expected: number;
}

function expectedStatus(operation: string, role: Role, grant: Grant, target: Target): number {
  const op = OPERATIONS[operation];
  if (!op) throw new Error(`No request builder for ${operation}`);
  const allowed = grant === "any" || (grant === "own" && target === "own");
  if (allowed) return op.success;
  const hidden =
    grant !== "none" && HIDDEN_AS_NOT_FOUND.some((h) => h.operation === operation && h.role === role);
  return hidden ? 404 : 403;
}

/** Every cell of the table; an "own" cell is split into the caller's own and someone else's. */
const CELLS: Cell[] = SPEC_ROLE_TABLE.flatMap((row) =>
  row.operations.flatMap((operation) => {
    const op = OPERATIONS[operation];
    if (!op) throw new Error(`No request builder for ${operation}`);
    return ALL_ROLES.flatMap((role) => {
      const grant = row.grants[role];
      const targets: Target[] =
        op.owner === null ? ["unowned"] : grant === "own" ? ["own", "other"] : ["other"];
      return targets.map((target) => ({
        action: row.action,
        operation,
        role,
        grant,
        target,
        expected: expectedStatus(operation, role, grant, target),
      }));
    });
  }),
);

const TARGET_LABEL: Record<Target, string> = { own: "its own", other: "someone else's", unowned: "-" };

describe("SPEC §4 authorization matrix", () => {
  it.each(
    CELLS.map(
      (cell) =>
        [
          `${cell.role} · ${cell.action} · ${cell.operation} · ${TARGET_LABEL[cell.target]} → ${cell.expected}${cell.expected >= 400 ? ", nothing changed" : ""}`,
          cell,
        ] as const,
    ),
  )("%s", async (_name, cell) => {
    const w = await newWorld("authz");
    const op = OPERATIONS[cell.operation];
    if (!op) throw new Error(`No request builder for ${cell.operation}`);
    const caller = w.caller[cell.role];
    const subject =
      cell.target === "own" ? caller.sub : op.owner === "coordinator" ? w.otherCoordinator : w.otherMentor;
    const req = await op.request(w, subject);
    const before = await observe(w);
    const res = await call(req.method, req.path, { as: caller, body: req.body });
    const text = await res.text();
    expect(res.status, text).toBe(cell.expected);
    if (cell.expected >= 400) {
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
      expect(JSON.parse(text)).toMatchObject({ status: cell.expected });
      expect(await observe(w), "a denied request changed data").toEqual(before);
    } else if (req.method !== "GET") {
      expect(await observe(w), "an allowed write changed nothing").not.toEqual(before);
    }
  });

  it("covers every operation of the served OpenAPI document under /api/v1 with at least one cell per role", async () => {
    const doc = await json<{ paths: Record<string, Record<string, { operationId?: string }>> }>(
      await call("GET", "/openapi.json"),
    );
    const served = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/v1/"))
      .flatMap(([, ops]) => Object.values(ops).map((o) => o.operationId ?? ""))
      .sort();
    const covered = [...new Set(CELLS.map((c) => c.operation))].sort();
    expect(covered).toEqual(served);
    for (const operation of covered) {
      expect(new Set(CELLS.filter((c) => c.operation === operation).map((c) => c.role))).toEqual(
        new Set(ALL_ROLES),
      );
    }
    console.log(`authorization matrix: ${CELLS.length} cells over ${covered.length} operations`);
    expect(CELLS.length).toBeGreaterThanOrEqual(covered.length * ALL_ROLES.length);
  });
});

/**
 * Every route with an ID in its path, asked by an allowed caller of one organisation about an
 * ID that exists only in another: what it answers, and that the other organisation's thing is untouched.
 */
interface ForeignCase {
  operation: string;
  /** Who asks, in the asking organisation. */
  role: Role;
  expected: number;
  request: (foreign: World) => Promise<ApiRequest>;
  /** Reads the foreign thing back as the foreign organisation's admin, to show it is unchanged. */
  readBack?: (foreign: World, path: string) => string;
}

const samePath = (_foreign: World, path: string) => path;

const FOREIGN_CASES: ForeignCase[] = [
  {
    operation: "getActivityLog",
    role: "admin",
    expected: 404,
    request: async (f) => ({ method: "GET", path: `${LOGS}/${await activityLogOf(f, f.otherMentor)}` }),
    readBack: samePath,
  },
  {
    operation: "updateActivityLog",
    role: "admin",
    expected: 404,
    request: async (f) => ({
      method: "PUT",
      path: `${LOGS}/${await activityLogOf(f, f.otherMentor)}`,
      body: { description: "Hijacked" },
    }),
    readBack: samePath,
  },
  {
    operation: "deleteActivityLog",
    role: "admin",
    expected: 404,
    request: async (f) => ({ method: "DELETE", path: `${LOGS}/${await activityLogOf(f, f.otherMentor)}` }),
    readBack: samePath,
  },
  {
    operation: "getAttribution",
    role: "admin",
    expected: 404,
    request: async (f) => ({
      method: "GET",
      path: `${ATTR}/${await attributionOf(f, f.otherCoordinator, f.otherMentor)}`,
    }),
    readBack: samePath,
  },
  {
    operation: "updateAttribution",
    role: "admin",
    expected: 404,
    request: async (f) => ({
      method: "PUT",
      path: `${ATTR}/${await attributionOf(f, f.otherCoordinator, f.otherMentor)}`,
      body: { notes: "Hijacked" },
    }),
    readBack: samePath,
  },
  {
    operation: "deleteAttribution",
    role: "admin",
    expected: 404,
    request: async (f) => ({
      method: "DELETE",
      path: `${ATTR}/${await attributionOf(f, f.otherCoordinator, f.otherMentor)}`,
    }),
    readBack: samePath,
  },
  {
    operation: "confirmAttributionBatch",
    role: "admin",
    expected: 404,
    request: async (f) => ({
      method: "POST",
      path: `${ATTR}/batches/${await pendingBatchOf(f, f.otherCoordinator)}/confirm`,
    }),
    // A pending batch is not readable on its own; the foreign organisation must still have no attributions.
    readBack: () => `${ATTR}?limit=1`,
  },
  {
    operation: "getProxyAuditLog",
    role: "admin",
    expected: 404,
    request: async (f) => ({ method: "GET", path: `${PAL}/${await foreignOnlyEntry(f)}` }),
    readBack: samePath,
  },
  {
    operation: "annotateProxyAuditLog",
    role: "admin",
    expected: 404,
    request: async (f) => ({
      method: "PUT",
      path: `${PAL}/${await foreignOnlyEntry(f)}`,
      body: { annotation: "Hijacked", reviewed_by: "admin-a" },
    }),
    readBack: samePath,
  },
  {
    operation: "deleteProxyAuditLog",
    role: "admin",
    expected: 404,
    request: async (f) => ({ method: "DELETE", path: `${PAL}/${await foreignOnlyEntry(f)}` }),
    readBack: samePath,
  },
  {
    operation: "getMember",
    role: "admin",
    expected: 404,
    request: async (f) => {
      await addMember(f.org, "only-abroad", ["mentor"]);
      return { method: "GET", path: "/api/v1/members/only-abroad" };
    },
    readBack: samePath,
  },
  // Not lookups of a stored thing: these answer for the caller's own organisation, where the ID has nothing.
  {
    operation: "putMember",
    role: "admin",
    expected: 201,
    request: async (f) => {
      await addMember(f.org, "only-abroad", ["mentor"], { name: "Abroad" });
      return {
        method: "PUT",
        path: "/api/v1/members/only-abroad",
        body: { name: "Renamed", roles: ["admin"], active: false },
      };
    },
    readBack: samePath,
  },
  {
    operation: "getActivitySummary",
    role: "admin",
    expected: 200,
    request: async (f) => {
      await addMember(f.org, "mentor-abroad-only", ["mentor"]);
      await activityLogOf(f, "mentor-abroad-only");
      return {
        method: "GET",
        path: `${LOGS}/mentor/mentor-abroad-only/summary?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z`,
      };
    },
  },
  {
    operation: "countActivitiesByType",
    role: "admin",
    expected: 200,
    request: async (f) => {
      await addMember(f.org, "mentor-abroad-only", ["mentor"]);
      await activityLogOf(f, "mentor-abroad-only");
      return { method: "GET", path: `${LOGS}/mentor/mentor-abroad-only/count-by-type` };
    },
  },
  {
    operation: "listProxyAuditLogsByCoordinator",
    role: "admin",
    expected: 200,
    request: async (f) => {
      await auditEntryOf(f, "coord-abroad-only");
      return { method: "GET", path: `${PAL}/by-coordinator/coord-abroad-only` };
    },
  },
];

/** An entry ID the foreign organisation holds and the asking one (which has one entry) does not. */
async function foreignOnlyEntry(f: World): Promise<string> {
  await auditEntryOf(f, f.otherCoordinator);
  await auditEntryOf(f, f.otherCoordinator);
  return auditEntryOf(f, f.otherCoordinator);
}

/** What the asking organisation must see where the ID is not its own: nothing of the other's. */
const EMPTY_ANSWERS: Record<string, (body: Record<string, unknown>) => void> = {
  getActivitySummary: (body) =>
    expect(body).toMatchObject({ total_activities: 0, total_duration_minutes: 0 }),
  countActivitiesByType: (body) => expect(body.counts).toEqual({}),
  listProxyAuditLogsByCoordinator: (body) =>
    expect(body).toMatchObject({ data: [], pagination: { total: 0 } }),
  putMember: (body) => expect(body).toMatchObject({ member_id: "only-abroad", name: "Renamed" }),
};

describe("another organisation's IDs", () => {
  it.each(
    FOREIGN_CASES.map(
      (c) =>
        [
          `${c.operation} answers ${c.expected} and leaves the other organisation's data as it was`,
          c,
        ] as const,
    ),
  )("%s", async (_name, c) => {
    const foreign = await newWorld("abroad");
    const home = await newWorld("home");
    await auditEntryOf(home, home.otherCoordinator);
    const req = await c.request(foreign);
    const before = c.readBack
      ? await (await call("GET", c.readBack(foreign, req.path), { as: foreign.admin })).text()
      : null;

    const res = await call(req.method, req.path, { as: home.caller[c.role], body: req.body });
    const text = await res.text();
    expect(res.status, text).toBe(c.expected);
    if (c.expected === 404) {
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
    } else {
      EMPTY_ANSWERS[c.operation]?.(JSON.parse(text));
    }
    if (c.readBack) {
      const after = await call("GET", c.readBack(foreign, req.path), { as: foreign.admin });
      expect(await after.text()).toBe(before);
    }
  });

  it("covers every operation of the served OpenAPI document with an ID in its path", async () => {
    const doc = await json<{ paths: Record<string, Record<string, { operationId?: string }>> }>(
      await call("GET", "/openapi.json"),
    );
    const withIds = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/v1/") && path.includes("{"))
      .flatMap(([, ops]) => Object.values(ops).map((o) => o.operationId ?? ""))
      .sort();
    expect(FOREIGN_CASES.map((c) => c.operation).sort()).toEqual(withIds);
  });
});
