import { cors as honoCors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { configOf } from "../config";
import type { AppBindings } from "../types";

/** Request headers a browser client may send (Authorization: bearer tokens, never cookies). */
const ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "Idempotency-Key",
  "If-Match",
  "If-None-Match",
  "X-D1-Bookmark",
  "X-Request-Id",
];

/** Response headers a browser client may read. */
const EXPOSED_HEADERS = [
  "ETag",
  "Location",
  "X-Request-Id",
  "X-D1-Bookmark",
  "RateLimit-Policy",
  "RateLimit",
  "Retry-After",
  "Idempotent-Replayed",
];

const ALLOWED_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"];
/** How long a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

const corsFor = new Map<string, ReturnType<typeof honoCors>>();

/**
 * CORS for the origins in `CORS_ORIGINS`, the first middleware on /api/v1, so a preflight is
 * answered before authentication asks it for a token. A request from any other origin (or
 * none) gets no CORS headers at all and goes on as it would without CORS. No credentials
 * mode: the API takes bearer tokens only.
 */
export const cors = createMiddleware<AppBindings>(async (c, next) => {
  const result = configOf(c.env);
  const origins = result.ok ? result.config.corsOrigins : [];
  if (origins.length === 0) return next();
  // Answers differ by Origin, so any cache that keeps one must key it by Origin.
  c.header("Vary", "Origin", { append: true });
  const origin = c.req.header("Origin");
  if (origin === undefined || !origins.includes(origin)) return next();
  const key = origins.join(",");
  let middleware = corsFor.get(key);
  if (middleware === undefined) {
    middleware = honoCors({
      origin: origins,
      allowMethods: ALLOWED_METHODS,
      allowHeaders: ALLOWED_HEADERS,
      exposeHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_SECONDS,
      credentials: false,
    });
    corsFor.set(key, middleware);
  }
  return middleware(c, next);
});
