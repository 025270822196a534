import { createMiddleware } from "hono/factory";
import { createDb } from "../db/client";
import { getMember } from "../db/queries/members";
import { AppError } from "../lib/errors";
import type { AppBindings } from "../lib/types";
import type { Caller } from "./caller";
import { verifyToken } from "./verify";

/**
 * How long this isolate trusts a member's active flag. A deactivation made
 * through this isolate takes effect at once; one made elsewhere within this many
 * milliseconds, so a read stays one D1 round trip for a caller seen recently.
 */
export const MEMBER_STATUS_TTL_MS = 30_000;

const memberStatus = new Map<string, { active: boolean; expires: number }>();

const statusKey = (org: string, memberId: string) => `${org}\u0000${memberId}`;

/** Called after a member write so this isolate sees the new status at once. */
export function forgetMemberStatus(org: string, memberId: string): void {
  memberStatus.delete(statusKey(org, memberId));
}

async function isDeactivated(db: D1Database, caller: Caller): Promise<boolean> {
  const key = statusKey(caller.org, caller.sub);
  const cached = memberStatus.get(key);
  const now = Date.now();
  if (cached && cached.expires > now) return !cached.active;
  const member = await getMember(createDb(db), caller.org, caller.sub);
  // A caller without a member record keeps the roles its identity provider gave it.
  const active = member?.active ?? true;
  memberStatus.set(key, { active, expires: now + MEMBER_STATUS_TTL_MS });
  return !active;
}

const BEARER = /^Bearer\s+([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]*)\s*$/i;

/** Verifies the bearer token, rejects deactivated members, and puts the caller in context. */
export const authenticate = createMiddleware<AppBindings>(async (c, next) => {
  const header = c.req.header("authorization");
  if (!header) throw new AppError("unauthorized", "A bearer token is required");
  const match = BEARER.exec(header);
  if (!match?.[1]) throw new AppError("unauthorized", "The Authorization header is not a bearer token");
  const caller = await verifyToken(match[1], c.env);
  const isService = caller.roles.length > 0 && caller.roles.every((r) => r === "system");
  if (!isService && (await isDeactivated(c.env.DB, caller))) {
    throw new AppError("forbidden", "Your member record is inactive");
  }
  c.set("caller", caller);
  await next();
});
