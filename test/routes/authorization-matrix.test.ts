import { describe, expect, it } from "vitest";
import type { MentorActivityClient } from "../../clients/typescript/index";
import type { Role } from "../../src/auth/caller";
import { ALL_ROLES, type Grant, operationsOf, SPEC_ROLE_TABLE, servedDocument } from "../helpers/access";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { addMember } from "../helpers/members";
import { type TestOrg, testOrg } from "../helpers/org";
import {
  activityLogOf,
  attributionBody,
  attributionOf,
  auditEntryOf,
  batchBody,
  observe,
  pendingBatchOf,
} from "../helpers/world";

/** Whose thing a cell aims at: the caller's own, someone else's, or nobody's (no owner in the route). */
type Target = "own" | "other" | "unowned";

/** What a call of the typed client answers, whatever its route. */
interface Sent {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/** One call of the typed client, made as whoever the client is signed in as. */
type Send = (client: MentorActivityClient) => Promise<Sent>;

interface Operation {
  /** Who owns what the operation touches, when the table's "own" wording applies to it. */
  owner: "mentor" | "coordinator" | null;
  /** The status an allowed call answers. */
  success: number;
  /** Creates what the call needs in the organisation and names the call; `subject` is the owner's ID. */
  request: (o: TestOrg, subject: string) => Promise<Send>;
}

const OPERATIONS: Record<string, Operation> = {
  createActivityLog: {
    owner: "mentor",
    success: 201,
    request: async (_o, mentor) => (c) =>
      c.POST("/api/v1/activity-logs", {
        body: {
          mentor_id: mentor,
          activity_type: "session_completed",
          description: "Monthly progress review",
          occurred_at: "2026-03-26T13:00:00Z",
        },
      }),
  },
  uploadActivityLogs: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => (c) =>
      c.POST("/api/v1/activity-logs/batch", {
        body: {
          entries: [
            {
              mentor_id: mentor,
              activity_type: "session_completed",
              description: "Queued offline",
              occurred_at: "2026-03-26T13:00:00Z",
              client_ref: "matrix-1",
            },
          ],
        },
      }),
  },
  listSyncChanges: {
    owner: null,
    success: 200,
    request: async () => (c) => c.GET("/api/v1/sync/changes", { params: { query: {} } }),
  },
  listActivityLogs: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => (c) =>
      c.GET("/api/v1/activity-logs", { params: { query: { mentor_id: mentor } } }),
  },
  getActivityLog: {
    owner: "mentor",
    success: 200,
    request: async (o, mentor) => {
      const id = await activityLogOf(o, mentor);
      return (c) => c.GET("/api/v1/activity-logs/{id}", { params: { path: { id } } });
    },
  },
  getActivitySummary: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => (c) =>
      c.GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", { params: { path: { mentor_id: mentor } } }),
  },
  countActivitiesByType: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => (c) =>
      c.GET("/api/v1/activity-logs/mentor/{mentor_id}/count-by-type", {
        params: { path: { mentor_id: mentor } },
      }),
  },
  updateActivityLog: {
    owner: "mentor",
    success: 200,
    request: async (o, mentor) => {
      const id = await activityLogOf(o, mentor);
      return (c) =>
        c.PUT("/api/v1/activity-logs/{id}", {
          params: { path: { id } },
          body: { description: "Corrected description" },
        });
    },
  },
  deleteActivityLog: {
    owner: "mentor",
    success: 200,
    request: async (o, mentor) => {
      const id = await activityLogOf(o, mentor);
      return (c) => c.DELETE("/api/v1/activity-logs/{id}", { params: { path: { id } } });
    },
  },
  createAttribution: {
    owner: "coordinator",
    success: 201,
    request: async (o, coordinator) => (c) =>
      c.POST("/api/v1/activity-attributions", { body: attributionBody(coordinator, o.otherMentor.sub) }),
  },
  createAttributionBatch: {
    owner: "coordinator",
    success: 201,
    request: async (o, coordinator) => (c) =>
      c.POST("/api/v1/activity-attributions/batches", { body: batchBody(o, coordinator) }),
  },
  confirmAttributionBatch: {
    owner: "coordinator",
    success: 200,
    request: async (o, coordinator) => {
      const batch_id = await pendingBatchOf(o, coordinator);
      return (c) =>
        c.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", {
          params: { path: { batch_id } },
        });
    },
  },
  listAttributions: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => (c) =>
      c.GET("/api/v1/activity-attributions", { params: { query: { mentor_id: mentor } } }),
  },
  getAttribution: {
    owner: "mentor",
    success: 200,
    request: async (o, mentor) => {
      const id = await attributionOf(o, o.otherCoordinator.sub, mentor);
      return (c) => c.GET("/api/v1/activity-attributions/{id}", { params: { path: { id } } });
    },
  },
  updateAttribution: {
    owner: "coordinator",
    success: 200,
    request: async (o, coordinator) => {
      const id = await attributionOf(o, coordinator, o.otherMentor.sub);
      return (c) =>
        c.PUT("/api/v1/activity-attributions/{id}", {
          params: { path: { id } },
          body: { notes: "Corrected notes" },
        });
    },
  },
  deleteAttribution: {
    owner: "coordinator",
    success: 200,
    request: async (o, coordinator) => {
      const id = await attributionOf(o, coordinator, o.otherMentor.sub);
      return (c) => c.DELETE("/api/v1/activity-attributions/{id}", { params: { path: { id } } });
    },
  },
  confirmAttribution: {
    owner: "mentor",
    success: 200,
    request: async (o, mentor) => {
      const id = await attributionOf(o, o.otherCoordinator.sub, mentor);
      return (c) => c.POST("/api/v1/activity-attributions/{id}/confirm", { params: { path: { id } } });
    },
  },
  disputeAttribution: {
    owner: "mentor",
    success: 200,
    request: async (o, mentor) => {
      const id = await attributionOf(o, o.otherCoordinator.sub, mentor);
      return (c) =>
        c.POST("/api/v1/activity-attributions/{id}/dispute", {
          params: { path: { id } },
          body: { reason: "Not my session" },
        });
    },
  },
  getAttributionAuditLog: {
    owner: null,
    success: 200,
    request: async () => (c) => c.GET("/api/v1/activity-attributions/audit-log"),
  },
  listProxyAuditLogs: {
    owner: "coordinator",
    success: 200,
    request: async (_o, coordinator) => (c) =>
      c.GET("/api/v1/proxy-audit-logs", { params: { query: { coordinator_id: coordinator } } }),
  },
  getProxyAuditLog: {
    owner: "coordinator",
    success: 200,
    request: async (o, coordinator) => {
      const id = await auditEntryOf(o, coordinator);
      return (c) => c.GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } });
    },
  },
  listProxyAuditLogsByCoordinator: {
    owner: "coordinator",
    success: 200,
    request: async (_o, coordinator) => (c) =>
      c.GET("/api/v1/proxy-audit-logs/by-coordinator/{coordinator_id}", {
        params: { path: { coordinator_id: coordinator } },
      }),
  },
  createProxyAuditLog: {
    owner: null,
    success: 201,
    request: async (o) => (c) =>
      c.POST("/api/v1/proxy-audit-logs", {
        body: {
          action: "proxy_created",
          coordinator_id: o.otherCoordinator.sub,
          mentor_id: o.otherMentor.sub,
          activity_id: "pa-9",
        },
      }),
  },
  annotateProxyAuditLog: {
    owner: null,
    success: 200,
    request: async (o) => {
      const id = await auditEntryOf(o, o.otherCoordinator.sub);
      return (c) =>
        c.PUT("/api/v1/proxy-audit-logs/{id}", {
          params: { path: { id } },
          body: { annotation: "Reviewed", reviewed_by: o.admin.sub },
        });
    },
  },
  deleteProxyAuditLog: {
    owner: null,
    success: 200,
    request: async (o) => {
      const id = await auditEntryOf(o, o.otherCoordinator.sub);
      return (c) => c.DELETE("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } });
    },
  },
  verifyProxyAuditLog: {
    owner: null,
    success: 200,
    request: async () => (c) => c.GET("/api/v1/proxy-audit-logs/verify"),
  },
  startAuditFullVerification: {
    owner: null,
    success: 202,
    request: async (o) => {
      // A log with an entry, so the re-hash has a signed tree to check.
      await auditEntryOf(o, o.coordinator.sub);
      return (c) => c.POST("/api/v1/proxy-audit-logs/verify", {});
    },
  },
  getAuditCheckpoint: {
    owner: null,
    success: 200,
    request: async () => (c) => c.GET("/api/v1/proxy-audit-logs/checkpoint"),
  },
  listAuditCheckpoints: {
    owner: null,
    success: 200,
    request: async () => (c) => c.GET("/api/v1/proxy-audit-logs/checkpoints"),
  },
  getAuditConsistencyProof: {
    owner: null,
    success: 200,
    request: async () => (c) =>
      c.GET("/api/v1/proxy-audit-logs/consistency", { params: { query: { from: 0 } } }),
  },
  getAuditInclusionProof: {
    owner: "coordinator",
    success: 200,
    request: async (o, coordinator) => {
      const id = await auditEntryOf(o, coordinator);
      return (c) => c.GET("/api/v1/proxy-audit-logs/{id}/proof", { params: { path: { id }, query: {} } });
    },
  },
  exportProxyAuditLog: {
    owner: null,
    success: 200,
    // NDJSON, so read as text rather than as one JSON value.
    request: async () => (c) =>
      c.GET("/api/v1/proxy-audit-logs/export", { params: { query: { format: "ndjson" } }, parseAs: "text" }),
  },
  putMember: {
    owner: null,
    success: 201,
    request: async () => (c) =>
      c.PUT("/api/v1/members/{member_id}", {
        params: { path: { member_id: "mentor-new" } },
        body: { name: "New Mentor", roles: ["mentor"], active: true },
      }),
  },
  listMembers: {
    owner: null,
    success: 200,
    request: async () => (c) => c.GET("/api/v1/members"),
  },
  getMember: {
    owner: null,
    success: 200,
    request: async (o) => (c) =>
      c.GET("/api/v1/members/{member_id}", { params: { path: { member_id: o.otherMentor.sub } } }),
  },
  listActivityTypes: {
    owner: null,
    success: 200,
    request: async () => (c) => c.GET("/api/v1/activity-types"),
  },
};

