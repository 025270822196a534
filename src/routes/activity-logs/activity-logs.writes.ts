// Writing an activity log: each a write described once and run by the write executor
// (src/http/write.ts). The upload of entries queued offline is in activity-logs.upload.ts.

import { covers, ownerFilter } from "../../auth/policy";
import type { ActivityLogChanges } from "../../db/queries/activity-write-statements";
import { createActivityLog, deleteActivityLog, updateActivityLog } from "../../db/queries/activity-writes";
import {
  activityLog,
  activityLogDeletion,
  activityLogTag as activityLogTagBasis,
  withTag,
} from "../../db/queries/representations";
import type { ActivityRow } from "../../db/schema";
import type { RefusalFacts } from "../../http/refusals";
import { runWrite, type WriteInput } from "../../http/write";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../types";
import { entryOf, ONLY_OWN_LOGS } from "./activity-logs.entry";
import { activityLogPrecondition, activityLogTag, currentOf, toActivityLog } from "./activity-logs.present";
import type { CreateRoute, RemoveRoute, UpdateRoute } from "./activity-logs.routes";

const pathOf = (id: string) => `/api/v1/activity-logs/${encodeURIComponent(id)}`;

/** The actor and event of a write that may be done to someone else's entry. */
const auditOf = <Seen>(w: WriteInput<Seen>) => ({ eventId: w.eventId, actor: w.actor, now: w.now });

/** The entry a change or delete is aimed at, as the caller reaches it and its precondition read it. */
const targetOf = (w: WriteInput<ActivityRow>, activityId: string) => ({
  db: w.db,
  orgId: w.orgId,
  activityId,
  ownerId: ownerFilter(w.reach),
  seen: w.seen,
  audit: auditOf(w),
});

/** What a refused change or delete found: the entry as it now is, and the attribution owning it. */
const found = (current: ActivityRow | null, orgId: string): RefusalFacts => ({
  current: current ? currentOf(orgId, current) : null,
  owner: current?.attributionId ?? null,
});

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const caller = c.var.caller;
  const input = c.req.valid("json");
  const { entry, checkMentor } = entryOf(caller, input);
  const location = pathOf(entry.activityId);
  return runWrite(c, {
    action: "activity-logs.create",
    authorize: (reach) => (covers(reach, entry.mentorId) ? null : "forbidden"),
    about: {
      target: `Activity log ${entry.activityId}`,
      activityType: { path: "activity_type", value: input.activity_type },
      mentor: { path: "mentor_id", value: entry.mentorId },
      clientRef: input.client_ref ?? "",
      notYours: ONLY_OWN_LOGS,
    },
    // Written for someone else (an admin for a mentor): the audit log records it (SPEC §9).
    statements: (w) =>
      createActivityLog(
        w.db,
        w.orgId,
        entry,
        checkMentor,
        entry.mentorId === caller.sub ? undefined : auditOf(w),
      ),
    found: (stored) => ({ stored: stored ? toActivityLog(stored) : undefined }),
    answer: { status: HttpStatus.CREATED, headers: { location }, body: activityLog.json },
    respond: ({ value: { row, existing } }) =>
      // Sent again under its client_ref: the entry as stored, nothing written (SPEC §10).
      existing
        ? c.json(toActivityLog(row), HttpStatus.OK, { Location: pathOf(row.activityId) })
        : c.json(toActivityLog(row), HttpStatus.CREATED, { Location: location }),
  });
};

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const input = c.req.valid("json");
  const changes: ActivityLogChanges = {
    description: input.description,
    durationMinutes: input.duration_minutes,
    activityType: input.activity_type,
    contactId: input.contact_id,
    occurredAt: input.occurred_at,
  };
  return runWrite(c, {
    action: "activity-logs.write",
    precondition: activityLogPrecondition(id),
    about: {
      target: `Activity log ${id}`,
      activityType: { path: "activity_type", value: input.activity_type ?? "" },
      verb: "change",
    },
    statements: (w) => updateActivityLog(targetOf(w, id), changes),
    found,
    answer: { status: HttpStatus.OK, ...withTag(activityLog, activityLogTagBasis) },
    respond: ({ value }) =>
      c.json(toActivityLog(value), HttpStatus.OK, { ETag: activityLogTag(c.var.org.id, value) }),
  });
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const { id } = c.req.valid("param");
  return runWrite(c, {
    action: "activity-logs.write",
    precondition: activityLogPrecondition(id),
    about: { target: `Activity log ${id}`, verb: "delete" },
    statements: (w) => deleteActivityLog(targetOf(w, id)),
    found,
    answer: { status: HttpStatus.OK, body: activityLogDeletion.json },
    respond: ({ value }) => c.json(activityLogDeletion.of(value), HttpStatus.OK),
  });
};
