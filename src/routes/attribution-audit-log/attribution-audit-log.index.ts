import { createRouter } from "../../http/create-app";
import * as handlers from "./attribution-audit-log.handlers";
import * as routes from "./attribution-audit-log.routes";

export const attributionAuditLogRouter = createRouter().openapi(routes.auditLog, handlers.auditLog);
