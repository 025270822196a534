import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { inRequestScope, logLine } from "../lib/log";
import type { AppBindings } from "../types";

/**
 * The route pattern that answered (`/api/v1/activity-logs/:id`), not the raw path,
 * so log lines group by endpoint and carry no IDs from the URL. Middleware is
 * registered for every method; the last route bound to a method is the endpoint.
 * Null when no endpoint matched (a 404).
 */
function routePattern(c: Parameters<typeof matchedRoutes>[0]): string | null {
  const endpoint = matchedRoutes(c).findLast((route) => route.method !== "ALL");
  return endpoint?.path ?? null;
}

/**
 * One structured line per request, written after the response is final: method,
 * route pattern, status, duration, and who called (sub and org) when the token was
 * valid. Everything logged during the request carries its ID.
 */
export const requestLog = createMiddleware<AppBindings>((c, next) =>
  inRequestScope(c.get("requestId"), async () => {
    const started = Date.now();
    await next();
    const caller = c.get("caller");
    logLine("info", "request", {
      method: c.req.method,
      route: routePattern(c),
      status: c.res.status,
      duration_ms: Date.now() - started,
      sub: caller?.sub ?? null,
      org: caller?.org ?? null,
    });
  }),
);
