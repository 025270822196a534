import type { MemberRole } from "../../src/auth/caller";
import { upsertMember } from "../../src/db/queries/members";
import { orgDb } from "./databases";

/** Writes a member straight into D1 for a test's setup. */
export async function addMember(
  org: string,
  memberId: string,
  roles: MemberRole[],
  options: { name?: string; active?: boolean } = {},
): Promise<void> {
  await upsertMember(await orgDb(org), org, memberId, {
    name: options.name ?? memberId,
    roles,
    active: options.active ?? true,
  });
}