/** The typed client signed in as `claims`, and the method of the last request it sent. */
function recordingClient(claims: TokenClaims): {
  client: MentorActivityClient;
  method: () => string;
} {
  const client = api(claims);
  let sent = "";
  client.use({
    onRequest: ({ request }) => {
      sent = request.method;
    },
  });
  return { client, method: () => sent };
}

/**
 * Where a denied caller is answered 404 rather than 403, because the handler hides another's
 * resource as if it did not exist (SPEC §12: "a mentor asking for another mentor's entry gets 404").
 */
const HIDDEN_AS_NOT_FOUND: { operation: string; role: Role; why: string }[] = [
  { operation: "getActivityLog", role: "mentor", why: "a mentor does not learn of another mentor's entries" },
  { operation: "updateActivityLog", role: "mentor", why: "nor by trying to change one" },
  { operation: "deleteActivityLog", role: "mentor", why: "nor by trying to delete one" },
  { operation: "getAttribution", role: "mentor", why: "a mentor does not learn of attributions to others" },
  { operation: "confirmAttribution", role: "mentor", why: "nor by confirming one (SPEC §11)" },
  { operation: "disputeAttribution", role: "mentor", why: "nor by disputing one (SPEC §11)" },
  { operation: "getProxyAuditLog", role: "coordinator", why: "a coordinator sees only its own entries" },
  { operation: "getAuditInclusionProof", role: "coordinator", why: "nor proves another's" },
];

