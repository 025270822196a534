import { and, asc, count, eq, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "../client";
import { type MemberRow, members } from "../schema";

export interface MemberFilter {
  role?: string;
  active?: boolean;
  q?: string;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** True when a JSON array of roles (a column or expression) holds `role`. */
export function holdsRole(roles: SQL | SQLiteColumn, role: string): SQL {
  return sql`exists (select 1 from json_each(${roles}) where json_each.value = ${role})`;
}

/** A member of `orgId` who is active and holds `role`, for use inside a larger statement. */
export function activeMemberWithRole(orgId: string, memberId: SQL | string, role: string): SQL {
  return sql`exists (select 1 from ${members} m where m.org_id = ${orgId} and m.member_id = ${memberId}
    and m.active = 1 and ${holdsRole(sql`m.roles`, role)})`;
}

/** Why a member named as a mentor cannot be one. */
export type MentorRefusal = "mentor_unknown" | "not_a_mentor" | "mentor_inactive";

/** Columns that tell whether a member can be named as a mentor, to select beside a write. */
export function mentorStatus(orgId: string, memberId: string) {
  return {
    mentorActive: sql<
      number | null
    >`(select active from ${members} where org_id = ${orgId} and member_id = ${memberId})`.as(
      "mentor_active",
    ),
    mentorIsMentor: sql<number>`exists (select 1 from ${members} m where m.org_id = ${orgId}
      and m.member_id = ${memberId} and ${holdsRole(sql`m.roles`, "mentor")})`.as("mentor_is_mentor"),
  };
}

/** The reason `mentorStatus`'s columns give, or null when the member is an active mentor. */
export function mentorRefusal(status: {
  mentorActive: number | null;
  mentorIsMentor: number;
}): MentorRefusal | null {
  if (status.mentorActive === null) return "mentor_unknown";
  if (!status.mentorIsMentor) return "not_a_mentor";
  if (!status.mentorActive) return "mentor_inactive";
  return null;
}

/** The member's current name, as a scalar subquery. */
export function memberName(orgId: string, memberId: SQL | string): SQL {
  return sql`(select name from ${members} where org_id = ${orgId} and member_id = ${memberId})`;
}

function memberConditions(orgId: string, filter: MemberFilter): SQL | undefined {
  const conditions: SQL[] = [eq(members.orgId, orgId)];
  if (filter.role !== undefined) {
    conditions.push(holdsRole(members.roles, filter.role));
  }
  if (filter.active !== undefined) conditions.push(eq(members.active, filter.active));
  if (filter.q !== undefined) {
    const pattern = `%${escapeLike(filter.q)}%`;
    conditions.push(sql`${members.name} like ${pattern} escape '\\'`);
  }
  return and(...conditions);
}

/** One page of members plus the total under the same filter, in one round trip. */
export async function listMembers(
  db: Db,
  orgId: string,
  filter: MemberFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: MemberRow[]; total: number }> {
  const where = memberConditions(orgId, filter);
  const [rows, totals] = await db.batch([
    db
      .select()
      .from(members)
      .where(where)
      .orderBy(asc(members.name), asc(members.memberId))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ total: count() }).from(members).where(where),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

export async function getMember(db: Db, orgId: string, memberId: string): Promise<MemberRow | undefined> {
  return db
    .select()
    .from(members)
    .where(and(eq(members.orgId, orgId), eq(members.memberId, memberId)))
    .get();
}

export interface MemberInput {
  name: string;
  roles: string[];
  active: boolean;
}

/**
 * Creates or replaces a member; answers the stored row and whether it was new.
 * With `seenUpdatedAt` it only replaces the member as it was read, and answers
 * undefined when someone changed (or deleted) it in between.
 */
export async function upsertMember(
  db: Db,
  orgId: string,
  memberId: string,
  input: MemberInput,
  seenUpdatedAt?: string,
): Promise<{ row: MemberRow; created: boolean } | undefined> {
  const now = sql`(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`;
  const [existing, written] = await db.batch([
    db
      .select({ memberId: members.memberId })
      .from(members)
      .where(and(eq(members.orgId, orgId), eq(members.memberId, memberId))),
    db
      .insert(members)
      .values({ orgId, memberId, ...input })
      .onConflictDoUpdate({
        target: [members.orgId, members.memberId],
        set: { name: input.name, roles: input.roles, active: input.active, updatedAt: now },
        setWhere: seenUpdatedAt === undefined ? undefined : eq(members.updatedAt, seenUpdatedAt),
      })
      .returning(),
  ]);
  const row = written[0];
  if (!row) {
    if (seenUpdatedAt !== undefined) return undefined;
    throw new Error("member upsert returned no row");
  }
  return { row, created: existing.length === 0 };
}
