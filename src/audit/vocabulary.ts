/**
 * The audit vocabulary: every action this service writes into an organisation's log, what its
 * entry is about (which decides the outbox payload that writes it), its names in the other views
 * (SPEC §5: the organisation's attribution log shows an event name, a record's audit trail a short
 * verb) and how the API describes it. The outbox's action types, the views' name lists and the
 * OpenAPI prose are derived from this table, so an action exists here or nowhere. The log stays
 * open to other producers' actions (the system `POST`), which no view names.
 *
 * Imports nothing: the database layer reads it too (the outbox payloads name their actions).
 */

/** An action about an attribution: shown in the organisation log and in the record's trail. */
interface AttributionActionSpec {
  readonly about: "attribution";
  readonly orgEvent: string;
  readonly trailEvent: string;
  readonly description: string;
}

/** An action about a bulk batch: shown in the organisation log. */
interface BatchActionSpec {
  readonly about: "batch";
  readonly orgEvent: string;
  readonly description: string;
}

/** An action about a mentor's activity log or a member, written with `changes`; shown only in the audit log. */
interface RecordActionSpec {
  readonly about: "activity-log" | "member";
  readonly description: string;
}

/** A record the audit log writes about one of its own entries; no producer may append one. */
interface LogRecordSpec {
  readonly about: "log-record";
  readonly description: string;
}

type ActionSpec = AttributionActionSpec | BatchActionSpec | RecordActionSpec | LogRecordSpec;

/** What an entry is about, which decides the outbox payload that writes it. */
export type ActionSubject = ActionSpec["about"];

export const AUDIT_ACTIONS = {
  proxy_created: {
    about: "attribution",
    orgEvent: "proxy_activity_created",
    trailEvent: "created",
    description: "a coordinator registered an activity for a mentor (singly or in a confirmed batch)",
  },
  proxy_updated: {
    about: "attribution",
    orgEvent: "proxy_activity_updated",
    trailEvent: "updated",
    description: "a registration was corrected; `changes` holds each changed field",
  },
  proxy_deleted: {
    about: "attribution",
    orgEvent: "proxy_activity_deleted",
    trailEvent: "deleted",
    description: "a registration and its activity were deleted",
  },
  // SPEC §11: the mentor's answer to what was registered in its name.
  proxy_confirmed: {
    about: "attribution",
    orgEvent: "proxy_activity_confirmed",
    trailEvent: "confirmed",
    description: "the mentor confirmed an activity registered in its name (its actor is the mentor)",
  },
  proxy_disputed: {
    about: "attribution",
    orgEvent: "proxy_activity_disputed",
    trailEvent: "disputed",
    description:
      "the mentor disputed an activity registered in its name, with its reason (its actor is the mentor)",
  },
  bulk_submission: {
    about: "batch",
    orgEvent: "bulk_batch_submitted",
    description: "a coordinator submitted a bulk batch",
  },
  bulk_confirmed: {
    about: "batch",
    orgEvent: "bulk_batch_confirmed",
    description: "a bulk batch was confirmed and its attributions created",
  },
  activity_log_created: {
    about: "activity-log",
    description: "an admin created an activity log in a mentor's name",
  },
  activity_log_updated: {
    about: "activity-log",
    description: "an admin changed a mentor's activity log",
  },
  activity_log_deleted: {
    about: "activity-log",
    description: "an admin deleted a mentor's activity log",
  },
  member_created: { about: "member", description: "a member was created" },
  member_updated: { about: "member", description: "a member's name, roles or status changed" },
  entry_annotated: {
    about: "log-record",
    description: "the audit log's own record of an annotation of one of its entries",
  },
  entry_deleted: {
    about: "log-record",
    description: "the audit log's own record of the deletion (redaction) of one of its entries",
  },
} as const satisfies Record<string, ActionSpec>;

type Table = typeof AUDIT_ACTIONS;

/** Every action of the vocabulary. */
export type AuditAction = keyof Table;

/** The actions whose entries are about `subject`: what its payload builder may write. */
export type ActionAbout<S extends ActionSubject> = {
  [A in AuditAction]: Table[A]["about"] extends S ? A : never;
}[AuditAction];

/** The actions this service's writes produce (every one but the log's own records). */
export type ProducedAction = Exclude<AuditAction, ActionAbout<"log-record">>;

type OrgLogAction = { [A in AuditAction]: Table[A] extends { orgEvent: string } ? A : never }[AuditAction];
type TrailAction = { [A in AuditAction]: Table[A] extends { trailEvent: string } ? A : never }[AuditAction];

export type OrgLogEvent = Table[OrgLogAction]["orgEvent"];
export type TrailEvent = Table[TrailAction]["trailEvent"];

const actions = Object.keys(AUDIT_ACTIONS) as AuditAction[];

const hasOrgEvent = (action: AuditAction): action is OrgLogAction => "orgEvent" in AUDIT_ACTIONS[action];
const hasTrailEvent = (action: AuditAction): action is TrailAction => "trailEvent" in AUDIT_ACTIONS[action];

/** The stored actions the organisation log shows, in the table's order. */
export const ORG_LOG_ACTIONS: OrgLogAction[] = actions.filter(hasOrgEvent);
/** The organisation log's event names, in the table's order. */
export const ORG_LOG_EVENTS = ORG_LOG_ACTIONS.map((a) => AUDIT_ACTIONS[a].orgEvent) as [
  OrgLogEvent,
  ...OrgLogEvent[],
];
/** The stored actions a record's audit trail shows, in the table's order. */
export const TRAIL_ACTIONS: TrailAction[] = actions.filter(hasTrailEvent);
/** The verbs a record's audit trail names its events by, in the table's order. */
export const TRAIL_EVENTS = TRAIL_ACTIONS.map((a) => AUDIT_ACTIONS[a].trailEvent) as [
  TrailEvent,
  ...TrailEvent[],
];
/** The records the audit log writes about its own entries, which no producer may append. */
export const LOG_RECORD_ACTIONS: ActionAbout<"log-record">[] = actions.filter(
  (a): a is ActionAbout<"log-record"> => AUDIT_ACTIONS[a].about === "log-record",
);

const isAction = (action: string): action is AuditAction => Object.hasOwn(AUDIT_ACTIONS, action);

export const orgEventOf = (action: string): OrgLogEvent | null =>
  isAction(action) && hasOrgEvent(action) ? AUDIT_ACTIONS[action].orgEvent : null;
export const trailEventOf = (action: string): TrailEvent | null =>
  isAction(action) && hasTrailEvent(action) ? AUDIT_ACTIONS[action].trailEvent : null;
export const actionOfOrgEvent = (event: OrgLogEvent): OrgLogAction => {
  const found = ORG_LOG_ACTIONS.find((action) => AUDIT_ACTIONS[action].orgEvent === event);
  if (found === undefined) throw new Error(`No stored action for ${event}`);
  return found;
};

/** The vocabulary in prose, for the API document: each action and what it records. */
export const AUDIT_ACTIONS_PROSE = actions
  .map((action) => `\`${action}\`: ${AUDIT_ACTIONS[action].description}`)
  .join("; ");
