import type { AuditLog } from "./audit-log.do";

/**
 * What the Worker may ask of an organisation's audit log: the Durable Object's own RPC surface,
 * typed from the class, so the class is the one place it is declared. Each call is one round trip.
 *
 * Await every call where it is made (`await log.trail(id)`, not `return log.trail(id)`): a
 * rejected RpcPromise handed on un-awaited was reported as unhandled even when the caller caught it.
 */
export type AuditLogStub = DurableObjectStub<AuditLog>;

/** The namespace of the organisations' audit objects, as the Worker binds it. */
export type AuditLogNamespace = DurableObjectNamespace<AuditLog>;

/**
 * The audit objects of organisations whose database is in `jurisdiction` (SPEC §13): an EU
 * organisation's log lives in the EU like its rows. `ignore` is for workerd, which has no
 * jurisdictions (`npm run dev`, the tests); there the plain namespace serves.
 */
export function auditLogsIn(
  namespace: AuditLogNamespace,
  jurisdiction: DurableObjectJurisdiction | null,
  ignore: boolean,
): AuditLogNamespace {
  if (jurisdiction === null || ignore) return namespace;
  return namespace.jurisdiction(jurisdiction);
}

/** The audit log of one organisation: its own Durable Object, named by the organisation ID. */
export function auditLogOf(namespace: AuditLogNamespace, orgId: string): AuditLogStub {
  return namespace.get(namespace.idFromName(orgId));
}
