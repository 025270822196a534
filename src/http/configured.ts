import { createMiddleware } from "hono/factory";
import { type Config, configOf, isLoopbackHost } from "../config";
import { AppError } from "../lib/errors";
import { logLine } from "../lib/log";
import type { AppBindings } from "../types";

/** What the configuration check puts on the request's context. */
export interface ConfigVariables {
  config: Config;
}

/** How long a client should wait before trying a misconfigured deployment again. */
const RETRY_AFTER_SECONDS = "300";

const unavailable = (detail: string) =>
  new AppError("service_unavailable", detail, { headers: { "Retry-After": RETRY_AFTER_SECONDS } });

/**
 * Fails closed: a deployment whose configuration does not parse answers 503 on every API
 * request and logs why, and the public development JWT_SECRET is accepted only from this
 * machine (a loopback host), so a deployment that kept it lets nobody mint tokens.
 */
export const configured = createMiddleware<AppBindings>(async (c, next) => {
  const result = configOf(c.env);
  if (!result.ok) {
    logLine("error", "configuration refused; the API answers 503 until it is fixed", {
      problems: result.problems,
    });
    throw unavailable("The service is not configured correctly; its operators have been told why");
  }
  const { config } = result;
  if (config.keys.kind === "secret" && config.keys.isDevelopmentSecret) {
    const host = new URL(c.req.url).hostname;
    if (!isLoopbackHost(host)) {
      logLine("error", "development JWT_SECRET refused on a non-loopback host", { host });
      throw unavailable(
        "This deployment uses the public development JWT_SECRET, accepted only on localhost; set a secret of its own",
      );
    }
  }
  c.set("config", config);
  await next();
});
