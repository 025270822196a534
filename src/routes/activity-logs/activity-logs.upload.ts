import type { z } from "@hono/zod-openapi";
import { covers } from "../../auth/policy";
import { type UploadEntry, uploadActivityLogs } from "../../db/queries/activity-uploads";
import type { RecordAudit } from "../../db/queries/activity-write-statements";
import { type Refusal, type Refusing, refusal } from "../../http/refusals";
import { runWrite } from "../../http/write";
import { type Problem, problemOfError } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../types";
import { entryOf, ONLY_OWN_LOGS } from "./activity-logs.entry";
import type { UploadRoute } from "./activity-logs.routes";
import type { ActivityLogUploadResultSchema } from "./activity-logs.schemas";

/** An entry's refusal as a problem, its field paths placed inside the request (`entries.3.activity_type`). */
function rejection(index: number, reason: Refusal, about: Refusing): Problem {
  const problem = problemOfError(refusal(reason, about));
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
  const { entries } = c.req.valid("json");
  return runWrite(c, {
    action: "activity-logs.create",
    about: { target: "The upload" },
    statements: (w) => {
      const eventBase = crypto.randomUUID();
      const audits = new Map<UploadEntry, RecordAudit>();
      const writes = entries.map((input, index): UploadEntry => {
        const { entry: fields, checkMentor } = entryOf(caller, input);
        const about: Refusing = {
          target: `Entry ${input.client_ref}`,
          activityType: { path: "activity_type", value: input.activity_type },
          mentor: { path: "mentor_id", value: fields.mentorId },
          clientRef: input.client_ref,
          notYours: ONLY_OWN_LOGS,
        };
        const entry: UploadEntry = {
          ...fields,
          clientRef: input.client_ref,
          checkMentor,
          refused: covers(w.reach, fields.mentorId) ? null : rejection(index, "forbidden", about),
          problems: {
            typeUnknown: rejection(index, "type_unknown", about),
            mentorUnknown: rejection(index, "mentor_unknown", about),
            notAMentor: rejection(index, "not_a_mentor", about),
            mentorInactive: rejection(index, "mentor_inactive", about),
            clientRefConflict: rejection(index, "client_ref_conflict", about),
            conflict: rejection(index, "conflict", about),
          },
        };
        // Written for someone else: the audit log records it (SPEC §9).
        if (!entry.refused && fields.mentorId !== caller.sub) {
          audits.set(entry, { eventId: `${eventBase}:${index}`, actor: w.actor, now: w.now });
        }
        return entry;
      });
      return uploadActivityLogs(w.db, w.orgId, writes, caller.sub, audits);
    },
    answer: { status: HttpStatus.OK, body: (row) => row.results },
    // Built in SQL field by field from the same field map the presenters read.
    respond: ({ value }) => c.json(value as z.infer<typeof ActivityLogUploadResultSchema>, HttpStatus.OK),
  });
};
