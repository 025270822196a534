import { createMiddleware } from "hono/factory";
import type { Caller } from "../auth/caller";
import { isDeactivated } from "../auth/member-status";
import { verifyToken } from "../auth/verify";
import { AppError, forbidden, unauthorized } from "../lib/errors";
import type { AppBindings } from "../types";
import { limitAnonymous } from "./rate-limit";

/** What authentication puts on the request's context. */
export interface AuthVariables {
  /** Who is calling, from the verified token. */
  caller: Caller;
}

const BEARER = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i;

async function callerOf(
  header: string | undefined,
  config: AppBindings["Variables"]["config"],
): Promise<Caller> {
  if (!header) throw unauthorized("A bearer token is required");
  const match = BEARER.exec(header);
  if (!match?.[1]) throw unauthorized("The Authorization header is not a bearer token");
  return verifyToken(match[1], config);
}

/**
 * Verifies the bearer token and puts the caller in context. A request without a valid token
 * is counted against its client IP first, so it gets a 429 rather than a 401 once its address
 * is over the anonymous quota.
 */
export const authenticate = createMiddleware<AppBindings>(async (c, next) => {
  let caller: Caller;
  try {
    caller = await callerOf(c.req.header("authorization"), c.var.config);
  } catch (err) {
    if (err instanceof AppError && err.code === "unauthorized") await limitAnonymous(c);
    throw err;
  }
  c.set("caller", caller);
  await next();
});

/**
 * Refuses a caller whose member record is inactive, so a deactivation takes effect before
 * its token expires. A service identity (only the `system` role) is never a member.
 */
export const activeMember = createMiddleware<AppBindings>(async (c, next) => {
  const caller = c.var.caller;
  const isService = caller.roles.length > 0 && caller.roles.every((r) => r === "system");
  if (!isService && (await isDeactivated(c.var.org.db, caller))) {
    throw forbidden("Your member record is inactive");
  }
  await next();
});
