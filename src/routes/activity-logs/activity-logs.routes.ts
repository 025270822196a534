import { createRoute, z } from "@hono/zod-openapi";
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
  locationHeader,
  notModifiedResponse,
  preconditionFailedOf,
} from "../../lib/openapi";
import {
  ActivityLogCreateSchema,
  ActivityLogDeletedSchema,
  ActivityLogIdParam,
  ActivityLogListQuery,
  ActivityLogPage,
  ActivityLogSchema,
  ActivityLogUpdateSchema,
  ActivityLogUploadResultSchema,
  ActivityLogUploadSchema,
  activityLogExamples,
} from "./activity-logs.schemas";
import {
  CountByTypeQuery,
  CountByTypeSchema,
  MentorParams,
  SummaryQuery,
  SummarySchema,
} from "./activity-logs.summary.schemas";

const tags = ["Activity logs"];
const IdParams = z.object({ id: ActivityLogIdParam });

const READ_ACCESS =
  "Mentors read only their own entries: another mentor's answers 404, as a missing one does, so IDs " +
  "reveal nothing. Coordinators, admins and compliance read any entry of their organisation.";
const WRITE_ACCESS =
  "Mentors change only their own entries (404 for another mentor's); admins change any, and that change " +
  "is recorded in the audit log. Proxy and bulk " +
  "entries belong to their attribution and answer 409: change them through /api/v1/activity-attributions.";
const MENTOR_SCOPE =
  "A mentor may ask only about itself (403 otherwise); coordinators, admins and compliance about any " +
  "mentor. A mentor without entries, or unknown, has zero totals.";

/** A JSON response whose documented example is the seed's for this very operation. */
const jsonExample = <T extends z.ZodType>(schema: T, description: string, example: unknown) => ({
  description,
  content: { "application/json": { schema, example } },
});

export const list = createRoute({
  method: "get",
  path: "/api/v1/activity-logs",
  operationId: "listActivityLogs",
  summary: "List activity log entries with filtering",
  description:
    "Entries of every kind (`self`, `proxy`, `bulk`), newest first by occurred_at with log_id (descending) " +
    "breaking ties. Filters combine; `from`/`to` bound occurred_at, both inclusive; an unknown " +
    "activity_type matches nothing. A mentor's list holds only its own entries, and a mentor naming " +
    "another mentor in `mentor_id` gets 403 rather than a silently empty page. Coordinators, admins and " +
    "compliance list the whole organisation.\n\n" +
    "Two ways to page: `page` (offset; simple, but a deep page walks every entry before it) or " +
    "`cursor` (keyset; send back `next_cursor` to get the page after this one, at the cost of the first " +
    "page however deep). `next_cursor` is null on the last page. `pagination.total` is given either way.",
  tags,
  security: bearerSecurity,
  request: { query: ActivityLogListQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(ActivityLogPage, "A page of entries and the total under the filters"),
    ...authedErrors,
  },
});

export const get = createRoute({
  method: "get",
  path: "/api/v1/activity-logs/{id}",
  operationId: "getActivityLog",
  summary: "Get a single activity log entry",
  description: `${READ_ACCESS} An ID of another organisation answers 404, as a missing one does.`,
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalGetHeaders, params: IdParams },
  responses: {
    [HttpStatus.OK]: jsonWithETag(ActivityLogSchema, "The entry", activityLogExamples.get),
    ...authedErrors,
    ...errorResponses.notFound,
    ...notModifiedResponse,
  },
});

export const create = createRoute({
  method: "post",
  path: "/api/v1/activity-logs",
  operationId: "createActivityLog",
  summary: "Record a new mentor activity",
  description:
    "Mentors record their own activities: `mentor_id` may be left out or must be the caller (403 " +
    "otherwise); a mentor's token already vouches for it, so it needs no member record. Admins record for " +
    "anyone, and then `mentor_id` must name an active member of the organisation holding the mentor role " +
    "(400 on `mentor_id` otherwise). `activity_type` must be in the catalogue (400 on `activity_type`). " +
    "Only the fields below may be sent; any other (`log_id`, `created_at`, `entry_mode`, " +
    "`attribution_id`, …) is a 400 naming it. The entry gets a fresh random `log_…` ID and " +
    "`entry_mode: self`. With `client_ref` (the app's own ID of an entry it queued offline, unique per " +
    "mentor), sending the same entry again answers the stored one with 200 and writes nothing; other " +
    "content under a used `client_ref` is a 409 whose problem carries the stored entry as `current`.",
  tags,
  security: bearerSecurity,
  request: { headers: IdempotencyHeaders, body: jsonBody(ActivityLogCreateSchema, "The activity") },
  responses: {
    [HttpStatus.CREATED]: {
      ...jsonExample(ActivityLogSchema, "The recorded entry", activityLogExamples.create),
      headers: locationHeader,
    },
    [HttpStatus.OK]: {
      ...jsonExample(
        ActivityLogSchema,
        "The entry already stored under this `client_ref`, with the same content; nothing was written",
        { ...activityLogExamples.create, client_ref: "ios-7F3A9C2E:42" },
      ),
      headers: locationHeader,
    },
    ...bodyErrors,
    ...errorResponses.conflict,
    ...idempotencyErrors,
  },
});

