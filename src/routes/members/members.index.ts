import { createRouter } from "../../http/create-app";
import * as handlers from "./members.handlers";
import * as routes from "./members.routes";

export const membersRouter = createRouter()
  .openapi(routes.list, handlers.list)
  .openapi(routes.get, handlers.get)
  .openapi(routes.put, handlers.put);
