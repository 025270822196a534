import { createRouter } from "../../http/create-app";
import * as handlers from "./activity-logs.handlers";
import * as routes from "./activity-logs.routes";
import { upload } from "./activity-logs.upload";
import * as writes from "./activity-logs.writes";

// The fixed /mentor/{mentor_id}/… and /batch paths are registered before /{id}, so they always win.
export const activityLogsRouter = createRouter()
  .openapi(routes.summary, handlers.summary)
  .openapi(routes.countByType, handlers.countByType)
  .openapi(routes.list, handlers.list)
  .openapi(routes.create, writes.create)
  .openapi(routes.upload, upload)
  .openapi(routes.get, handlers.get)
  .openapi(routes.update, writes.update)
  .openapi(routes.remove, writes.remove);