export const upload = createRoute({
  method: "post",
  path: "/api/v1/activity-logs/batch",
  operationId: "uploadActivityLogs",
  summary: "Upload entries queued offline, up to 100 in one request",
  description:
    "For an app that queued entries while offline (SPEC §10). Each entry is the body of " +
    "`POST /api/v1/activity-logs` plus a required `client_ref`; bodies up to 512 KiB. Every entry gets " +
    "its own result, in request order: `created` (with the entry), `existing` (this `client_ref` " +
    "already holds the same content: the stored entry, nothing written) or `rejected` (with a problem: 400 " +
    "for an unknown activity type or a mentor who cannot be named, 403 for another mentor's entry from a " +
    "mentor, 409 with the stored entry in `log` when the `client_ref` holds other content). A rejected " +
    "entry does not stop the others, and the upload is one D1 batch, so a retry after a lost response " +
    "answers `existing` for what was written and writes nothing twice. A request whose shape is wrong " +
    "(not 1..100 entries, a field of the wrong type, a missing `client_ref`) is a 400 for the whole " +
    "request, naming each field: the app can check that before queueing.",
  tags,
  security: bearerSecurity,
  request: { headers: IdempotencyHeaders, body: jsonBody(ActivityLogUploadSchema, "The queued entries") },
  responses: {
    [HttpStatus.OK]: jsonContent(ActivityLogUploadResultSchema, "One result per entry, in request order"),
    ...bodyErrors,
    ...idempotencyErrors,
  },
});

export const update = createRoute({
  method: "put",
  path: "/api/v1/activity-logs/{id}",
  operationId: "updateActivityLog",
  summary: "Update an activity log entry",
  description:
    "Changes any of `description`, `duration_minutes`, `activity_type`, `contact_id`, `occurred_at` " +
    "(at least one); `contact_id` and `duration_minutes` may be set to null. Other fields are a 400. " +
    `Answers the whole updated entry. ${WRITE_ACCESS}`,
  tags,
  security: bearerSecurity,
  request: {
    headers: ConditionalKeyedWriteHeaders,
    params: IdParams,
    body: jsonBody(ActivityLogUpdateSchema, "The fields to change"),
  },
  responses: {
    [HttpStatus.OK]: jsonWithETag(ActivityLogSchema, "The updated entry", activityLogExamples.update),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...errorResponses.conflict,
    ...preconditionFailedOf(ActivityLogSchema),
    ...idempotencyErrors,
  },
});

export const remove = createRoute({
  method: "delete",
  path: "/api/v1/activity-logs/{id}",
  operationId: "deleteActivityLog",
  summary: "Delete an activity log entry",
  description:
    "Removes the entry for good: from then on it answers 404 and no list, summary or count includes it. " +
    "IDs carry 64 random bits, so a deleted entry's ID is not issued again in practice. " +
    WRITE_ACCESS,
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalKeyedWriteHeaders, params: IdParams },
  responses: {
    [HttpStatus.OK]: jsonContent(ActivityLogDeletedSchema, "The entry was deleted"),
    ...authedErrors,
    // It reads no body, but one sent is held to the 64 KiB limit.
    ...errorResponses.payloadTooLarge,
    ...errorResponses.notFound,
    ...errorResponses.conflict,
    ...preconditionFailedOf(ActivityLogSchema),
    ...idempotencyErrors,
  },
});

export const summary = createRoute({
  method: "get",
  path: "/api/v1/activity-logs/mentor/{mentor_id}/summary",
  operationId: "getActivitySummary",
  summary: "Get aggregated activity summary for a mentor",
  description:
    "Totals over one calendar period: `period` (day, week from Monday, month, year; default month) " +
    "holding `date` (default today) in the IANA zone `tz` (default UTC), or exactly `from`..`to` " +
    "(both required together, not combined with `period`/`date`; `period` is then `custom`). " +
    "`period_start` and `period_end` are the UTC instants of the local boundaries, `period_end` being the " +
    "period's last second, so a week across a daylight-saving change spans 167 or 169 hours. Sessions, " +
    "referrals and check-ins count activities by their type's category. Entries of every kind count, " +
    "except registrations the mentor disputed: `disputed` says how many were left out, and " +
    "`pending_confirmation` how many still wait for the mentor's answer (those count). " +
    MENTOR_SCOPE,
  tags,
  security: bearerSecurity,
  request: { params: MentorParams, query: SummaryQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(SummarySchema, "The mentor's totals over the period"),
    ...authedErrors,
  },
});

export const countByType = createRoute({
  method: "get",
  path: "/api/v1/activity-logs/mentor/{mentor_id}/count-by-type",
  operationId: "countActivitiesByType",
  summary: "Get activity counts grouped by type for a mentor",
  description:
    "How many activities of each catalogue type the mentor has, optionally with occurred_at in " +
    "`from`..`to` (inclusive). Registrations the mentor disputed are not counted; types that do not " +
    `occur are left out. ${MENTOR_SCOPE}`,
  tags,
  security: bearerSecurity,
  request: { params: MentorParams, query: CountByTypeQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(CountByTypeSchema, "Counts by activity type"),
    ...authedErrors,
  },
});

export type ListRoute = typeof list;
export type GetRoute = typeof get;
export type CreateRoute = typeof create;
export type UploadRoute = typeof upload;
export type UpdateRoute = typeof update;
export type RemoveRoute = typeof remove;
export type SummaryRoute = typeof summary;
export type CountByTypeRoute = typeof countByType;
