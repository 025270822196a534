import { and, asc, count, eq, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { ok, refused } from "../../lib/result";
import type { Db } from "../client";
import { auditOutbox, type MemberRow, members } from "../schema";
import { type ActorContext, changedFields, recordEventPayload, toOutboxEvent } from "./outbox";
import { unchangedSince } from "./unchanged";
import { prepareWrite, query } from "./write-batch";

export interface MemberFilter {
  role?: string;
  active?: boolean;
  q?: string;
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
    // instr rather than LIKE: D1 refuses LIKE patterns over 50 bytes, and `%` and `_` are then
    // plain characters with no escaping. lower() folds ASCII, as LIKE does.
    conditions.push(sql`instr(lower(${members.name}), lower(${filter.q})) > 0`);
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

/** The columns a member event names as `{field: {from, to}}`, JSON-typed as the API shows them. */
function memberChanges(input: MemberInput, created: boolean): SQL {
  const roles = JSON.stringify(input.roles);
  const active = input.active ? "true" : "false";
  const stored = {
    name: created ? sql`null` : sql`${members.name}`,
    roles: created ? sql`null` : sql`json(${members.roles})`,
    active: created ? sql`null` : sql`json(case when ${members.active} then 'true' else 'false' end)`,
  };
  return changedFields([
    { name: "name", from: stored.name, to: sql`${input.name}` },
    { name: "roles", from: stored.roles, to: sql`json(${roles})` },
    { name: "active", from: stored.active, to: sql`json(${active})` },
  ]);
}

/**
 * The audit event of a member's creation or change, written before the upsert in the same batch:
 * `member_created` when there is no such member, `member_updated` when the upsert will change one
 * (with its precondition) and a field differs.
 */
function memberEvent(
  db: Db,
  orgId: string,
  memberId: string,
  input: MemberInput,
  audit: MemberAudit,
  seen: MemberRow | undefined,
) {
  const byId = and(eq(members.orgId, orgId), eq(members.memberId, memberId));
  const row = (created: boolean) => ({
    eventId: sql`${audit.eventId}`.as("event_id"),
    orgId: sql`${orgId}`.as("org_id"),
    payload: recordEventPayload(
      orgId,
      {
        id: audit.eventId,
        action: created ? "member_created" : "member_updated",
        fields: { member_id: sql`${memberId}` },
        changes: memberChanges(input, created),
      },
      audit.actor,
      audit.now,
    ).as("payload"),
    createdAt: sql`${audit.now}`.as("created_at"),
    attempts: sql`0`.as("attempts"),
    lastError: sql`null`.as("last_error"),
  });
  const exists = db.select({ one: sql`1` }).from(members).where(byId);
  return [
    db
      .insert(auditOutbox)
      .select(db.select(row(true)).from(sql`(select 1)`).where(sql`not exists ${exists}`))
      .returning({ event_id: auditOutbox.eventId, payload: auditOutbox.payload }),
    db
      .insert(auditOutbox)
      .select(
        db
          .select(row(false))
          .from(members)
          .where(
            and(
              byId,
              seen === undefined ? undefined : unchangedSince(members, seen),
              sql`${memberChanges(input, false)} <> '{}'`,
            ),
          ),
      )
      .returning({ event_id: auditOutbox.eventId, payload: auditOutbox.payload }),
  ] as const;
}

/** Who makes a member change, for its audit event. */
export interface MemberAudit {
  eventId: string;
  actor: ActorContext;
  now: string;
}

/** A member as a write left it, and whether the write created it. */
export interface WrittenMember {
  row: MemberRow;
  created: boolean;
}

/**
 * Creates or replaces a member, with the audit event of the change. With `seen` it only replaces
 * the member as it was read, and is refused as stale (with the member as it now is) when someone
 * changed it in between. Whether the upsert lands, and whether it creates, is known only before
 * it runs, so its Idempotency-Key answer is decided there, by the upsert's own condition.
 */
export function upsertMember(
  db: Db,
  orgId: string,
  memberId: string,
  input: MemberInput,
  seen: MemberRow | undefined,
  audit: MemberAudit,
) {
  const now = sql`(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`;
  const byId = and(eq(members.orgId, orgId), eq(members.memberId, memberId));
  const [createdEvent, updatedEvent] = memberEvent(db, orgId, memberId, input, audit, seen);
  const existing = sql`exists (select 1 from ${members} where ${byId})`;
  return prepareWrite({
    steps: {
      existing: query(db.select({ memberId: members.memberId }).from(members).where(byId)),
      createdEvent: query(createdEvent),
      updatedEvent: query(updatedEvent),
      upsert: query(
        db
          .insert(members)
          .values({ orgId, memberId, ...input })
          .onConflictDoUpdate({
            target: [members.orgId, members.memberId],
            set: { name: input.name, roles: input.roles, active: input.active, updatedAt: now },
            setWhere: seen === undefined ? undefined : unchangedSince(members, seen),
          })
          .returning(),
      ),
      // The member as it is after the batch: what a refused conditional write answers with (SPEC §10).
      after: query(db.select().from(members).where(byId)),
    },
    outcome: (results) => {
      const row = results.upsert[0];
      if (!row) return refused<"stale", MemberRow | null>("stale", results.after[0] ?? null);
      const events = [...results.createdEvent, ...results.updatedEvent].map(toOutboxEvent);
      return ok({ value: { row, created: results.existing.length === 0 }, events });
    },
    answer: {
      from: sql`from ${members} m where m.org_id = ${orgId} and m.member_id = ${memberId}`,
      row: { alias: "m" },
      decidedBefore: {
        step: "upsert",
        where:
          seen === undefined
            ? sql`from (select 1)`
            : sql`from (select 1) where not ${existing} or exists (select 1 from ${members}
                where ${and(byId, unchangedSince(members, seen))})`,
        created: sql`not ${existing}`,
      },
    },
  });
}
