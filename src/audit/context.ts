import type { Context } from "hono";
import type { AppBindings } from "../lib/types";
import { MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH } from "./events";
import type { AuditActor } from "./types";

/** Where the request that caused an event came from, as an event records it. */
export interface AuditRequestContext {
  ip_address: string | null;
  user_agent: string | null;
}

// Clipped rather than rejected: an odd header must not make the request that caused the event fail.
function header(c: Context, name: string, maxLength: number): string | null {
  const value = c.req.header(name)?.trim();
  return value ? value.slice(0, maxLength) : null;
}

/** `ip_address` from CF-Connecting-IP and `user_agent` from User-Agent. */
export function requestContext(c: Context): AuditRequestContext {
  return {
    ip_address: header(c, "CF-Connecting-IP", MAX_IP_LENGTH),
    user_agent: header(c, "User-Agent", MAX_USER_AGENT_LENGTH),
  };
}

/** The authenticated caller and its request, as the actor of an annotation or deletion. */
export function requestActor(c: Context<AppBindings>): AuditActor {
  const caller = c.get("caller");
  return { actor_id: caller.sub, actor_name: caller.name?.trim() || null, ...requestContext(c) };
}
