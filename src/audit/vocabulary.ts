/**
 * One stored action vocabulary, projected per view (SPEC §5): the proxy audit log shows the
 * stored action, the organisation's attribution log an event name, a record's audit trail a
 * short verb. Actions without a projection do not appear in that view.
 */
const ACTION_VIEWS = {
  proxy_created: { orgEvent: "proxy_activity_created", trailEvent: "created" },
  proxy_updated: { orgEvent: "proxy_activity_updated", trailEvent: "updated" },
  proxy_deleted: { orgEvent: "proxy_activity_deleted", trailEvent: "deleted" },
  // SPEC §11: the mentor's answer to what was registered in its name.
  proxy_confirmed: { orgEvent: "proxy_activity_confirmed", trailEvent: "confirmed" },
  proxy_disputed: { orgEvent: "proxy_activity_disputed", trailEvent: "disputed" },
  bulk_submission: { orgEvent: "bulk_batch_submitted", trailEvent: null },
  bulk_confirmed: { orgEvent: "bulk_batch_confirmed", trailEvent: null },
} as const;

type StoredAction = keyof typeof ACTION_VIEWS;
type Views = (typeof ACTION_VIEWS)[StoredAction];

export type OrgLogEvent = Views["orgEvent"];
export type TrailEvent = Exclude<Views["trailEvent"], null>;

const entries = Object.entries(ACTION_VIEWS) as [StoredAction, Views][];

/** The organisation log's event names, in the table's order. */
export const ORG_LOG_EVENTS = entries.map(([, v]) => v.orgEvent) as [OrgLogEvent, ...OrgLogEvent[]];
/** The stored actions the organisation log shows. */
export const ORG_LOG_ACTIONS: StoredAction[] = entries.map(([action]) => action);
/** The stored actions a record's audit trail shows. */
export const TRAIL_ACTIONS: StoredAction[] = entries.filter(([, v]) => v.trailEvent !== null).map(([a]) => a);

const isStored = (action: string): action is StoredAction => Object.hasOwn(ACTION_VIEWS, action);

export const orgEventOf = (action: string): OrgLogEvent | null =>
  isStored(action) ? ACTION_VIEWS[action].orgEvent : null;
export const trailEventOf = (action: string): TrailEvent | null =>
  isStored(action) ? ACTION_VIEWS[action].trailEvent : null;
export const actionOfOrgEvent = (event: OrgLogEvent): StoredAction => {
  const found = entries.find(([, v]) => v.orgEvent === event);
  if (!found) throw new Error(`No stored action for ${event}`);
  return found[0];
};
