import { createRouter } from "../../http/create-app";
import * as handlers from "./proxy-audit-logs.handlers";
import * as routes from "./proxy-audit-logs.routes";

// The fixed segments are registered before /{id} so that they win.
export const proxyAuditLogsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.verify, handlers.verify)
  .openapi(routes.exportLog, handlers.exportLog)
  .openapi(routes.byCoordinator, handlers.byCoordinator)
  .openapi(routes.get, handlers.get)
  .openapi(routes.create, handlers.create)
  .openapi(routes.annotate, handlers.annotate)
  .openapi(routes.remove, handlers.remove);
