import type { OpenAPI3, OperationObject } from "openapi-typescript";
import type { Role } from "../../src/auth/caller";
import { call, json } from "./api";

/**
 * SPEC §4's role table, literally: one row per line of the table, one cell per role.
 * "own" stands for every ownership wording of the table ("own", "as itself", "registered by
 * it", "attributed to it", "its own entries", "itself"); "any" for "any", "any coordinator" and
 * "yes"; "none" for "–".
 */
export type Grant = "own" | "any" | "none";

export const ALL_ROLES = ["mentor", "coordinator", "admin", "compliance", "system"] as const satisfies Role[];

export interface SpecRow {
  /** The action column of SPEC §4, word for word. */
  action: string;
  /** The operationIds of the served OpenAPI document this row governs. */
  operations: string[];
  grants: Record<Role, Grant>;
}

const row = (
  action: string,
  operations: string[],
  [mentor, coordinator, admin, compliance, system]: [Grant, Grant, Grant, Grant, Grant],
): SpecRow => ({ action, operations, grants: { mentor, coordinator, admin, compliance, system } });

export const SPEC_ROLE_TABLE: SpecRow[] = [
  row("activity logs: create", ["createActivityLog"], ["own", "none", "any", "none", "none"]),
  // Not a line of the §4 table: SPEC §10's batch upload is the create, an entry at a time.
  row("activity logs: batch upload (§10)", ["uploadActivityLogs"], ["own", "none", "any", "none", "none"]),
  // SPEC §10: the feed holds what §4 lets the caller read; every member role reads members at least.
  row("sync: changes feed (§10)", ["listSyncChanges"], ["any", "any", "any", "any", "none"]),
  row(
    "activity logs: read, summary, counts",
    ["listActivityLogs", "getActivityLog", "getActivitySummary", "countActivitiesByType"],
    ["own", "any", "any", "any", "none"],
  ),
  row(
    "activity logs: update, delete",
    ["updateActivityLog", "deleteActivityLog"],
    ["own", "none", "any", "none", "none"],
  ),
  row(
    "attributions: create (single, bulk)",
    ["createAttribution", "createAttributionBatch", "confirmAttributionBatch"],
    ["none", "own", "any", "none", "none"],
  ),
  row("attributions: read", ["listAttributions", "getAttribution"], ["own", "any", "any", "any", "none"]),
  row(
    "attributions: update, delete",
    ["updateAttribution", "deleteAttribution"],
    ["none", "own", "any", "none", "none"],
  ),
  row("attributions: org audit log", ["getAttributionAuditLog"], ["none", "none", "any", "any", "none"]),
  row(
    "proxy audit logs: list, get",
    ["listProxyAuditLogs", "getProxyAuditLog"],
    ["none", "own", "any", "any", "none"],
  ),
  row(
    "proxy audit logs: by-coordinator",
    ["listProxyAuditLogsByCoordinator"],
    ["none", "own", "any", "any", "none"],
  ),
  row("proxy audit logs: create", ["createProxyAuditLog"], ["none", "none", "none", "none", "any"]),
  row("proxy audit logs: annotate (PUT)", ["annotateProxyAuditLog"], ["none", "none", "any", "none", "none"]),
  row("proxy audit logs: delete", ["deleteProxyAuditLog"], ["none", "none", "any", "any", "none"]),
  row("members: write", ["putMember"], ["none", "none", "any", "none", "none"]),
  row(
    "members, activity types: read",
    ["listMembers", "getMember", "listActivityTypes"],
    ["any", "any", "any", "any", "none"],
  ),
  // Not lines of the §4 table: SPEC §9 gives the transparency endpoints "(admin, compliance unless said)".
  row(
    "proxy audit logs: verify, re-hash, checkpoints, consistency (§9)",
    [
      "verifyProxyAuditLog",
      "startAuditFullVerification",
      "getAuditCheckpoint",
      "listAuditCheckpoints",
      "getAuditConsistencyProof",
    ],
    ["none", "none", "any", "any", "none"],
  ),
  // SPEC §9: an inclusion proof is "readable by whoever may read the entry (a coordinator, for its own entries)".
  row(
    "proxy audit logs: inclusion proof (§9)",
    ["getAuditInclusionProof"],
    ["none", "own", "any", "any", "none"],
  ),
  // Not a line of the §4 table: SPEC §11 lets "only the mentor the attribution names" confirm or
  // dispute it; coordinators, admins and compliance officers are refused.
  row(
    "attributions: confirm, dispute (§11)",
    ["confirmAttribution", "disputeAttribution"],
    ["own", "none", "none", "none", "none"],
  ),
  // Not a line of the §4 table either: issue #8 names the export "(admin, compliance)".
  row("proxy audit logs: export", ["exportProxyAuditLog"], ["none", "none", "any", "any", "none"]),
];

/** The roles SPEC §4 lets call an operation at all (for some target). */
export function rolesAllowed(operationId: string): Role[] {
  const spec = SPEC_ROLE_TABLE.find((r) => r.operations.includes(operationId));
  if (!spec) return [];
  return ALL_ROLES.filter((role) => spec.grants[role] !== "none");
}

/** One operation of the served OpenAPI document, where it is served. */
export interface ServedOperation {
  /** The path template, as the document writes it (`/api/v1/activity-logs/{id}`). */
  path: string;
  /** The method, lower case as the document keys it. */
  method: string;
  operation: OperationObject;
}

/**
 * The document the Worker serves, typed as openapi-typescript types the document it generates
 * the client from. It is not a route of the API, so the typed client has no path for it.
 */
export async function servedDocument(): Promise<OpenAPI3> {
  return json<OpenAPI3>(await call("GET", "/openapi.json"));
}

const isOperation = (value: unknown): value is OperationObject =>
  typeof value === "object" && value !== null && "responses" in value;

/**
 * The operationId of the document's route a request was sent to. A path that fits a literal
 * route and a templated one (`/proxy-audit-logs/verify`, `/proxy-audit-logs/{id}`) is the
 * literal one's, as the router sends it there.
 */
export function operationAt(doc: OpenAPI3, method: string, url: string): string | undefined {
  const path = new URL(url).pathname;
  const fits = operationsOf(doc).filter(
    (op) =>
      op.method === method.toLowerCase() &&
      new RegExp(`^${op.path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`).test(
        path,
      ),
  );
  const params = (template: string) => (template.match(/\{/g) ?? []).length;
  return fits.sort((a, b) => params(a.path) - params(b.path))[0]?.operation.operationId;
}

/**
 * Every operation of a document. Every key of a path item must be an operation: a `$ref` or a
 * path-level `parameters` list would be something the tests reading it do not follow.
 */
export function operationsOf(doc: OpenAPI3): ServedOperation[] {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]: [string, unknown]) => {
      if (!isOperation(operation)) throw new Error(`${method} of ${path} is not an operation`);
      return { path, method, operation };
    }),
  );
}
