import type { AuditEntry } from "../../audit/types";
import { actionOfOrgEvent, ORG_LOG_ACTIONS, orgEventOf } from "../../audit/vocabulary";
import { allow } from "../../auth/policy";
import { invalidFields, rangeOrderErrors } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { pageOffset } from "../../lib/openapi";
import { present } from "../../lib/present";
import { nowIso, toIsoSeconds } from "../../lib/time";
import type { AppRouteHandler } from "../../types";
import type { AuditLogRoute } from "./attribution-audit-log.routes";

/** The organisation view shows the last 30 days unless told otherwise. */
const DEFAULT_AUDIT_WINDOW_DAYS = 30;

function orgEvent(entry: AuditEntry) {
  const event = orgEventOf(entry.action);
  if (event === null) return null;
  return {
    event,
    ...present({
      attribution_id: entry.attribution_id,
      activity_id: entry.activity_id,
      batch_id: entry.batch_id,
    }),
    actor_id: entry.actor_id,
    actor_name: entry.actor_name,
    // The mentor's name is shown, null or not, wherever the event names a mentor.
    ...(entry.mentor_id === null ? {} : { mentor_id: entry.mentor_id, mentor_name: entry.mentor_name }),
    ...present({
      activity_type_id: entry.activity_type_id,
      activity_date: entry.activity_date,
      mentor_count: entry.mentor_count,
      skipped_count: entry.skipped_count,
      changes: entry.changes,
    }),
    occurred_at: entry.timestamp,
  };
}

export const auditLog: AppRouteHandler<AuditLogRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "attributions.audit-log");
  const query = c.req.valid("query");
  const to = query.to ?? nowIso();
  // The default window never reaches before 1970, where the audit log keeps no time.
  const from =
    query.from ??
    toIsoSeconds(new Date(Math.max(0, Date.parse(to) - DEFAULT_AUDIT_WINDOW_DAYS * 86_400_000)));
  // An explicit range is checked by the query schema; a `from` after the default `to` (now) is checked here.
  if (from > to) throw invalidFields(rangeOrderErrors());
  const result = await c.var.org.log.list({
    actions: query.event ? [actionOfOrgEvent(query.event)] : ORG_LOG_ACTIONS,
    actor_id: query.actor_id,
    mentor_id: query.mentor_id,
    from,
    to,
    order: "desc",
    ...pageOffset(query),
  });
  const data = result.entries.map(orgEvent).filter((e) => e !== null);
  return c.json(
    { data, pagination: { page: query.page, limit: query.limit, total: result.total } },
    HttpStatus.OK,
  );
};