/**
 * Where a denied part of a request is answered per item, in a 200: a batch upload refuses each
 * entry the caller may not write, as its own result, and writes the rest (SPEC §10).
 */
const REFUSED_PER_ENTRY: { operation: string; role: Role; status: number }[] = [
  { operation: "uploadActivityLogs", role: "mentor", status: 403 },
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
  if (grant !== "none" && REFUSED_PER_ENTRY.some((r) => r.operation === operation && r.role === role)) {
    return op.success;
  }
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
    const o = await testOrg("authz");
    const op = OPERATIONS[cell.operation];
    if (!op) throw new Error(`No request builder for ${cell.operation}`);
    const caller = o.caller[cell.role];
    const subject =
      cell.target === "own"
        ? caller.sub
        : op.owner === "coordinator"
          ? o.otherCoordinator.sub
          : o.otherMentor.sub;
    const send = await op.request(o, subject);
    const before = await observe(o);
    const { client, method } = recordingClient(caller);
    const { data, error, response } = await send(client);
    expect(response.status, JSON.stringify(error ?? data)).toBe(cell.expected);
    const perEntry = REFUSED_PER_ENTRY.find((r) => r.operation === cell.operation && r.role === cell.role);
    if (perEntry && cell.target === "other") {
      expect(data).toMatchObject({ results: [{ status: "rejected", error: { status: perEntry.status } }] });
      expect(await observe(o), "a refused entry changed data").toEqual(before);
    } else if (cell.expected >= 400) {
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
      expect(error).toMatchObject({ status: cell.expected });
      expect(await observe(o), "a denied request changed data").toEqual(before);
    } else if (method() !== "GET") {
      expect(await observe(o), "an allowed write changed nothing").not.toEqual(before);
    }
  });

  it("covers every operation of the served OpenAPI document under /api/v1 with at least one cell per role", async () => {
    const served = operationsOf(await servedDocument())
      .filter(({ path }) => path.startsWith("/api/v1/"))
      .map(({ operation }) => operation.operationId ?? "")
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
  /**
   * Creates the foreign thing and names the call at it, and, where there is one, a read of it
   * (as text) by the foreign organisation's admin, to show it is unchanged.
   */
  request: (foreign: TestOrg) => Promise<{ send: Send; readBack?: ReadBack }>;
}

type ReadBack = (
  client: MentorActivityClient,
) => Promise<{ data?: string; error?: unknown; response: Response }>;

const readLog =
  (id: string): ReadBack =>
  (c) =>
    c.GET("/api/v1/activity-logs/{id}", { params: { path: { id } }, parseAs: "text" });
const readAttribution =
  (id: string): ReadBack =>
  (c) =>
    c.GET("/api/v1/activity-attributions/{id}", { params: { path: { id } }, parseAs: "text" });
const readEntry =
  (id: string): ReadBack =>
  (c) =>
    c.GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } }, parseAs: "text" });
