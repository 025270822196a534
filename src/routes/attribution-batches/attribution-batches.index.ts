import { createRouter } from "../../http/create-app";
import * as handlers from "./attribution-batches.handlers";
import * as routes from "./attribution-batches.routes";

export const attributionBatchesRouter = createRouter()
  .openapi(routes.createBatch, handlers.createBatch)
  .openapi(routes.confirmBatch, handlers.confirmBatch);
