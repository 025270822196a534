import { createRouter } from "../../http/create-app";
import * as answers from "./activity-attributions.answers";
import * as handlers from "./activity-attributions.handlers";
import * as routes from "./activity-attributions.routes";

// Mounted after the audit-log and batches routers, so their fixed segments win over /{id}.
export const activityAttributionsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.create, handlers.create)
  .openapi(routes.get, handlers.get)
  .openapi(routes.update, handlers.update)
  .openapi(routes.remove, handlers.remove)
  .openapi(routes.confirm, answers.confirm)
  .openapi(routes.dispute, answers.dispute);
