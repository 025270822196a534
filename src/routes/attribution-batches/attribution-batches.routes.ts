import { createRoute, z } from "@hono/zod-openapi";
import { BatchId } from "../../lib/fields";
import { HttpStatus } from "../../lib/http-status";
import {
  bearerSecurity,
  bodyErrors,
  errorResponses,
  IdempotencyHeaders,
  idempotencyErrors,
  jsonBody,
  jsonContent,
  problemResponseOf,
} from "../../lib/openapi";
import { ATTRIBUTION_TAGS, ATTRIBUTIONS_PATH } from "../activity-attributions/activity-attributions.routes";
import { BatchSchema, CreateBatchBody } from "./attribution-batches.schemas";

const tags = ATTRIBUTION_TAGS;

/** The batch routes' 422 covers both causes: a batch of skips and a reused Idempotency-Key. */
const nobodyToCreate = {
  [HttpStatus.UNPROCESSABLE_ENTITY]: problemResponseOf(
    "Every mentor would be skipped, so nothing was recorded (the problem's `items` give each mentor's reason), " +
      "or the Idempotency-Key was already used for a different request",
  ),
};
const BASE = ATTRIBUTIONS_PATH;

export const createBatch = createRoute({
  method: "post",
  path: `${BASE}/batches`,
  operationId: "createAttributionBatch",
  summary: "Register one activity for many mentors",
  description:
    "Answers, per mentor, `will_create` or `skipped` with a reason (`unknown_mentor`, `inactive_mentor`, " +
    "`duplicate`) and records `bulk_submission`. Confirm it with `POST …/batches/{batch_id}/confirm`, or " +
    'send `"confirm": true` to do both in one call.',
  tags,
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaders,
    body: jsonBody(CreateBatchBody, "The activity and the mentors it is for (1..100)"),
  },
  responses: {
    [HttpStatus.CREATED]: jsonContent(BatchSchema, "The batch (confirmed when `confirm` was true)"),
    ...bodyErrors,
    ...idempotencyErrors,
    ...nobodyToCreate,
  },
});

export const confirmBatch = createRoute({
  method: "post",
  path: `${BASE}/batches/{batch_id}/confirm`,
  operationId: "confirmAttributionBatch",
  summary: "Confirm a bulk registration",
  description:
    "Creates every mentor's attribution that is still `will_create` (the checks run again), with " +
    "`entry_mode: bulk`, and records `bulk_confirmed`. Confirming a confirmed batch changes nothing and " +
    "answers it as it is.",
  tags,
  security: bearerSecurity,
  request: { headers: IdempotencyHeaders, params: z.object({ batch_id: BatchId }) },
  responses: {
    [HttpStatus.OK]: jsonContent(BatchSchema, "The confirmed batch"),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...idempotencyErrors,
    ...nobodyToCreate,
  },
});

export type CreateBatchRoute = typeof createBatch;
export type ConfirmBatchRoute = typeof confirmBatch;