const readMember =
  (member_id: string): ReadBack =>
  (c) =>
    c.GET("/api/v1/members/{member_id}", { params: { path: { member_id } }, parseAs: "text" });

const FOREIGN_CASES: ForeignCase[] = [
  {
    operation: "getActivityLog",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await activityLogOf(f, f.otherMentor.sub);
      return {
        send: (c) => c.GET("/api/v1/activity-logs/{id}", { params: { path: { id } } }),
        readBack: readLog(id),
      };
    },
  },
  {
    operation: "updateActivityLog",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await activityLogOf(f, f.otherMentor.sub);
      return {
        send: (c) =>
          c.PUT("/api/v1/activity-logs/{id}", {
            params: { path: { id } },
            body: { description: "Hijacked" },
          }),
        readBack: readLog(id),
      };
    },
  },
  {
    operation: "deleteActivityLog",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await activityLogOf(f, f.otherMentor.sub);
      return {
        send: (c) => c.DELETE("/api/v1/activity-logs/{id}", { params: { path: { id } } }),
        readBack: readLog(id),
      };
    },
  },
  {
    operation: "getAttribution",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await attributionOf(f, f.otherCoordinator.sub, f.otherMentor.sub);
      return {
        send: (c) => c.GET("/api/v1/activity-attributions/{id}", { params: { path: { id } } }),
        readBack: readAttribution(id),
      };
    },
  },
  {
    operation: "updateAttribution",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await attributionOf(f, f.otherCoordinator.sub, f.otherMentor.sub);
      return {
        send: (c) =>
          c.PUT("/api/v1/activity-attributions/{id}", {
            params: { path: { id } },
            body: { notes: "Hijacked" },
          }),
        readBack: readAttribution(id),
      };
    },
  },
  {
    operation: "deleteAttribution",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await attributionOf(f, f.otherCoordinator.sub, f.otherMentor.sub);
      return {
        send: (c) => c.DELETE("/api/v1/activity-attributions/{id}", { params: { path: { id } } }),
        readBack: readAttribution(id),
      };
    },
  },
  {
    operation: "confirmAttribution",
    role: "mentor",
    expected: 404,
    request: async (f) => {
      // Named after the asking mentor's own member ID: only the organisation tells them apart.
      const id = await attributionOf(f, f.otherCoordinator.sub, f.mentor.sub);
      return {
        send: (c) => c.POST("/api/v1/activity-attributions/{id}/confirm", { params: { path: { id } } }),
        readBack: readAttribution(id),
      };
    },
  },
  {
    operation: "disputeAttribution",
    role: "mentor",
    expected: 404,
    request: async (f) => {
      const id = await attributionOf(f, f.otherCoordinator.sub, f.mentor.sub);
      return {
        send: (c) =>
          c.POST("/api/v1/activity-attributions/{id}/dispute", {
            params: { path: { id } },
            body: { reason: "Hijacked" },
          }),
        readBack: readAttribution(id),
      };
    },
  },
  {
    operation: "confirmAttributionBatch",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const batch_id = await pendingBatchOf(f, f.otherCoordinator.sub);
      return {
        send: (c) =>
          c.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", {
            params: { path: { batch_id } },
          }),
        // A pending batch is not readable on its own; the foreign organisation must still have no attributions.
        readBack: (c) =>
          c.GET("/api/v1/activity-attributions", { params: { query: { limit: 1 } }, parseAs: "text" }),
      };
    },
  },
  {
    operation: "getProxyAuditLog",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await foreignOnlyEntry(f);
      return {
        send: (c) => c.GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } }),
        readBack: readEntry(id),
      };
    },
  },
  {
    operation: "getAuditInclusionProof",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await foreignOnlyEntry(f);
      return {
        send: (c) => c.GET("/api/v1/proxy-audit-logs/{id}/proof", { params: { path: { id }, query: {} } }),
        readBack: readEntry(id),
      };
    },
  },
  {
    operation: "annotateProxyAuditLog",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await foreignOnlyEntry(f);
      return {
        send: (c) =>
          c.PUT("/api/v1/proxy-audit-logs/{id}", {
            params: { path: { id } },
            body: { annotation: "Hijacked", reviewed_by: f.admin.sub },
          }),
        readBack: readEntry(id),
      };
    },
  },
  {
    operation: "deleteProxyAuditLog",
    role: "admin",
    expected: 404,
    request: async (f) => {
      const id = await foreignOnlyEntry(f);
      return {
        send: (c) => c.DELETE("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } }),
        readBack: readEntry(id),
      };
    },
  },
  {
    operation: "getMember",
    role: "admin",
    expected: 404,
    request: async (f) => {
      await addMember(f.org, "only-abroad", ["mentor"]);
      return {
        send: (c) => c.GET("/api/v1/members/{member_id}", { params: { path: { member_id: "only-abroad" } } }),
        readBack: readMember("only-abroad"),
      };
    },
  },
  // Not lookups of a stored thing: these answer for the caller's own organisation, where the ID has nothing.
  {
    operation: "putMember",
    role: "admin",
    expected: 201,
    request: async (f) => {
      await addMember(f.org, "only-abroad", ["mentor"], { name: "Abroad" });
      return {
        send: (c) =>
          c.PUT("/api/v1/members/{member_id}", {
            params: { path: { member_id: "only-abroad" } },
            body: { name: "Renamed", roles: ["admin"], active: false },
          }),
        readBack: readMember("only-abroad"),
      };
    },
  },
  {
    operation: "getActivitySummary",
    role: "admin",
    expected: 200,
    request: async (f) => {
      await addMember(f.org, "mentor-abroad-only", ["mentor"]);
      await activityLogOf(f, "mentor-abroad-only");
      return {
        send: (c) =>
          c.GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", {
            params: {
              path: { mentor_id: "mentor-abroad-only" },
              query: { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z" },
            },
          }),
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
      return {
        send: (c) =>
          c.GET("/api/v1/activity-logs/mentor/{mentor_id}/count-by-type", {
            params: { path: { mentor_id: "mentor-abroad-only" } },
          }),
      };
    },
  },
  {
    operation: "listProxyAuditLogsByCoordinator",
    role: "admin",
    expected: 200,
    request: async (f) => {
      await auditEntryOf(f, "coord-abroad-only");
      return {
        send: (c) =>
          c.GET("/api/v1/proxy-audit-logs/by-coordinator/{coordinator_id}", {
            params: { path: { coordinator_id: "coord-abroad-only" } },
          }),
      };
    },
  },
];

