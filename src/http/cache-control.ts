import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../types";

/**
 * Every API answer is someone's data. A successful GET may be kept by the device that asked
 * (`private`) but must be revalidated with its ETag before reuse (`no-cache`); everything else,
 * problems included, is kept nowhere. A handler that set its own policy keeps it.
 */
export const cacheControl = createMiddleware<AppBindings>(async (c, next) => {
  await next();
  if (c.res.headers.has("Cache-Control")) return;
  const revalidatable = c.req.method === "GET" && c.res.status < 400;
  c.res.headers.set("Cache-Control", revalidatable ? "private, no-cache" : "no-store");
});
