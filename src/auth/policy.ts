import { forbidden } from "../lib/errors";
import type { Caller, Role } from "./caller";

/**
 * Who may do what: SPEC §4's role table, the one place the service decides it. `any` reaches
 * every resource of the organisation; `own` only the caller's own: the mentor an activity
 * is for, the mentor an attribution names (reading, confirming, disputing) or the coordinator
 * who registered it (writing), the coordinator an audit entry names. A role not listed may not
 * act at all.
 */
const POLICY = {
  "activity-logs.create": { mentor: "own", admin: "any" },
  "activity-logs.read": { mentor: "own", coordinator: "any", admin: "any", compliance: "any" },
  "activity-logs.write": { mentor: "own", admin: "any" },
  "attributions.create": { coordinator: "own", admin: "any" },
  "attributions.read": { mentor: "own", coordinator: "any", admin: "any", compliance: "any" },
  "attributions.write": { coordinator: "own", admin: "any" },
  // SPEC §11: only the mentor an attribution names confirms or disputes it; no role speaks for it.
  "attributions.confirm": { mentor: "own" },
  "attributions.audit-log": { admin: "any", compliance: "any" },
  "audit-entries.read": { coordinator: "own", admin: "any", compliance: "any" },
  "audit-entries.create": { system: "any" },
  "audit-entries.annotate": { admin: "any" },
  "audit-entries.delete": { admin: "any", compliance: "any" },
  "audit-log.verify": { admin: "any", compliance: "any" },
  "audit-log.export": { admin: "any", compliance: "any" },
  "members.read": { mentor: "any", coordinator: "any", admin: "any", compliance: "any" },
  "members.write": { admin: "any" },
  "activity-types.read": { mentor: "any", coordinator: "any", admin: "any", compliance: "any" },
} as const satisfies Record<string, Partial<Record<Role, "any" | "own">>>;

export type Action = keyof typeof POLICY;

/** How far a caller's grant reaches: every resource, or only those it owns. */
export type Reach = { readonly all: true } | { readonly all: false; readonly owner: string };

/** The widest grant any of the caller's roles gives for the action, or null. */
function grantOf(caller: Caller, action: Action): "any" | "own" | null {
  const rule: Partial<Record<Role, "any" | "own">> = POLICY[action];
  let grant: "any" | "own" | null = null;
  for (const role of caller.roles) {
    const given = rule[role];
    if (given === "any") return "any";
    if (given === "own") grant = "own";
  }
  return grant;
}

/** The caller's reach for an action, or null when none of its roles may perform it. */
export function reachOf(caller: Caller, action: Action): Reach | null {
  const grant = grantOf(caller, action);
  if (grant === null) return null;
  return grant === "any" ? { all: true } : { all: false, owner: caller.sub };
}

/** The caller's reach for an action; 403 when none of its roles may perform it. */
export function allow(caller: Caller, action: Action): Reach {
  const grant = grantOf(caller, action);
  if (grant === null)
    throw forbidden(`Your roles (${caller.roles.join(", ") || "none"}) do not allow ${action}`);
  return grant === "any" ? { all: true } : { all: false, owner: caller.sub };
}

/** Whether a reach covers a resource owned by `ownerId`. */
export const covers = (reach: Reach, ownerId: string): boolean => reach.all || reach.owner === ownerId;

/** The owner a query must be confined to, or undefined when the caller reaches every resource. */
export const ownerFilter = (reach: Reach): string | undefined => (reach.all ? undefined : reach.owner);

/** 403 unless the caller may perform the action on a resource owned by `ownerId`. */
export function allowOn(caller: Caller, action: Action, ownerId: string, detail?: string): Reach {
  const reach = allow(caller, action);
  if (!covers(reach, ownerId)) throw forbidden(detail);
  return reach;
}
