import type { MemberRole } from "../../src/auth/caller";
import { members } from "../../src/db/schema";
import { orgDb } from "./databases";

/** Writes a member straight into D1 for a test's setup (created, or replaced as it is). */
export async function addMember(
  org: string,
  memberId: string,
  roles: MemberRole[],
  options: { name?: string; active?: boolean } = {},
): Promise<void> {
  const fields = { name: options.name ?? memberId, roles, active: options.active ?? true };
  await (await orgDb(org))
    .insert(members)
    .values({ orgId: org, memberId, ...fields })
    .onConflictDoUpdate({ target: [members.orgId, members.memberId], set: fields });
}
