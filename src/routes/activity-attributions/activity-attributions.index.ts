import { createRouter } from "../../lib/create-app";
import * as handlers from "./activity-attributions.handlers";
import * as routes from "./activity-attributions.routes";

// Fixed segments (/audit-log, /batches) are registered before /{id}.
export const activityAttributionsRouter = createRouter()
  .openapi(routes.auditLog, handlers.auditLog)
  .openapi(routes.createBatch, handlers.createBatch)
  .openapi(routes.confirmBatch, handlers.confirmBatch)
  .openapi(routes.list, handlers.list)
  .openapi(routes.create, handlers.create)
  .openapi(routes.get, handlers.get)
  .openapi(routes.update, handlers.update)
  .openapi(routes.remove, handlers.remove);
