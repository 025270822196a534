import { inArray, type SQL, sql } from "drizzle-orm";
import type { ActionAbout, ProducedAction } from "../../audit/vocabulary";
import type { Db } from "../client";
import { auditOutbox, orgFreezes } from "../schema";
import { memberName } from "./members";

/**
 * The audit outbox: every audit event is written here in the same D1 batch as the data it
 * describes, then appended to the organisation's audit object and cleared. Its payloads are
 * built in SQL, inside the write, so they hold names and IDs exactly as the write left them.
 */

/** An event as the outbox holds it: its ID and its payload, the audit object's input as JSON. */
export interface OutboxEvent {
  eventId: string;
  payload: string;
}

/** An outbox row as SQLite returns it from `returning event_id, payload`. */
export interface OutboxRaw {
  event_id: string;
  payload: string;
}

export const toOutboxEvent = (raw: OutboxRaw): OutboxEvent => ({
  eventId: raw.event_id,
  payload: raw.payload,
});

/** Who caused an event and from which request, as its audit entry records it. */
export interface ActorContext {
  actor_id: string;
  /** The token's name, used when the actor has no member record. */
  actor_name: string | null;
  ip_address: string | null;
  user_agent: string | null;
}

/** The actor's member name as it is now, else the token's name. */
function actorName(orgId: string, actor: ActorContext): SQL {
  return sql`coalesce(${memberName(orgId, actor.actor_id)}, ${actor.actor_name})`;
}

/** The fields every event payload starts and ends with. */
function eventEnvelope(orgId: string, id: SQL, action: ProducedAction, actor: ActorContext, now: string) {
  return {
    head: sql`'event_id', ${id}, 'action', ${action}, 'actor_id', ${actor.actor_id}, 'actor_name', ${actorName(orgId, actor)}`,
    tail: sql`'ip_address', ${actor.ip_address}, 'user_agent', ${actor.user_agent}, 'occurred_at', ${now}`,
  };
}

/**
 * The audit payload of an event about the attribution row aliased `a`, with the
 * actor's and the mentor's names as they are at this moment. `changes` is JSON text, or SQL
 * that builds it from `a` (a change computed from the row as the write found it).
 */
export function attributionEventPayload(
  orgId: string,
  event: { id: SQL; action: ActionAbout<"attribution">; changes?: string | SQL },
  actor: ActorContext,
  now: string,
): SQL {
  const { head, tail } = eventEnvelope(orgId, event.id, event.action, actor, now);
  return sql`json_object(${head},
    'coordinator_id', a.coordinator_id,
    'mentor_id', a.mentor_id,
    'mentor_name', ${memberName(orgId, sql`a.mentor_id`)},
    'activity_id', a.activity_id,
    'attribution_id', a.attribution_id,
    'batch_id', a.batch_id,
    'activity_type_id', a.activity_type_id,
    'activity_date', a.activity_date,
    ${event.changes === undefined ? sql`` : sql`'changes', json(${event.changes}),`}
    ${tail})`;
}

/** The audit payload of an event about the batch row aliased `b`. */
export function batchEventPayload(
  orgId: string,
  event: { id: string; action: ActionAbout<"batch"> },
  actor: ActorContext,
  now: string,
): SQL {
  const { head, tail } = eventEnvelope(orgId, sql`${event.id}`, event.action, actor, now);
  return sql`json_object(${head},
    'coordinator_id', b.coordinator_id,
    'batch_id', b.batch_id,
    'mentor_ids', json(b.mentor_ids),
    'activity_type_id', b.activity_type_id,
    'activity_date', b.activity_date,
    'mentor_count', b.mentor_count,
    'skipped_count', b.skipped_count,
    ${tail})`;
}

/** The actions of events about an activity log or a member, which carry `changes`. */
export type RecordAction = ActionAbout<"activity-log" | "member">;

/**
 * The audit payload of an event about a mentor's activity log (written by someone else) or a
 * member, built inside the statement that reads the record: `fields` are the record's own
 * (mentor, activity, member …) and `changes` a JSON object of `{field: {from, to}}`.
 */
