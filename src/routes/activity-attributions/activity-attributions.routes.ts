import { createRoute, z } from "@hono/zod-openapi";
import { AttributionId } from "../../lib/fields";
import { HttpStatus } from "../../lib/http-status";
import {
  authedErrors,
  bearerSecurity,
  bodyErrors,
  ConditionalGetHeaders,
  ConditionalKeyedWriteHeaders,
  errorResponses,
  IdempotencyHeaders,
  idempotencyErrors,
  jsonBody,
  jsonContent,
  jsonWithETag,
  notModifiedResponse,
  preconditionFailedOf,
} from "../../lib/openapi";
import {
  AttributionDetailSchema,
  AttributionListQuery,
  AttributionPage,
  AttributionSchema,
  CreateAttributionBody,
  DeletedAttributionSchema,
  DisputeAttributionBody,
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
    "A mentor's app shows a badge of what waits for its answer: `?confirmation_status=pending&limit=1` " +
    "answers the count in `pagination.total`, and the same filter with a larger page lists them to confirm " +
    "or dispute. A coordinator finds the registrations mentors disputed with `?confirmation_status=disputed` " +
    "(with `coordinator_id` for its own), reads the reason in `confirmation.reason`, and corrects (`PUT`, " +
    "which asks the mentor again) or deletes them.\n\n" +
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
    "`proxy_updated` with `changes` as `{field: {from, to}}`. The coordinator who registered it, or an admin.\n\n" +
    "A correction asks the mentor again: a confirmed or disputed attribution goes back to " +
    "`confirmation_status: pending` (`confirmation: null`), and `changes` holds `confirmation_status` " +
    '`{from, to: "pending"}`. Moved to another mentor, it is that mentor who confirms or disputes it.',
  tags,
  security: bearerSecurity,
  request: {
    headers: ConditionalKeyedWriteHeaders,
    params: z.object({ id: AttributionId }),
    body: jsonBody(UpdateAttributionBody, "The fields to correct"),
  },
  responses: {
    [HttpStatus.OK]: jsonWithETag(UpdatedAttributionSchema, "The corrected attribution"),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...errorResponses.conflict,
    ...preconditionFailedOf(AttributionSchema),
    ...idempotencyErrors,
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
  request: { headers: ConditionalKeyedWriteHeaders, params: z.object({ id: AttributionId }) },
  responses: {
    [HttpStatus.OK]: jsonContent(DeletedAttributionSchema, "The attribution was deleted"),
    ...authedErrors,
    // It reads no body, but one sent is held to the 64 KiB limit.
    ...errorResponses.payloadTooLarge,
    ...errorResponses.notFound,
    ...preconditionFailedOf(AttributionSchema),
    ...idempotencyErrors,
  },
});

const ANSWER_ACCESS =
  "Only the mentor the attribution names may answer: another mentor, and anyone of another organisation, " +
  "gets 404 (as on its `GET`); coordinators, admins and compliance officers get 403, since nobody answers " +
  "for the mentor. `If-Match` with the attribution's `ETag` makes the answer conditional (412 when it " +
  "changed since it was read); `Idempotency-Key` makes a retry replay the first answer. Answers 200 with " +
  "the attribution as `GET` shows it, without `audit_trail`, and its new `ETag`.";

const MOBILE_FLOW =
  "In the app: a notification or the pending badge (`GET …?confirmation_status=pending`) opens the " +
  "activity; the mentor confirms it or disputes it with a reason, and the coordinator finds disputes with " +
  "`?confirmation_status=disputed`.";

const confirmedExample = {
  attribution_id: "attr-20260325-001",
  activity_id: "pact-20260325-001",
  attributed_to_mentor_id: "mentor-042",
  attributed_to_mentor_name: "Sam Rivera",
  registered_by_coordinator_id: "coord-007",
  registered_by_coordinator_name: "Jordan Lee",
  activity_type_id: "one-on-one",
  activity_date: "2026-03-24T14:00:00Z",
  duration_minutes: 60,
  location: null,
  notes: null,
  proxy: true,
  entry_mode: "proxy",
  batch_id: null,
  confirmation_status: "confirmed",
  confirmation: { by: "mentor-042", at: "2026-03-25T08:12:00Z", reason: null },
  created_at: "2026-03-24T15:30:00Z",
  updated_at: "2026-03-25T08:12:00Z",
} as const;

const disputedExample = {
  ...confirmedExample,
  confirmation_status: "disputed",
  confirmation: {
    by: "mentor-042",
    at: "2026-03-25T08:12:00Z",
    reason: "I was on leave that day; this session was run by someone else",
  },
} as const;

export const confirm = createRoute({
  method: "post",
  path: `${BASE}/{id}/confirm`,
  operationId: "confirmAttribution",
  summary: "Confirm an activity registered in your name",
  description:
    "The mentor the attribution names says the activity happened as registered: `confirmation_status` " +
    "becomes `confirmed`, `confirmation` `{by, at, reason: null}`, and a `proxy_confirmed` audit event " +
    "(`proxy_activity_confirmed` in the organisation log, `confirmed` in the record's `audit_trail`) records " +
    "`changes.confirmation_status` `{from, to}` (and `reason` `{from, to: null}` when it withdraws a " +
    "dispute). No body. Confirming a confirmed attribution answers 200 and records nothing. A mentor may " +
    `change its mind: a disputed one can be confirmed. ${ANSWER_ACCESS}\n\n${MOBILE_FLOW}`,
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalKeyedWriteHeaders, params: z.object({ id: AttributionId }) },
  responses: {
    [HttpStatus.OK]: jsonWithETag(AttributionSchema, "The attribution, now confirmed", confirmedExample),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...preconditionFailedOf(AttributionSchema),
    ...idempotencyErrors,
  },
});

export const dispute = createRoute({
  method: "post",
  path: `${BASE}/{id}/dispute`,
  operationId: "disputeAttribution",
  summary: "Dispute an activity registered in your name",
  description:
    "The mentor the attribution names says the activity did not happen as registered, and why: " +
    "`confirmation_status` becomes `disputed`, `confirmation` `{by, at, reason}`, and a `proxy_disputed` " +
    "audit event (`proxy_activity_disputed` in the organisation log, `disputed` in the record's " +
    "`audit_trail`) records `changes.confirmation_status` and `changes.reason` as `{from, to}`. A disputed " +
    "activity leaves the mentor's summary and counts until a correction sets it back to `pending`. Disputing " +
    "again with another reason records it; with the same reason it answers 200 and records nothing. A " +
    `confirmed one can be disputed. ${ANSWER_ACCESS}\n\n${MOBILE_FLOW}`,
  tags,
  security: bearerSecurity,
  request: {
    headers: ConditionalKeyedWriteHeaders,
    params: z.object({ id: AttributionId }),
    body: jsonBody(DisputeAttributionBody, "Why the mentor disputes the activity"),
  },
  responses: {
    [HttpStatus.OK]: jsonWithETag(AttributionSchema, "The attribution, now disputed", disputedExample),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...preconditionFailedOf(AttributionSchema),
    ...idempotencyErrors,
  },
});

export type ListRoute = typeof list;
export type GetRoute = typeof get;
export type CreateRoute = typeof create;
export type UpdateRoute = typeof update;
export type RemoveRoute = typeof remove;
export type ConfirmRoute = typeof confirm;
export type DisputeRoute = typeof dispute;
