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
  notModifiedResponse,
  preconditionFailedOf,
} from "../../lib/openapi";
import {
  AnnotateBody,
  AnnotationSchema,
  ByCoordinatorQuery,
  CoordinatorEntryPage,
  CoordinatorIdParam,
  CreatedEntrySchema,
  CreateEntryBody,
  DeletedSchema,
  EntryDetailSchema,
  EntryIdParam,
  EntryPage,
  ListQuery,
} from "./proxy-audit-logs.schemas";

const tags = ["Proxy audit logs"];
const BASE = "/api/v1/proxy-audit-logs";
const idParams = z.object({ id: EntryIdParam });

export const list = createRoute({
  method: "get",
  path: BASE,
  operationId: "listProxyAuditLogs",
  summary: "List audit log entries",
  description:
    "Newest first. Coordinators see only entries with themselves as coordinator_id; admins and " +
    "compliance see all. Deleted entries are left out.",
  tags,
  security: bearerSecurity,
  request: { query: ListQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(EntryPage, "A page of entries"),
    ...authedErrors,
  },
});

export const byCoordinator = createRoute({
  method: "get",
  path: `${BASE}/by-coordinator/{coordinator_id}`,
  operationId: "listProxyAuditLogsByCoordinator",
  summary: "Get all audit logs for a coordinator",
  description: "A coordinator may ask only for itself; admins and compliance for anyone.",
  tags,
  security: bearerSecurity,
  request: { params: z.object({ coordinator_id: CoordinatorIdParam }), query: ByCoordinatorQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(CoordinatorEntryPage, "A page of the coordinator's entries"),
    ...authedErrors,
  },
});

export const get = createRoute({
  method: "get",
  path: `${BASE}/{id}`,
  operationId: "getProxyAuditLog",
  summary: "Get a specific audit log entry",
  description: "With the request's IP address and user agent, the latest annotation and the entry's hashes.",
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalGetHeaders, params: idParams },
  responses: {
    [HttpStatus.OK]: jsonWithETag(EntryDetailSchema, "The entry"),
    ...authedErrors,
    ...errorResponses.notFound,
    ...notModifiedResponse,
  },
});

export const create = createRoute({
  method: "post",
  path: BASE,
  operationId: "createProxyAuditLog",
  summary: "Create an audit log entry (internal/system use)",
  description:
    "For the system role only. The request's CF-Connecting-IP and User-Agent are recorded with the entry.",
  tags,
  security: bearerSecurity,
  request: { headers: IdempotencyHeaders, body: jsonBody(CreateEntryBody, "The event to record") },
  responses: {
    [HttpStatus.CREATED]: jsonContent(CreatedEntrySchema, "The entry was appended"),
    [HttpStatus.OK]: jsonContent(CreatedEntrySchema, "The event ID was recorded before; nothing was written"),
    ...bodyErrors,
    ...errorResponses.conflict,
    ...idempotencyErrors,
  },
});

export const annotate = createRoute({
  method: "put",
  path: `${BASE}/{id}`,
  operationId: "annotateProxyAuditLog",
  summary: "Annotate an audit log entry (admin correction only)",
  description:
    "Appends an entry_annotated record about the entry; the entry itself is never changed. " +
    "Annotation and deletion records cannot be annotated (409).",
  tags,
  security: bearerSecurity,
  request: {
    headers: ConditionalKeyedWriteHeaders,
    params: idParams,
    body: jsonBody(AnnotateBody, "The annotation and its reviewer"),
  },
  responses: {
    [HttpStatus.OK]: jsonWithETag(AnnotationSchema, "The annotation now shown with the entry"),
    ...bodyErrors,
    ...errorResponses.notFound,
    ...errorResponses.conflict,
    ...preconditionFailedOf(EntryDetailSchema),
    ...idempotencyErrors,
  },
});

export const remove = createRoute({
  method: "delete",
  path: `${BASE}/{id}`,
  operationId: "deleteProxyAuditLog",
  summary: "Delete an audit log entry (admin/compliance only)",
  description:
    "Redacts the entry: its payload is erased, its hashes stay so the chain still verifies, and an " +
    "entry_deleted record names it and who deleted it. The entry answers 404 from then on. " +
    "entry_deleted records themselves cannot be deleted (409).",
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalKeyedWriteHeaders, params: idParams },
  responses: {
    [HttpStatus.OK]: jsonContent(DeletedSchema, "The entry was redacted"),
    ...authedErrors,
    // It reads no body, but one sent is held to the 64 KiB limit.
    ...errorResponses.payloadTooLarge,
    ...errorResponses.notFound,
    ...errorResponses.conflict,
    ...preconditionFailedOf(EntryDetailSchema),
    ...idempotencyErrors,
  },
});

export type ListRoute = typeof list;
export type ByCoordinatorRoute = typeof byCoordinator;
export type GetRoute = typeof get;
export type CreateRoute = typeof create;
export type AnnotateRoute = typeof annotate;
export type RemoveRoute = typeof remove;