/** An entry ID the foreign organisation holds and the asking one (which has one entry) does not. */
async function foreignOnlyEntry(f: TestOrg): Promise<string> {
  await auditEntryOf(f, f.otherCoordinator.sub);
  await auditEntryOf(f, f.otherCoordinator.sub);
  return auditEntryOf(f, f.otherCoordinator.sub);
}

/** What the asking organisation must see where the ID is not its own: nothing of the other's. */
const EMPTY_ANSWERS: Record<string, (body: unknown) => void> = {
  getActivitySummary: (body) =>
    expect(body).toMatchObject({ total_activities: 0, total_duration_minutes: 0 }),
  countActivitiesByType: (body) => expect(body).toHaveProperty("counts", {}),
  listProxyAuditLogsByCoordinator: (body) =>
    expect(body).toMatchObject({ data: [], pagination: { total: 0 } }),
  putMember: (body) => expect(body).toMatchObject({ member_id: "only-abroad", name: "Renamed" }),
};

/** A read back as the text the Worker sent (its problem, re-serialised, if it failed). */
const asText = ({ data, error }: { data?: string; error?: unknown }) => data ?? JSON.stringify(error);

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
    const foreign = await testOrg("abroad");
    const home = await testOrg("home");
    await auditEntryOf(home, home.otherCoordinator.sub);
    const { send, readBack } = await c.request(foreign);
    const before = readBack ? asText(await readBack(api(foreign.admin))) : null;

    const { data, error, response } = await send(api(home.caller[c.role]));
    expect(response.status, JSON.stringify(error ?? data)).toBe(c.expected);
    if (c.expected === 404) {
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    } else {
      EMPTY_ANSWERS[c.operation]?.(data);
    }
    if (readBack) {
      expect(asText(await readBack(api(foreign.admin)))).toBe(before);
    }
  });

  it("covers every operation of the served OpenAPI document with an ID in its path", async () => {
    const withIds = operationsOf(await servedDocument())
      .filter(({ path }) => path.startsWith("/api/v1/") && path.includes("{"))
      .map(({ operation }) => operation.operationId ?? "")
      .sort();
    expect(FOREIGN_CASES.map((c) => c.operation).sort()).toEqual(withIds);
  });
});
