import { createRoute, z } from "@hono/zod-openapi";
import { MemberId } from "../../lib/fields";
import { HttpStatus } from "../../lib/http-status";
import {
  authedErrors,
  bearerSecurity,
  bodyErrors,
  ConditionalGetHeaders,
  ConditionalKeyedWriteHeaders,
  errorResponses,
  idempotencyErrors,
  jsonBody,
  jsonContent,
  jsonWithETag,
  notModifiedResponse,
  preconditionFailedOf,
  problemResponseOf,
} from "../../lib/openapi";
import { MemberInputSchema, MemberListQuery, MemberPage, MemberSchema } from "./members.schemas";

const tags = ["Members"];

export const list = createRoute({
  method: "get",
  path: "/api/v1/members",
  operationId: "listMembers",
  summary: "List the organisation's members",
  tags,
  security: bearerSecurity,
  request: { query: MemberListQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(MemberPage, "A page of members, ordered by name"),
    ...authedErrors,
  },
});

export const get = createRoute({
  method: "get",
  path: "/api/v1/members/{member_id}",
  operationId: "getMember",
  summary: "Get one member",
  tags,
  security: bearerSecurity,
  request: { headers: ConditionalGetHeaders, params: z.object({ member_id: MemberId }) },
  responses: {
    [HttpStatus.OK]: jsonWithETag(MemberSchema, "The member"),
    ...authedErrors,
    ...errorResponses.notFound,
    ...notModifiedResponse,
  },
});

export const put = createRoute({
  method: "put",
  path: "/api/v1/members/{member_id}",
  operationId: "putMember",
  summary: "Create or update a member (admin)",
  tags,
  security: bearerSecurity,
  request: {
    headers: ConditionalKeyedWriteHeaders,
    params: z.object({ member_id: MemberId }),
    body: jsonBody(MemberInputSchema, "The member's name, roles and status"),
  },
  responses: {
    [HttpStatus.OK]: jsonWithETag(MemberSchema, "The member was updated"),
    [HttpStatus.CREATED]: jsonWithETag(MemberSchema, "The member was created"),
    ...bodyErrors,
    [HttpStatus.NOT_FOUND]: problemResponseOf(
      "If-Match was sent and no such member exists; nothing was created",
    ),
    ...preconditionFailedOf(MemberSchema),
    ...idempotencyErrors,
  },
});

export type ListRoute = typeof list;
export type GetRoute = typeof get;
export type PutRoute = typeof put;
