import { createRoute, z } from "@hono/zod-openapi";
import { HttpStatus } from "../../lib/http-status";
import {
  authedErrors,
  bearerSecurity,
  bodyErrors,
  ConditionalGetHeaders,
  ConditionalWriteHeaders,
  errorResponses,
  IdempotencyHeaders,
  idempotencyErrors,
  jsonBody,
  jsonContent,
  jsonWithETag,
  notModifiedResponse,
} from "../../lib/openapi";
import {
  AttributionDetailSchema,
  AttributionIdParam,
  AttributionListQuery,
  AttributionPage,
  AttributionSchema,
  BatchIdParam,
  BatchSchema,
  CreateAttributionBody,
  CreateBatchBody,
  DeletedAttributionSchema,
  OrgAuditLogQuery,
  OrgAuditPage,
  UpdateAttributionBody,
  UpdatedAttributionSchema,
} from "./activity-attributions.schemas";

const tags = ["Activity attributions"];
const BASE = "/api/v1/activity-attributions";

export const list = createRoute({
  method: "get",
  path: BASE,
  operationId: "listAttributions",
  summary: "List attributed activities",
  description:
    "Filterable by the mentor it is attributed to, the coordinator who registered it, the type and " +
    "`from`/`to` on `activity_date`. Newest activity first. A mentor sees only what is attributed to it.\n\n" +
    "Page by `page` (offset) or by `cursor` (keyset: send back `next_cursor`; a deep page then costs " +
    "what the first does). `next_cursor` is null on the last page.",
  tags,
  security: bearerSecurity,
  request: { query: AttributionListQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(AttributionPage, "A page of attributions"),
    ...authedErrors,
  },
});

export const auditLog = createRoute({
  method: "get",
  path: `${BASE}/audit-log`,
  operationId: "getAttributionAuditLog",
  summary: "The organisation's proxy registration audit log",
  description:
    "Proxy events between `from` and `to` (default: the 30 days up to now), newest first, with names as " +
    "they were when each event happened. Admin and compliance only. Page size defaults to 50, up to 200.",
  tags,
  security: bearerSecurity,
  request: { query: OrgAuditLogQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(OrgAuditPage, "A page of audit events"),
    ...authedErrors,
  },
});

export const get = createRoute({
  method: "get",
  path: `${BASE}/{id}`,
  operationId: "getAttribution",
  summary: "Get one attribution with its audit trail",
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalGetHeaders, params: z.object({ id: AttributionIdParam }) },
  responses: {
    [HttpStatus.OK]: jsonWithETag(AttributionDetailSchema, "The attribution; audit_trail oldest first"),
    ...authedErrors,
    ...errorResponses.notFound,
    ...notModifiedResponse,
  },
});

export const create = createRoute({
  method: "post",
  path: BASE,
  operationId: "createAttribution",
  summary: "Register an activity on a mentor's behalf",
  description:
    "Creates the activity (`pact-…`) and its attribution (`attr-…`) and records a `proxy_created` audit " +
    "event. A coordinator registers as itself (`coordinator_id` must be its own ID); an admin may name any " +
    "active coordinator. The mentor must be an active member with the mentor role. The same mentor, type " +
    "and `activity_date` registered twice is 409.",
  tags,
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeaders,
    body: jsonBody(CreateAttributionBody, "The activity and who it is for"),
  },
  responses: {
    [HttpStatus.CREATED]: jsonContent(AttributionSchema, "The attribution was created"),
    ...bodyErrors,
    ...errorResponses.conflict,
    ...idempotencyErrors,
  },
});

export const update = createRoute({
  method: "put",
  path: `${BASE}/{id}`,
  operationId: "updateAttribution",
  summary: "Correct an attribution",
  description:
    "Changes any of `mentor_id`, `activity_type_id`, `activity_date`, `duration_minutes`, `location`, " +
    "`notes` (null clears the optional ones), on the attribution and its activity, and records " +
    "`proxy_updated` with `changes` as `{field: {from, to}}`. The coordinator who registered it, or an admin.",
  tags,
  security: bearerSecurity,
  request: {
    headers: ConditionalWriteHeaders,
    params: z.object({ id: AttributionIdParam }),
    body: jsonBody(UpdateAttributionBody, "The fields to correct"),
  },
  responses: {
    [HttpStatus.OK]: jsonWithETag(UpdatedAttributionSchema, "The corrected attribution"),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...errorResponses.conflict,
    ...errorResponses.preconditionFailed,
  },
});

export const remove = createRoute({
  method: "delete",
  path: `${BASE}/{id}`,
  operationId: "deleteAttribution",
  summary: "Delete an attribution and its activity",
  description:
    "Only the audit events remain, with a `proxy_deleted` event added. The coordinator who registered it, " +
    "or an admin.",
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalWriteHeaders, params: z.object({ id: AttributionIdParam }) },
  responses: {
    [HttpStatus.OK]: jsonContent(DeletedAttributionSchema, "The attribution was deleted"),
    ...authedErrors,
    ...errorResponses.notFound,
    ...errorResponses.preconditionFailed,
  },
});

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
  request: { headers: IdempotencyHeaders, params: z.object({ batch_id: BatchIdParam }) },
  responses: {
    [HttpStatus.OK]: jsonContent(BatchSchema, "The confirmed batch"),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...idempotencyErrors,
  },
});

export type ListRoute = typeof list;
export type AuditLogRoute = typeof auditLog;
export type GetRoute = typeof get;
export type CreateRoute = typeof create;
export type UpdateRoute = typeof update;
export type RemoveRoute = typeof remove;
export type CreateBatchRoute = typeof createBatch;
export type ConfirmBatchRoute = typeof confirmBatch;
