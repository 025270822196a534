import { createRouter } from "../../http/create-app";
import * as handlers from "./proxy-audit-logs.handlers";
import * as routes from "./proxy-audit-logs.routes";

// /by-coordinator is registered before /{id} so that it wins; /verify, /export, /checkpoint(s)
// and /consistency are routers mounted before this one.
export const proxyAuditLogsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.byCoordinator, handlers.byCoordinator)
  .openapi(routes.get, handlers.get)
  .openapi(routes.create, handlers.create)
  .openapi(routes.annotate, handlers.annotate)
  .openapi(routes.remove, handlers.remove);
