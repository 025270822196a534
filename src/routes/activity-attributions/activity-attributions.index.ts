import { createRouter } from "../../http/create-app";
import * as answers from "./activity-attributions.answers";
import * as handlers from "./activity-attributions.handlers";
import * as routes from "./activity-attributions.routes";
import * as writes from "./activity-attributions.writes";

// Mounted after the audit-log and batches routers, so their fixed segments win over /{id}.
export const activityAttributionsRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.create, writes.create)
  .openapi(routes.get, handlers.get)
  .openapi(routes.update, writes.update)
  .openapi(routes.remove, writes.remove)
  .openapi(routes.confirm, answers.confirm)
  .openapi(routes.dispute, answers.dispute);
