import { and, between, count, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { SortKey } from "../../lib/cursor";
import { batchSql, type Db } from "../client";
import {
  type AttributionRow,
  activities,
  attributions,
  attributionTotals,
  auditOutbox,
  idCounters,
  members,
} from "../schema";
import { activeMemberWithRole, holdsRole, memberName } from "./members";

/**
 * Attributions and their activities are written with set-based SQL inside one
 * D1 batch (one round trip, one transaction): the checks that decide whether a
 * row may be written are part of the statements that write it, and IDs are
 * taken from per-day counters in the same transaction, so they are never reused.
 */

export type IdScope = "attr" | "pact" | "batch";

/** `YYYYMMDD` of an ISO instant, for `attr-`/`pact-`/`batch-` IDs. */
export const idDay = (iso: string): string => iso.slice(0, 10).replaceAll("-", "");

/** The counter's current value, formatted as `<scope>-<day>-NNN` with an offset. */
function idExpr(orgId: string, scope: IdScope, day: string, offset: SQL = sql`0`): SQL {
  return sql`(${scope} || '-' || ${day} || '-' || printf('%03d', (select ${idCounters.lastValue} from ${idCounters}
    where ${idCounters.orgId} = ${orgId} and ${idCounters.scope} = ${scope} and ${idCounters.day} = ${day}) + ${offset}))`;
}

/** Adds `by` to a counter when `condition` holds; later statements read the new value. */
function bumpCounter(orgId: string, scope: IdScope, day: string, by: SQL, condition: SQL): SQL {
  return sql`insert into ${idCounters} (org_id, scope, day, last_value)
    select ${orgId}, ${scope}, ${day}, ${by} where ${condition} and ${by} > 0
    on conflict (org_id, scope, day) do update set last_value = last_value + excluded.last_value`;
}

function duplicateOf(orgId: string, mentorId: SQL | string, typeId: string, activityDate: string): SQL {
  return sql`exists (select 1 from ${attributions} d where d.org_id = ${orgId} and d.mentor_id = ${mentorId}
    and d.activity_type_id = ${typeId} and d.activity_date = ${activityDate})`;
}

export interface AttributionFields {
  activityTypeId: string;
  activityDate: string;
  durationMinutes: number | null;
  location: string | null;
  notes: string | null;
}

export interface ActorContext {
  actorId: string;
  /** The token's name, used when the actor has no member record. */
  actorName: string | null;
  ipAddress: string | null;
  userAgent: string | null;
}

export interface OutboxEvent {
  eventId: string;
  payload: string;
}

/** The actor's member name as it is now, else the token's name. */
export function actorName(orgId: string, actor: ActorContext): SQL {
  return sql`coalesce(${memberName(orgId, actor.actorId)}, ${actor.actorName})`;
}

/**
 * The audit payload of an event about the attribution row aliased `a`, with the
 * actor's and the mentor's names as they are at this moment.
 */
export function attributionEventPayload(
  orgId: string,
  event: { id: SQL; action: "proxy_created" | "proxy_updated" | "proxy_deleted"; changes?: string },
  actor: ActorContext,
  now: string,
): SQL {
  return sql`json_object(
    'event_id', ${event.id},
    'action', ${event.action},
    'actor_id', ${actor.actorId},
    'actor_name', ${actorName(orgId, actor)},
    'coordinator_id', a.coordinator_id,
    'mentor_id', a.mentor_id,
    'mentor_name', ${memberName(orgId, sql`a.mentor_id`)},
    'activity_id', a.activity_id,
    'attribution_id', a.attribution_id,
    'batch_id', a.batch_id,
    'activity_type_id', a.activity_type_id,
    'activity_date', a.activity_date,
    ${event.changes === undefined ? sql`` : sql`'changes', json(${event.changes}),`}
    'ip_address', ${actor.ipAddress},
    'user_agent', ${actor.userAgent},
    'occurred_at', ${now})`;
}

export interface CreateAttributionInput extends AttributionFields {
  orgId: string;
  mentorId: string;
  coordinatorId: string;
  /** Whether the named coordinator must be an active coordinator member (an admin naming someone else). */
  checkCoordinator: boolean;
  eventId: string;
  now: string;
  actor: ActorContext;
}

export interface CreateAttributionDiagnosis {
  typeKnown: boolean;
  mentorActive: boolean | null;
  mentorIsMentor: boolean;
  coordinatorOk: boolean;
  duplicate: boolean;
}

export type CreateAttributionResult =
  | {
      ok: true;
      row: AttributionRow;
      mentorName: string | null;
      coordinatorName: string | null;
      event: OutboxEvent;
    }
  | { ok: false; diagnosis: CreateAttributionDiagnosis };

/** Creates the activity, the attribution and the outbox row of its audit event in one batch. */
export async function createAttribution(
  db: Db,
  input: CreateAttributionInput,
): Promise<CreateAttributionResult> {
  const { orgId, mentorId, coordinatorId, activityTypeId, activityDate, now } = input;
  const day = idDay(now);
  const valid = sql`(exists (select 1 from activity_types where id = ${activityTypeId})
    and ${activeMemberWithRole(orgId, mentorId, "mentor")}
    and not ${duplicateOf(orgId, mentorId, activityTypeId, activityDate)}
    ${input.checkCoordinator ? sql`and ${activeMemberWithRole(orgId, coordinatorId, "coordinator")}` : sql``})`;
  const attributionId = idExpr(orgId, "attr", day);
  const activityId = idExpr(orgId, "pact", day);
  const proxy = mentorId !== coordinatorId;

  const [, , , inserted, outbox, diagnosis] = await batchSql<
    [unknown[], unknown[], unknown[], AttributionRowRaw[], OutboxRaw[], DiagnosisRaw[]]
  >(db, [
    bumpCounter(orgId, "attr", day, sql`1`, valid),
    bumpCounter(orgId, "pact", day, sql`1`, valid),
    sql`insert into ${activities} (org_id, activity_id, mentor_id, activity_type, description, contact_id,
        duration_minutes, location, notes, occurred_at, entry_mode, attribution_id, batch_id, created_by, created_at, updated_at)
      select ${orgId}, ${activityId}, ${mentorId}, ${activityTypeId},
        coalesce(${input.notes}, (select label from activity_types where id = ${activityTypeId})), null,
        ${input.durationMinutes}, ${input.location}, ${input.notes}, ${activityDate}, 'proxy', ${attributionId}, null,
        ${input.actor.actorId}, ${now}, ${now}
      where ${valid}`,
    sql`insert into ${attributions} (org_id, attribution_id, activity_id, mentor_id, coordinator_id,
        activity_type_id, activity_date, duration_minutes, location, notes, proxy, entry_mode, batch_id, created_by,
        last_event_id, created_at, updated_at)
      select ${orgId}, ${attributionId}, ${activityId}, ${mentorId}, ${coordinatorId}, ${activityTypeId}, ${activityDate},
        ${input.durationMinutes}, ${input.location}, ${input.notes}, ${proxy ? 1 : 0}, 'proxy', null, ${input.actor.actorId},
        ${input.eventId}, ${now}, ${now}
      where ${valid}
      returning *, ${memberName(orgId, mentorId)} as mentor_name, ${memberName(orgId, coordinatorId)} as coordinator_name`,
    sql`insert into ${auditOutbox} (event_id, org_id, payload, created_at)
      select ${input.eventId}, ${orgId}, ${attributionEventPayload(orgId, { id: sql`${input.eventId}`, action: "proxy_created" }, input.actor, now)}, ${now}
      from ${attributions} a where a.org_id = ${orgId} and a.last_event_id = ${input.eventId}
      returning event_id, payload`,
    sql`select
        exists (select 1 from activity_types where id = ${activityTypeId}) as type_known,
        (select active from ${members} where org_id = ${orgId} and member_id = ${mentorId}) as mentor_active,
        exists (select 1 from ${members} m where m.org_id = ${orgId} and m.member_id = ${mentorId}
          and ${holdsRole(sql`m.roles`, "mentor")}) as mentor_is_mentor,
        ${input.checkCoordinator ? activeMemberWithRole(orgId, coordinatorId, "coordinator") : sql`1`} as coordinator_ok,
        ${duplicateOf(orgId, mentorId, activityTypeId, activityDate)} as duplicate`,
  ]);

  const result = writtenWithEvent(inserted, outbox);
  if (result) return { ok: true, ...result };
  const d = diagnosis[0];
  return {
    ok: false,
    diagnosis: {
      typeKnown: Boolean(d?.type_known),
      mentorActive:
        d?.mentor_active === null || d?.mentor_active === undefined ? null : Boolean(d.mentor_active),
      mentorIsMentor: Boolean(d?.mentor_is_mentor),
      coordinatorOk: Boolean(d?.coordinator_ok),
      // After a failed insert the duplicate check still sees the pre-existing row.
      duplicate: Boolean(d?.duplicate),
    },
  };
}

interface OutboxRaw {
  event_id: string;
  payload: string;
}

interface DiagnosisRaw {
  type_known: number;
  mentor_active: number | null;
  mentor_is_mentor: number;
  coordinator_ok: number;
  duplicate: number;
}

/** A raw `attributions` row as SQLite returns it, plus joined names. */
export interface AttributionRowRaw {
  org_id: string;
  attribution_id: string;
  activity_id: string;
  mentor_id: string;
  coordinator_id: string;
  activity_type_id: string;
  activity_date: string;
  duration_minutes: number | null;
  location: string | null;
  notes: string | null;
  proxy: number;
  entry_mode: "proxy" | "bulk";
  batch_id: string | null;
  created_by: string;
  last_event_id: string;
  created_at: string;
  updated_at: string;
  mentor_name: string | null;
  coordinator_name: string | null;
}

export function fromRaw(raw: AttributionRowRaw): AttributionRow {
  return {
    orgId: raw.org_id,
    attributionId: raw.attribution_id,
    activityId: raw.activity_id,
    mentorId: raw.mentor_id,
    coordinatorId: raw.coordinator_id,
    activityTypeId: raw.activity_type_id,
    activityDate: raw.activity_date,
    durationMinutes: raw.duration_minutes,
    location: raw.location,
    notes: raw.notes,
    proxy: Boolean(raw.proxy),
    entryMode: raw.entry_mode,
    batchId: raw.batch_id,
    createdBy: raw.created_by,
    lastEventId: raw.last_event_id,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

/** The row a write returned with its names, and its outbox event; null when the write did nothing. */
function writtenWithEvent(rows: AttributionRowRaw[], outbox: OutboxRaw[]) {
  const row = rows[0];
  const event = outbox[0];
  if (!row || !event) return null;
  return {
    row: fromRaw(row),
    mentorName: row.mentor_name,
    coordinatorName: row.coordinator_name,
    event: { eventId: event.event_id, payload: event.payload },
  };
}

export interface AttributionWithNames {
  row: AttributionRow;
  mentorName: string | null;
  coordinatorName: string | null;
}

const mentorMember = sql.raw("mm");
const coordinatorMember = sql.raw("cm");

function withNames(db: Db) {
  return db
    .select({
      row: attributions,
      mentorName: sql<string | null>`${mentorMember}.name`.as("mentor_name"),
      coordinatorName: sql<string | null>`${coordinatorMember}.name`.as("coordinator_name"),
    })
    .from(attributions)
    .leftJoin(
      sql`${members} ${mentorMember}`,
      sql`${mentorMember}.org_id = ${attributions.orgId} and ${mentorMember}.member_id = ${attributions.mentorId}`,
    )
    .leftJoin(
      sql`${members} ${coordinatorMember}`,
      sql`${coordinatorMember}.org_id = ${attributions.orgId} and ${coordinatorMember}.member_id = ${attributions.coordinatorId}`,
    );
}

export async function getAttribution(
  db: Db,
  orgId: string,
  attributionId: string,
): Promise<AttributionWithNames | undefined> {
  return withNames(db)
    .where(and(eq(attributions.orgId, orgId), eq(attributions.attributionId, attributionId)))
    .get();
}

export interface AttributionFilter {
  mentorId?: string;
  coordinatorId?: string;
  activityTypeId?: string;
  from?: string;
  to?: string;
}

/** Where a page starts: `offset` rows in, or right after the row whose (activity_date, attribution_id) is `after`. */
export interface AttributionPage {
  limit: number;
  offset: number;
  after?: SortKey;
}

export const attributionSortKey = (a: AttributionWithNames): SortKey => [
  a.row.activityDate,
  a.row.attributionId,
];

/**
 * The filter as SQL. Bounds on activity_date are one range term (BETWEEN when both are
 * given; a cursor's date joins `to`), since two terms make SQLite, which has no statistics,
 * prefer the broad (org_id, activity_date) index over a mentor's or a coordinator's; the
 * cursor's tie-break on attribution_id is written `+activity_date`, checked row by row.
 */
function listConditions(orgId: string, filter: AttributionFilter, after?: SortKey): SQL | undefined {
  const conditions: SQL[] = [eq(attributions.orgId, orgId)];
  if (filter.mentorId !== undefined) conditions.push(eq(attributions.mentorId, filter.mentorId));
  if (filter.coordinatorId !== undefined)
    conditions.push(eq(attributions.coordinatorId, filter.coordinatorId));
  if (filter.activityTypeId !== undefined)
    conditions.push(eq(attributions.activityTypeId, filter.activityTypeId));
  const from = filter.from;
  let to = filter.to;
  if (after !== undefined && (to === undefined || after[0] < to)) to = after[0];
  if (from !== undefined && to !== undefined) conditions.push(between(attributions.activityDate, from, to));
  else if (from !== undefined) conditions.push(gte(attributions.activityDate, from));
  else if (to !== undefined) conditions.push(lte(attributions.activityDate, to));
  if (after !== undefined) {
    conditions.push(
      sql`(+${attributions.activityDate}, ${attributions.attributionId}) < (${after[0]}, ${after[1]})`,
    );
  }
  return and(...conditions);
}

/** The statements of a list, built but not run, so a test can ask SQLite for their plans. */
export const attributionListStatements = {
  page: (db: Db, orgId: string, filter: AttributionFilter, page: AttributionPage) =>
    withNames(db)
      .where(listConditions(orgId, filter, page.after))
      .orderBy(desc(attributions.activityDate), desc(attributions.attributionId))
      .limit(page.limit)
      .offset(page.offset),
  /** Unfiltered, the organisation's running count (one row); a filter counts its own index range. */
  total: (db: Db, orgId: string, filter: AttributionFilter) =>
    Object.values(filter).every((value) => value === undefined)
      ? db
          .select({ total: sql<number>`coalesce(max(${attributionTotals.total}), 0)`.mapWith(Number) })
          .from(attributionTotals)
          .where(eq(attributionTotals.orgId, orgId))
      : db.select({ total: count() }).from(attributions).where(listConditions(orgId, filter)),
};

/** One page, newest activity first, and the total under the filter, in one round trip. */
export async function listAttributions(
  db: Db,
  orgId: string,
  filter: AttributionFilter,
  page: AttributionPage,
): Promise<{ rows: AttributionWithNames[]; total: number }> {
  const [rows, totals] = await db.batch([
    attributionListStatements.page(db, orgId, filter, page),
    attributionListStatements.total(db, orgId, filter),
  ]);
  return { rows, total: totals[0]?.total ?? 0 };
}

/** The fields a correction may change, by response name, with their new values. */
export interface AttributionPatch {
  mentor_id?: string;
  activity_type_id?: string;
  activity_date?: string;
  duration_minutes?: number | null;
  location?: string | null;
  notes?: string | null;
}

export interface UpdateAttributionInput {
  orgId: string;
  attributionId: string;
  activityId: string;
  /** The last event ID as read; the write only lands if nobody wrote in between (even within the same second). */
  seenEventId: string;
  patch: AttributionPatch;
  changes: Record<string, { from: unknown; to: unknown }>;
  eventId: string;
  now: string;
  actor: ActorContext;
}

export type UpdateAttributionResult =
  | (AttributionWithNames & { ok: true; event: OutboxEvent })
  | { ok: false; reason: "mentor_not_active" | "type_unknown" | "stale" };

/**
 * Applies a correction to the attribution and its activity, with its audit event, in one
 * batch that also answers the corrected row with its names, so no read follows the write.
 */
export async function updateAttribution(
  db: Db,
  input: UpdateAttributionInput,
): Promise<UpdateAttributionResult> {
  const { orgId, attributionId, patch, now, eventId } = input;
  const conditions: SQL[] = [
    sql`org_id = ${orgId}`,
    sql`attribution_id = ${attributionId}`,
    sql`last_event_id = ${input.seenEventId}`,
  ];
  if (patch.mentor_id !== undefined) conditions.push(activeMemberWithRole(orgId, patch.mentor_id, "mentor"));
  if (patch.activity_type_id !== undefined) {
    conditions.push(sql`exists (select 1 from activity_types where id = ${patch.activity_type_id})`);
  }
  const attributionSet: SQL[] = [sql`updated_at = ${now}`, sql`last_event_id = ${eventId}`];
  const activitySet: SQL[] = [sql`updated_at = ${now}`];
  const assign = (column: string, value: unknown, target: SQL[]) =>
    target.push(sql`${sql.identifier(column)} = ${value}`);
  if (patch.mentor_id !== undefined) {
    assign("mentor_id", patch.mentor_id, attributionSet);
    assign("mentor_id", patch.mentor_id, activitySet);
  }
  if (patch.activity_type_id !== undefined) {
    assign("activity_type_id", patch.activity_type_id, attributionSet);
    assign("activity_type", patch.activity_type_id, activitySet);
  }
  if (patch.activity_date !== undefined) {
    assign("activity_date", patch.activity_date, attributionSet);
    assign("occurred_at", patch.activity_date, activitySet);
  }
  for (const field of ["duration_minutes", "location", "notes"] as const) {
    if (patch[field] !== undefined) {
      assign(field, patch[field], attributionSet);
      assign(field, patch[field], activitySet);
    }
  }
  if (patch.notes !== undefined || patch.activity_type_id !== undefined) {
    // SET expressions see the row's old values, so the new ones are spelled out here.
    const notes = patch.notes !== undefined ? sql`${patch.notes}` : sql`notes`;
    const type = patch.activity_type_id !== undefined ? sql`${patch.activity_type_id}` : sql`activity_type`;
    activitySet.push(
      sql`description = coalesce(${notes}, (select label from activity_types where id = ${type}))`,
    );
  }

  const written = sql`exists (select 1 from ${attributions} w where w.org_id = ${orgId}
    and w.attribution_id = ${attributionId} and w.last_event_id = ${eventId})`;
  const [updated, , outbox, diagnosis] = await batchSql<
    [AttributionRowRaw[], unknown[], OutboxRaw[], { mentor_ok: number; type_ok: number }[]]
  >(db, [
    sql`update ${attributions} set ${sql.join(attributionSet, sql`, `)}
      where ${sql.join(conditions, sql` and `)}
      returning *, ${memberName(orgId, sql`${attributions}.mentor_id`)} as mentor_name,
        ${memberName(orgId, sql`${attributions}.coordinator_id`)} as coordinator_name`,
    sql`update ${activities} set ${sql.join(activitySet, sql`, `)}
      where org_id = ${orgId} and activity_id = ${input.activityId} and ${written}`,
    sql`insert into ${auditOutbox} (event_id, org_id, payload, created_at)
      select ${eventId}, ${orgId}, ${attributionEventPayload(
        orgId,
        { id: sql`${eventId}`, action: "proxy_updated", changes: JSON.stringify(input.changes) },
        input.actor,
        now,
      )}, ${now}
      from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}
        and a.last_event_id = ${eventId}
      returning event_id, payload`,
    sql`select
      ${patch.mentor_id !== undefined ? activeMemberWithRole(orgId, patch.mentor_id, "mentor") : sql`1`} as mentor_ok,
      ${patch.activity_type_id !== undefined ? sql`exists (select 1 from activity_types where id = ${patch.activity_type_id})` : sql`1`} as type_ok`,
  ]);
  const result = writtenWithEvent(updated, outbox);
  if (result) return { ok: true, ...result };
  const d = diagnosis[0];
  if (!d?.mentor_ok) return { ok: false, reason: "mentor_not_active" };
  if (!d.type_ok) return { ok: false, reason: "type_unknown" };
  return { ok: false, reason: "stale" };
}

export interface DeleteAttributionInput {
  orgId: string;
  attributionId: string;
  /** Set when the caller may only delete what it registered. */
  onlyCoordinator: string | null;
  /** Set by a conditional delete: the `last_event_id` the attribution must still have. */
  seenEventId?: string;
  eventId: string;
  now: string;
  actor: ActorContext;
}

export type DeleteAttributionResult =
  | { ok: true; event: OutboxEvent }
  | { ok: false; reason: "not_found" | "forbidden" | "stale" };

/** Deletes the attribution and its activity, leaving only the audit event, in one batch. */
export async function deleteAttribution(
  db: Db,
  input: DeleteAttributionInput,
): Promise<DeleteAttributionResult> {
  const { orgId, attributionId, eventId, now } = input;
  const allowed = input.onlyCoordinator === null ? sql`1` : sql`a.coordinator_id = ${input.onlyCoordinator}`;
  const unchanged = input.seenEventId === undefined ? sql`1` : sql`a.last_event_id = ${input.seenEventId}`;
  const recorded = sql`exists (select 1 from ${auditOutbox} where event_id = ${eventId})`;
  const [existing, outbox] = await batchSql<
    [{ coordinator_id: string; last_event_id: string }[], OutboxRaw[], unknown[], unknown[]]
  >(db, [
    sql`select coordinator_id, last_event_id from ${attributions}
      where org_id = ${orgId} and attribution_id = ${attributionId}`,
    sql`insert into ${auditOutbox} (event_id, org_id, payload, created_at)
      select ${eventId}, ${orgId}, ${attributionEventPayload(orgId, { id: sql`${eventId}`, action: "proxy_deleted" }, input.actor, now)}, ${now}
      from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId} and ${allowed}
        and ${unchanged}
      returning event_id, payload`,
    sql`delete from ${activities} where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
    sql`delete from ${attributions} where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
  ]);
  const event = outbox[0];
  if (event) return { ok: true, event: { eventId: event.event_id, payload: event.payload } };
  const current = existing[0];
  if (!current) return { ok: false, reason: "not_found" };
  if (input.seenEventId !== undefined && current.last_event_id !== input.seenEventId) {
    return { ok: false, reason: "stale" };
  }
  return { ok: false, reason: "forbidden" };
}
