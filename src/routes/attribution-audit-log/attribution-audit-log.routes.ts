import { createRoute } from "@hono/zod-openapi";
import { HttpStatus } from "../../lib/http-status";
import { authedErrors, bearerSecurity, jsonContent } from "../../lib/openapi";
import { ATTRIBUTION_TAGS, ATTRIBUTIONS_PATH } from "../activity-attributions/activity-attributions.routes";
import { OrgAuditLogQuery, OrgAuditPage } from "./attribution-audit-log.schemas";

const tags = ATTRIBUTION_TAGS;
const BASE = ATTRIBUTIONS_PATH;

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

export type AuditLogRoute = typeof auditLog;
