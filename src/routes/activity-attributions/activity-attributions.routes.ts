import { createRoute, z } from "@hono/zod-openapi";
import { AttributionId } from "../../lib/fields";
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
  AttributionListQuery,
  AttributionPage,
  AttributionSchema,
  CreateAttributionBody,
  DeletedAttributionSchema,
  UpdateAttributionBody,
  UpdatedAttributionSchema,
} from "./activity-attributions.schemas";

export const ATTRIBUTION_TAGS = ["Activity attributions"];
export const ATTRIBUTIONS_PATH = "/api/v1/activity-attributions";
const tags = ATTRIBUTION_TAGS;
const BASE = ATTRIBUTIONS_PATH;

export const list = createRoute({
  method: "get",
  path: BASE,
  operationId: "listAttributions",
  summary: "List attributed activities",
  description:
    "Filterable by the mentor it is attributed to, the coordinator who registered it, the type, " +
    "`confirmation_status` and `from`/`to` on `activity_date`. Newest activity first. A mentor sees only " +
    "what is attributed to it.\n\n" +
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

export const get = createRoute({
  method: "get",
  path: `${BASE}/{id}`,
  operationId: "getAttribution",
  summary: "Get one attribution with its audit trail",
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalGetHeaders, params: z.object({ id: AttributionId }) },
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
    params: z.object({ id: AttributionId }),
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
  request: { headers: ConditionalWriteHeaders, params: z.object({ id: AttributionId }) },
  responses: {
    [HttpStatus.OK]: jsonContent(DeletedAttributionSchema, "The attribution was deleted"),
    ...authedErrors,
    ...errorResponses.notFound,
    ...errorResponses.preconditionFailed,
  },
});

export type ListRoute = typeof list;
export type GetRoute = typeof get;
export type CreateRoute = typeof create;
export type UpdateRoute = typeof update;
export type RemoveRoute = typeof remove;
