import { allow, ownerFilter } from "../../auth/policy";
import {
  type BatchOutcome,
  confirmBatch as confirmBatchQuery,
  createBatch as createBatchQuery,
} from "../../db/queries/batches";
import { batchRepresentation } from "../../db/queries/representations";
import type { BatchItem } from "../../db/schema";
import { batchAnswer } from "../../http/idempotency";
import { requestActor } from "../../http/request-actor";
import { AppError, conflict, forbidden, invalidField, notFound, unknownActivityType } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { nowIso } from "../../lib/time";
import type { AppRouteHandler } from "../../types";
import {
  conflictOnDuplicate,
  registration,
} from "../activity-attributions/activity-attributions.registration";
import type { ConfirmBatchRoute, CreateBatchRoute } from "./attribution-batches.routes";

/**
 * A 422 for a batch in which every mentor would be skipped: nothing is recorded, and the
 * problem says why for each mentor, as the batch's `items` would.
 */
function nobodyToCreate(items: BatchItem[]): AppError {
  return new AppError(
    "unprocessable",
    "Every mentor of this batch would be skipped, so nothing was recorded",
    {
      errors: items.map((item, i) => ({
        path: `mentor_ids.${i}`,
        message: `${item.mentor_id}: ${item.reason}`,
      })),
      extensions: { items: items.map(({ mentor_id, status, reason }) => ({ mentor_id, status, reason })) },
    },
  );
}

const toBatch = (outcome: BatchOutcome) => batchRepresentation.of(outcome);

export const createBatch: AppRouteHandler<CreateBatchRoute> = async (c) => {
  const body = c.req.valid("json");
  const input = registration(c, body);
  const result = await conflictOnDuplicate(() =>
    createBatchQuery(c.var.org.db, {
      ...input,
      mentorIds: body.mentor_ids,
      submissionEventId: crypto.randomUUID(),
      confirmEventId: body.confirm ? crypto.randomUUID() : null,
      replay: batchAnswer(c, HttpStatus.CREATED),
    }),
  );
  if (!result.ok) {
    switch (result.reason) {
      case "type_unknown":
        throw unknownActivityType("activity_type_id", body.activity_type_id);
      case "coordinator_not_active":
        throw invalidField(
          "coordinator_id",
          `${body.coordinator_id} is not an active coordinator of this organisation`,
        );
      case "all_skipped":
        throw nobodyToCreate(result.current);
    }
  }
  await c.var.org.deliver(result.value.events);
  return c.json(toBatch(result.value), HttpStatus.CREATED);
};

export const confirmBatch: AppRouteHandler<ConfirmBatchRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "attributions.create");
  const { batch_id } = c.req.valid("param");
  const result = await conflictOnDuplicate(
    () =>
      confirmBatchQuery(c.var.org.db, {
        orgId: caller.org,
        batchId: batch_id,
        onlyCoordinator: ownerFilter(reach) ?? null,
        eventId: crypto.randomUUID(),
        now: nowIso(),
        actor: requestActor(c),
        replay: batchAnswer(c, HttpStatus.OK),
      }),
    () => conflict("A mentor of this batch was registered for the same activity meanwhile; retry"),
  );
  if (!result.ok) {
    switch (result.reason) {
      case "not_found":
        throw notFound(`Batch ${batch_id}`);
      case "forbidden":
        throw forbidden("Only the coordinator who submitted this batch, or an admin, may confirm it");
      case "all_skipped":
        throw nobodyToCreate(result.current);
    }
  }
  await c.var.org.deliver(result.value.events);
  return c.json(toBatch(result.value), HttpStatus.OK);
};
