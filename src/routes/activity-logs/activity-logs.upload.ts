import type { z } from "@hono/zod-openapi";
import { allow, covers } from "../../auth/policy";
import { type UploadEntry, uploadActivityLogs } from "../../db/queries/activity-uploads";
import type { RecordAudit } from "../../db/queries/activity-write-statements";
import { batchAnswer } from "../../http/idempotency";
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
import { entryOf, ONLY_OWN_LOGS } from "./activity-logs.entry";
import { clientRefConflict } from "./activity-logs.present";
import type { UploadRoute } from "./activity-logs.routes";
import type { ActivityLogUploadResultSchema } from "./activity-logs.schemas";

/** An entry's problem, its field paths placed inside the request (`entries.3.activity_type`). */
function rejection(index: number, err: AppError): Problem {
  const problem = problemOfError(err);
  if (problem.errors)
    problem.errors = problem.errors.map((e) => ({ ...e, path: `entries.${index}.${e.path}` }));
  return problem;
}

/**
 * Uploads entries queued offline (SPEC §10): each is authorised on its own (a mentor writes only
 * its own), the rest are written in one D1 batch, and every entry gets its result in request
 * order, built by that batch from what is then stored (the problems it may answer are prepared
 * here, the choice among them made there); one entry's refusal does not stop the others.
 */
export const upload: AppRouteHandler<UploadRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "activity-logs.create");
  const { entries } = c.req.valid("json");
  const now = nowIso();
  const actor = requestActor(c);
  const eventBase = crypto.randomUUID();
  const audits = new Map<UploadEntry, RecordAudit>();
  const writes = entries.map((input, index): UploadEntry => {
    const { entry: fields, checkMentor } = entryOf(caller, input);
    const { mentorId } = fields;
    const entry: UploadEntry = {
      ...fields,
      clientRef: input.client_ref,
      checkMentor,
      refused: covers(reach, mentorId) ? null : rejection(index, forbidden(ONLY_OWN_LOGS)),
      problems: {
        typeUnknown: rejection(index, unknownActivityType("activity_type", input.activity_type)),
        mentorUnknown: rejection(index, mentorRefusal("mentor_id", mentorId, "mentor_unknown")),
        notAMentor: rejection(index, mentorRefusal("mentor_id", mentorId, "not_a_mentor")),
        mentorInactive: rejection(index, mentorRefusal("mentor_id", mentorId, "mentor_inactive")),
        clientRefConflict: rejection(index, clientRefConflict(input.client_ref, undefined)),
        conflict: rejection(index, conflict("The entry changed while this request ran; send it again")),
      },
    };
    // Written for someone else: the audit log records it (SPEC §9).
    if (!entry.refused && mentorId !== caller.sub) {
      audits.set(entry, { eventId: `${eventBase}:${index}`, actor, now });
    }
    return entry;
  });
  const { answer, events } = await uploadActivityLogs(
    c.var.org.db,
    caller.org,
    writes,
    caller.sub,
    audits,
    batchAnswer(c, HttpStatus.OK),
  );
  await c.var.org.deliver(events);
  // Built in SQL field by field as the presenters build them (the route tests compare the two).
  return c.json(answer as z.infer<typeof ActivityLogUploadResultSchema>, HttpStatus.OK);
};