export function recordEventPayload(
  orgId: string,
  event: { id: string; action: RecordAction; fields: Record<string, SQL>; changes: SQL },
  actor: ActorContext,
  now: string,
): SQL {
  const { head, tail } = eventEnvelope(orgId, sql`${event.id}`, event.action, actor, now);
  const fields = Object.entries(event.fields).map(([name, value]) => sql`${name}, ${value}`);
  return sql`json_object(${head}, ${sql.join(fields, sql`, `)}, 'changes', json(${event.changes}), ${tail})`;
}

/**
 * `{field: {from, to}}` of the fields whose value changes, as a JSON object: each entry pairs the
 * stored value (an SQL expression) with the new one, compared null-safely. Every pair is written,
 * then those that are equal are removed (a path that names no member removes nothing); D1 allows
 * no compound SELECT of more than five terms, so the pairs are not a union of rows.
 */
export function changedFields(pairs: readonly { name: string; from: SQL; to: SQL }[]): SQL {
  if (pairs.length === 0) return sql`json_object()`;
  const all = sql.join(
    pairs.map((p) => sql`${p.name}, json_object('from', ${p.from}, 'to', ${p.to})`),
    sql`, `,
  );
  const unchanged = pairs.map(
    (p) => sql`case when ${p.from} is not ${p.to} then '$.~' else ${`$.${p.name}`} end`,
  );
  return sql`json_remove(json_object(${all}), ${sql.join(unchanged, sql`, `)})`;
}

/**
 * Writes an event for each row `source` (a `from … where …` clause) yields, answering the
 * rows written; a source that yields nothing writes nothing, so the event exists exactly
 * when the write it describes happened.
 */
export function insertOutbox(orgId: string, eventId: SQL, payload: SQL, now: string, source: SQL): SQL {
  return sql`insert into ${auditOutbox} (event_id, org_id, payload, created_at)
    select ${eventId}, ${orgId}, ${payload}, ${now} ${source}
    returning event_id, payload`;
}

/** Forgets events the audit object has acknowledged. */
export async function clearOutbox(db: Db, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db
    .delete(auditOutbox)
    .where(inArray(auditOutbox.eventId, sql`(select value from json_each(${JSON.stringify(eventIds)}))`));
}

interface PendingOutboxRow {
  eventId: string;
  orgId: string;
  payload: string;
}

/**
 * Undelivered events of organisations that are not moving (a frozen organisation's rows cannot be
 * cleared, and rows being copied in are not yet the organisation's: src/db/move.ts), each
 * organisation's in the order they were written (`rowid`: the events of one batch share their
 * second) and at most `perOrganisation` of them, every organisation's oldest first. So one
 * organisation whose log refuses appends, its rows piling up, cannot crowd out the others. The
 * table holds only what is undelivered, so reading it whole is cheap.
 */
export async function pendingOutbox(
  db: Db,
  limit: number,
  perOrganisation: number,
): Promise<PendingOutboxRow[]> {
  const rows = await db.all<{ event_id: string; org_id: string; payload: string }>(sql`
    select event_id, org_id, payload from (
      select event_id, org_id, payload, created_at, rowid as written,
        row_number() over (partition by org_id order by created_at, rowid) as place
      from ${auditOutbox}
      where org_id not in (select org_id from ${orgFreezes})
    )
    where place <= ${perOrganisation}
    order by place, created_at, written
    limit ${limit}`);
  return rows.map((row) => ({ eventId: row.event_id, orgId: row.org_id, payload: row.payload }));
}

/** Records a failed delivery so operators can see stuck events. */
export async function markOutboxFailed(db: Db, eventIds: readonly string[], error: string): Promise<void> {
  if (eventIds.length === 0) return;
  await db
    .update(auditOutbox)
    .set({ attempts: sql`${auditOutbox.attempts} + 1`, lastError: error.slice(0, 500) })
    .where(inArray(auditOutbox.eventId, sql`(select value from json_each(${JSON.stringify(eventIds)}))`));
}
