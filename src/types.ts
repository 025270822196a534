import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { RequestIdVariables } from "hono/request-id";
import type { Env } from "./env";
import type { AuthVariables } from "./http/authenticate";
import type { ConfigVariables } from "./http/configured";
import type { DatabaseVariables } from "./http/database";
import type { IdempotencyVariables } from "./http/idempotency";

/** Every variable the request pipeline sets, each declared by the middleware that sets it. */
export type AppVariables = RequestIdVariables &
  ConfigVariables &
  AuthVariables &
  DatabaseVariables &
  IdempotencyVariables;

export interface AppBindings {
  Bindings: Env;
  Variables: AppVariables;
}

export type AppOpenAPI = OpenAPIHono<AppBindings>;

export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppBindings>;
