import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Caller } from "../auth/caller";
import type { Env } from "./env";

export interface AppVariables {
  requestId: string;
  caller: Caller;
}

export interface AppBindings {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppOpenAPI = OpenAPIHono<AppBindings>;

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppBindings>;
