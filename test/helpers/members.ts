import { env } from "cloudflare:workers";
import type { MemberRole } from "../../src/auth/caller";
import { createDb } from "../../src/db/client";
import { upsertMember } from "../../src/db/queries/members";

/** Writes a member straight into D1 for a test's setup. */
export async function addMember(
  org: string,
  memberId: string,
  roles: MemberRole[],
  options: { name?: string; active?: boolean } = {},
): Promise<void> {
  await upsertMember(createDb(env.DB), org, memberId, {
    name: options.name ?? memberId,
    roles,
    active: options.active ?? true,
  });
}
