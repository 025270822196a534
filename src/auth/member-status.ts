import type { Db } from "../db/client";
import { getMember } from "../db/queries/members";
import type { Caller } from "./caller";

/**
 * How long this isolate trusts a member's active flag. A deactivation made
 * through this isolate takes effect at once; one made elsewhere within this many
 * milliseconds, so a read stays one D1 round trip for a caller seen recently.
 */
const MEMBER_STATUS_TTL_MS = 30_000;

const memberStatus = new Map<string, { active: boolean; expires: number }>();

const statusKey = (org: string, memberId: string) => `${org}\u0000${memberId}`;

/** Called after a member write so this isolate sees the new status at once. */
export function forgetMemberStatus(org: string, memberId: string): void {
  memberStatus.delete(statusKey(org, memberId));
}

/** Whether the caller's member record is inactive; a caller without one keeps its token's roles. */
export async function isDeactivated(db: Db, caller: Caller): Promise<boolean> {
  const key = statusKey(caller.org, caller.sub);
  const cached = memberStatus.get(key);
  const now = Date.now();
  if (cached && cached.expires > now) return !cached.active;
  const member = await getMember(db, caller.org, caller.sub);
  const active = member?.active ?? true;
  memberStatus.set(key, { active, expires: now + MEMBER_STATUS_TTL_MS });
  return !active;
}
