import type { Context } from "hono";
import type { ActorContext } from "../db/queries/outbox";
import { MAX_IP_LENGTH, MAX_USER_AGENT_LENGTH } from "../lib/limits";
import type { AppBindings } from "../types";

// Clipped rather than rejected: an odd header must not make the request that caused the event fail.
function clipped(header: string | undefined, maxLength: number): string | null {
  const value = header?.trim();
  return value ? value.slice(0, maxLength) : null;
}

/**
 * The client's address as the edge reports it (`CF-Connecting-IP`), or undefined under
 * `npm run dev` (`LOCAL_DEVELOPMENT`): there no edge sets the header, wrangler passes on the one
 * the client sent, and a value any client can choose must neither be recorded as where a request
 * came from nor give a caller a fresh quota with every request.
 */
export function clientAddress(c: Context<AppBindings>): string | undefined {
  return c.var.config.localDevelopment ? undefined : c.req.header("CF-Connecting-IP");
}

/**
 * The authenticated caller and where its request came from (`clientAddress`, `User-Agent`),
 * as the actor of the audit events the request causes. A blank token name is no name.
 */
export function requestActor(c: Context<AppBindings>): ActorContext {
  const caller = c.var.caller;
  return {
    actor_id: caller.sub,
    actor_name: caller.name?.trim() || null,
    ip_address: clipped(clientAddress(c), MAX_IP_LENGTH),
    user_agent: clipped(c.req.header("User-Agent"), MAX_USER_AGENT_LENGTH),
  };
}
