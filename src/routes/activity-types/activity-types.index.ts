import { createRouter } from "../../http/create-app";
import * as handlers from "./activity-types.handlers";
import * as routes from "./activity-types.routes";

export const activityTypesRouter = createRouter().openapi(routes.list, handlers.list);
