import type { Context } from "hono";
import type { ActorContext } from "../db/queries/outbox";
import { MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH } from "../lib/limits";
import type { AppBindings } from "../types";

// Clipped rather than rejected: an odd header must not make the request that caused the event fail.
function header(c: Context, name: string, maxLength: number): string | null {
  const value = c.req.header(name)?.trim();
  return value ? value.slice(0, maxLength) : null;
}

/**
 * The authenticated caller and where its request came from (`CF-Connecting-IP`, `User-Agent`),
 * as the actor of the audit events the request causes. A blank token name is no name.
 */
export function requestActor(c: Context<AppBindings>): ActorContext {
  const caller = c.var.caller;
  return {
    actor_id: caller.sub,
    actor_name: caller.name?.trim() || null,
    ip_address: header(c, "CF-Connecting-IP", MAX_IP_LENGTH),
    user_agent: header(c, "User-Agent", MAX_USER_AGENT_LENGTH),
  };
}
