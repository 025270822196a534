import { ownerFilter } from "../../auth/policy";
import { confirmBatch as confirmBatchQuery, createBatch as createBatchQuery } from "../../db/queries/batches";
import { batchRepresentation } from "../../db/queries/representations";
import type { BatchItem } from "../../db/schema";
import { runWrite } from "../../http/write";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../types";
import {
  asItself,
  registering,
  registration,
} from "../activity-attributions/activity-attributions.registration";
import type { ConfirmBatchRoute, CreateBatchRoute } from "./attribution-batches.routes";

/** A batch in which every mentor would be skipped is refused with each mentor's decision. */
const skipped = (items: readonly BatchItem[]) => ({ items });

export const createBatch: AppRouteHandler<CreateBatchRoute> = async (c) => {
  const body = c.req.valid("json");
  const caller = c.var.caller;
  return runWrite(c, {
    action: "attributions.create",
    authorize: asItself(body),
    about: registering("A batch", body),
    statements: (w) =>
      createBatchQuery({
        ...registration(caller, body),
        orgId: w.orgId,
        mentorIds: body.mentor_ids,
        submissionEventId: w.eventId,
        confirmEventId: body.confirm ? crypto.randomUUID() : null,
        now: w.now,
        actor: w.actor,
      }),
    found: skipped,
    answer: { status: HttpStatus.CREATED, body: batchRepresentation.json },
    respond: ({ value }) => c.json(batchRepresentation.of(value), HttpStatus.CREATED),
  });
};

export const confirmBatch: AppRouteHandler<ConfirmBatchRoute> = async (c) => {
  const { batch_id } = c.req.valid("param");
  return runWrite(c, {
    action: "attributions.create",
    about: {
      target: `Batch ${batch_id}`,
      notYours: "Only the coordinator who submitted this batch, or an admin, may confirm it",
      duplicate: "A mentor of this batch was registered for the same activity meanwhile; retry",
    },
    statements: (w) =>
      confirmBatchQuery({
        orgId: w.orgId,
        batchId: batch_id,
        onlyCoordinator: ownerFilter(w.reach) ?? null,
        eventId: w.eventId,
        now: w.now,
        actor: w.actor,
      }),
    found: skipped,
    answer: { status: HttpStatus.OK, body: batchRepresentation.json },
    respond: ({ value }) => c.json(batchRepresentation.of(value), HttpStatus.OK),
  });
};
