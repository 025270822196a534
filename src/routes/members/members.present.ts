import { MEMBER_ROLES } from "../../auth/caller";
import { getMember } from "../../db/queries/members";
import { memberRepresentation, memberTag as memberTagBasis } from "../../db/queries/representations";
import type { MemberRow } from "../../db/schema";
import { type CurrentRepresentation, tagOf } from "../../http/etag";
import type { Precondition } from "../../http/precondition";

/** A member as the member routes show it, with only the roles the service knows. */
export const member = memberRepresentation(MEMBER_ROLES);

export const toMember = (row: MemberRow) => member.of(row);

export const memberTag = (org: string, row: MemberRow) => tagOf(memberTagBasis, org, row, toMember(row));

/** The member and its ETag, as a 412 carries them. */
export const currentOf = (org: string, row: MemberRow): CurrentRepresentation => ({
  body: toMember(row),
  etag: memberTag(org, row),
});

/** If-Match on a member: it names only an existing member, so a conditional PUT never creates one. */
export const memberPrecondition = (memberId: string): Precondition<MemberRow> => ({
  read: (org) => getMember(org.db, org.id, memberId),
  current: (orgId, row) => ({ tags: [memberTag(orgId, row)], representation: currentOf(orgId, row) }),
});
