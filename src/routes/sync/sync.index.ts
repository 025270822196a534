import { createRouter } from "../../http/create-app";
import * as handlers from "./sync.handlers";
import * as routes from "./sync.routes";

export const syncRouter = createRouter().openapi(routes.changes, handlers.changes);
