import { createRouter } from "../../http/create-app";
import * as handlers from "./audit-log-export.handlers";
import * as routes from "./audit-log-export.routes";

export const auditLogExportRouter = createRouter().openapi(routes.exportLog, handlers.exportLog);
