import { deliver } from "../../audit/outbox";
import { hasRole } from "../../auth/caller";
import { allow, covers } from "../../auth/policy";
import { type UploadEntry, type UploadOutcome, uploadActivityLogs } from "../../db/queries/activity-uploads";
import { newActivityLogId, type RecordAudit } from "../../db/queries/activity-writes";
import { requestActor } from "../../http/request-actor";
import {
  type AppError,
  conflict,
  forbidden,
  mentorRefusal,
  type Problem,
  problemOfError,
  unknownActivityType,
} from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { nowIso } from "../../lib/time";
import type { AppRouteHandler } from "../../types";
import { type ActivityLog, clientRefConflict, toActivityLog } from "./activity-logs.present";
import type { UploadRoute } from "./activity-logs.routes";

interface UploadResult {
  client_ref: string;
  status: "created" | "existing" | "rejected";
  log: ActivityLog | null;
  error: Problem | null;
}

/** An entry's problem, its field paths placed inside the request (`entries.3.activity_type`). */
function rejection(index: number, err: AppError): Problem {
  const problem = problemOfError(err);
  if (problem.errors)
    problem.errors = problem.errors.map((e) => ({ ...e, path: `entries.${index}.${e.path}` }));
  return problem;
}

/**
 * Uploads entries queued offline (SPEC §10): each is authorised on its own (a mentor writes only
 * its own), the allowed ones are written in one D1 batch, and every entry gets its result in
 * request order; one entry's refusal does not stop the others.
 */
export const upload: AppRouteHandler<UploadRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "activity-logs.create");
  const { entries } = c.req.valid("json");
  const now = nowIso();
  const actor = requestActor(c);
  const results = new Map<number, UploadResult>();
  const writes: UploadEntry[] = [];
  const audits = new Map<number, RecordAudit>();
  const eventBase = crypto.randomUUID();
  for (const [index, input] of entries.entries()) {
    const mentorId = input.mentor_id ?? caller.sub;
    if (!covers(reach, mentorId)) {
      const err = forbidden("Mentors can only record their own activity logs");
      results.set(index, {
        client_ref: input.client_ref,
        status: "rejected",
        log: null,
        error: rejection(index, err),
      });
      continue;
    }
    writes.push({
      index,
      activityId: newActivityLogId(),
      mentorId,
      activityType: input.activity_type,
      description: input.description,
      contactId: input.contact_id ?? null,
      durationMinutes: input.duration_minutes ?? null,
      occurredAt: input.occurred_at,
      createdBy: caller.sub,
      clientRef: input.client_ref,
      // A mentor's own token vouches for it; anyone else must name a mentor on record.
      checkMentor: !(mentorId === caller.sub && hasRole(caller, "mentor")),
    });
    // Written for someone else: the audit log records it (SPEC §9).
    if (mentorId !== caller.sub) audits.set(index, { eventId: `${eventBase}:${index}`, actor, now });
  }

  const { outcomes, events } = await uploadActivityLogs(c.var.db, caller.org, writes, caller.sub, audits);
  for (const write of writes) {
    const outcome = outcomes.get(write.index);
    if (outcome) results.set(write.index, resultOf(write, outcome));
  }
  await deliver(c.env, c.var.db, c.executionCtx, caller.org, events);
  const ordered = entries.map(
    (input, index): UploadResult =>
      results.get(index) ?? {
        client_ref: input.client_ref,
        status: "rejected",
        log: null,
        error: rejection(index, conflict("The entry was not written; send it again")),
      },
  );
  return c.json({ results: ordered }, HttpStatus.OK);
};

function resultOf(write: UploadEntry, outcome: UploadOutcome): UploadResult {
  const base = { client_ref: write.clientRef };
  const rejected = (err: AppError, log: ActivityLog | null = null): UploadResult => ({
    ...base,
    status: "rejected",
    log,
    error: rejection(write.index, err),
  });
  switch (outcome.status) {
    case "created":
    case "existing":
      return { ...base, status: outcome.status, log: toActivityLog(outcome.row), error: null };
    case "client_ref_conflict":
      return rejected(clientRefConflict(write.clientRef, outcome.row), toActivityLog(outcome.row));
    case "type_unknown":
      return rejected(unknownActivityType("activity_type", write.activityType));
    case "conflict":
      return rejected(conflict("The entry changed while this request ran; send it again"));
    default:
      return rejected(mentorRefusal("mentor_id", write.mentorId, outcome.status));
  }
}
