import { type SQL, sql } from "drizzle-orm";
import { ok, type Result, refused } from "../../lib/result";
import { batchSql, type Db } from "../client";
import { activities, attributions, auditOutbox, members } from "../schema";
import { activityTypeKnown } from "./activity-types";
import { bumpCounter, idDay, idExpr } from "./id-counters";
import type { BatchAnswer } from "./idempotency";
import { activeMemberWithRole, holdsRole, type MentorRefusal, memberName, mentorRefusal } from "./members";
import {
  type ActorContext,
  attributionEventPayload,
  insertOutbox,
  type OutboxEvent,
  type OutboxRaw,
  toOutboxEvent,
} from "./outbox";
import type { AttributionWithNames } from "./representations";
import { attributionRepresentation, namedIn } from "./representations";
import { type AttributionRowRaw, attributionFromRaw } from "./rows";

/**
 * Attributions and their activities are written with set-based SQL inside one
 * D1 batch (one round trip, one transaction): the checks that decide whether a
 * row may be written are part of the statements that write it, and IDs are
 * taken from per-day counters in the same transaction, so they are never reused.
 */

/** The activity an attribution registers, as single and bulk registration share it. */
export interface AttributionFields {
  activityTypeId: string;
  activityDate: string;
  durationMinutes: number | null;
  location: string | null;
  notes: string | null;
}

/** A write's attribution with its names, and the audit event written with it. */
export type AttributionWrite = AttributionWithNames & { event: OutboxEvent };

/**
 * Whether the mentor already holds an attribution of this type at this date; those written by
 * the event `exceptEvent` (the write asking) do not count.
 */
export function duplicateOf(
  orgId: string,
  mentorId: SQL | string,
  typeId: SQL | string,
  activityDate: SQL | string,
  exceptEvent?: string,
): SQL {
  return sql`exists (select 1 from ${attributions} d where d.org_id = ${orgId} and d.mentor_id = ${mentorId}
    and d.activity_type_id = ${typeId} and d.activity_date = ${activityDate}
    ${exceptEvent === undefined ? sql`` : sql`and d.last_event_id <> ${exceptEvent}`})`;
}

/** The row a write returned with its names, and its outbox event; null when the write did nothing. */
function writtenWithEvent(rows: AttributionRowRaw[], outbox: OutboxRaw[]): AttributionWrite | null {
  const row = rows[0];
  const event = outbox[0];
  if (!row || !event) return null;
  return {
    row: attributionFromRaw(row),
    mentorName: row.mentor_name,
    coordinatorName: row.coordinator_name,
    event: toOutboxEvent(event),
  };
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
  /** The answer a retry with the request's Idempotency-Key replays, stored by the same batch. */
  replay?: BatchAnswer | undefined;
}

export type CreateAttributionRefusal =
  | "type_unknown"
  | MentorRefusal
  | "coordinator_not_active"
  | "duplicate";

interface CreateDiagnosisRaw {
  type_known: number;
  mentor_active: number | null;
  mentor_is_mentor: number;
  coordinator_ok: number;
}

/** Why a registration wrote nothing, most fundamental reason first. */
function createRefusal(d: CreateDiagnosisRaw | undefined): CreateAttributionRefusal {
  if (!d?.type_known) return "type_unknown";
  const mentor = mentorRefusal({ mentorActive: d.mentor_active, mentorIsMentor: d.mentor_is_mentor });
  if (mentor) return mentor;
  if (!d.coordinator_ok) return "coordinator_not_active";
  return "duplicate";
}

/** Creates the activity, the attribution and the outbox row of its audit event in one batch. */
export async function createAttribution(
  db: Db,
  input: CreateAttributionInput,
): Promise<Result<AttributionWrite, CreateAttributionRefusal>> {
  const { orgId, mentorId, coordinatorId, activityTypeId, activityDate, now } = input;
  const day = idDay(now);
  const coordinatorOk = input.checkCoordinator
    ? activeMemberWithRole(orgId, coordinatorId, "coordinator")
    : sql`1`;
  const valid = sql`(${activityTypeKnown(activityTypeId)}
    and ${activeMemberWithRole(orgId, mentorId, "mentor")}
    and not ${duplicateOf(orgId, mentorId, activityTypeId, activityDate)}
    and ${coordinatorOk})`;
  const attributionId = idExpr(orgId, "attr", day);
  const activityId = idExpr(orgId, "pact", day);
  const proxy = mentorId !== coordinatorId;

  const written = sql`from ${attributions} a where a.org_id = ${orgId} and a.last_event_id = ${input.eventId}`;
  const results = await batchSql<
    [unknown[], unknown[], unknown[], AttributionRowRaw[], OutboxRaw[], CreateDiagnosisRaw[], ...unknown[][]]
  >(db, [
    bumpCounter(orgId, "attr", day, sql`1`, valid),
    bumpCounter(orgId, "pact", day, sql`1`, valid),
    sql`insert into ${activities} (org_id, activity_id, mentor_id, activity_type, description, contact_id,
        duration_minutes, location, notes, occurred_at, entry_mode, attribution_id, batch_id, confirmation_status,
        created_by, created_at, updated_at)
      select ${orgId}, ${activityId}, ${mentorId}, ${activityTypeId},
        coalesce(${input.notes}, (select label from activity_types where id = ${activityTypeId})), null,
        ${input.durationMinutes}, ${input.location}, ${input.notes}, ${activityDate}, 'proxy', ${attributionId}, null,
        'pending', ${input.actor.actor_id}, ${now}, ${now}
      where ${valid}`,
    sql`insert into ${attributions} (org_id, attribution_id, activity_id, mentor_id, coordinator_id,
        activity_type_id, activity_date, duration_minutes, location, notes, proxy, entry_mode, batch_id, confirmation_status,
        created_by, last_event_id, created_at, updated_at)
      select ${orgId}, ${attributionId}, ${activityId}, ${mentorId}, ${coordinatorId}, ${activityTypeId}, ${activityDate},
        ${input.durationMinutes}, ${input.location}, ${input.notes}, ${proxy ? 1 : 0}, 'proxy', null, 'pending',
        ${input.actor.actor_id}, ${input.eventId}, ${now}, ${now}
      where ${valid}
      returning *, ${memberName(orgId, mentorId)} as mentor_name, ${memberName(orgId, coordinatorId)} as coordinator_name`,
    insertOutbox(
      orgId,
      sql`${input.eventId}`,
      attributionEventPayload(
        orgId,
        { id: sql`${input.eventId}`, action: "proxy_created" },
        input.actor,
        now,
      ),
      now,
      written,
    ),
    sql`select
        ${activityTypeKnown(activityTypeId)} as type_known,
        (select active from ${members} where org_id = ${orgId} and member_id = ${mentorId}) as mentor_active,
        exists (select 1 from ${members} m where m.org_id = ${orgId} and m.member_id = ${mentorId}
          and ${holdsRole(sql`m.roles`, "mentor")}) as mentor_is_mentor,
        ${coordinatorOk} as coordinator_ok`,
    ...(input.replay?.statements(db, {
      source: written,
      body: attributionRepresentation.json(namedIn(orgId, "a")),
    }) ?? []),
  ]);
  input.replay?.settle(results);
  const [, , , inserted, outbox, diagnosis] = results;
  const created = writtenWithEvent(inserted, outbox);
  return created ? ok(created) : refused(createRefusal(diagnosis[0]));
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

export type UpdateAttributionRefusal = "mentor_not_active" | "type_unknown" | "stale";

/** SET terms that return an attribution, or its activity, to waiting for its mentor. */
const PENDING_AGAIN: SQL[] = [
  sql`confirmation_status = 'pending'`,
  sql`confirmation_by = null`,
  sql`confirmation_at = null`,
  sql`confirmation_reason = null`,
];

/**
 * Applies a correction to the attribution and its activity, with its audit event, in one
 * batch that also answers the corrected row with its names, so no read follows the write.
 */
export async function updateAttribution(
  db: Db,
  input: UpdateAttributionInput,
): Promise<Result<AttributionWrite, UpdateAttributionRefusal>> {
  const { orgId, attributionId, patch, now, eventId } = input;
  const conditions: SQL[] = [
    sql`org_id = ${orgId}`,
    sql`attribution_id = ${attributionId}`,
    sql`last_event_id = ${input.seenEventId}`,
  ];
  if (patch.mentor_id !== undefined) conditions.push(activeMemberWithRole(orgId, patch.mentor_id, "mentor"));
  if (patch.activity_type_id !== undefined) {
    conditions.push(activityTypeKnown(patch.activity_type_id));
  }
  // A correction changes what the mentor confirmed or disputed, so the mentor the attribution
  // names (perhaps a new one) is asked again (SPEC §11); on a pending one this changes nothing.
  const attributionSet: SQL[] = [sql`updated_at = ${now}`, sql`last_event_id = ${eventId}`, ...PENDING_AGAIN];
  const activitySet: SQL[] = [sql`updated_at = ${now}`, ...PENDING_AGAIN];
  const assign = (column: string, value: unknown, target: SQL[]) =>
    target.push(sql`${sql.identifier(column)} = ${value}`);
  if (patch.mentor_id !== undefined) {
    assign("mentor_id", patch.mentor_id, attributionSet);
    assign("mentor_id", patch.mentor_id, activitySet);
    // `proxy` says whether the mentor and the registering coordinator differ (SPEC §3).
    attributionSet.push(sql`proxy = (${patch.mentor_id} <> coordinator_id)`);
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

  const wroteAttribution = sql`exists (select 1 from ${attributions} w where w.org_id = ${orgId}
    and w.attribution_id = ${attributionId} and w.last_event_id = ${eventId})`;
  const [updated, , outbox, diagnosis] = await batchSql<
    [AttributionRowRaw[], unknown[], OutboxRaw[], { mentor_ok: number; type_ok: number }[]]
  >(db, [
    sql`update ${attributions} set ${sql.join(attributionSet, sql`, `)}
      where ${sql.join(conditions, sql` and `)}
      returning *, ${memberName(orgId, sql`${attributions}.mentor_id`)} as mentor_name,
        ${memberName(orgId, sql`${attributions}.coordinator_id`)} as coordinator_name`,
    sql`update ${activities} set ${sql.join(activitySet, sql`, `)}
      where org_id = ${orgId} and activity_id = ${input.activityId} and ${wroteAttribution}`,
    insertOutbox(
      orgId,
      sql`${eventId}`,
      attributionEventPayload(
        orgId,
        { id: sql`${eventId}`, action: "proxy_updated", changes: JSON.stringify(input.changes) },
        input.actor,
        now,
      ),
      now,
      sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}
        and a.last_event_id = ${eventId}`,
    ),
    sql`select
      ${patch.mentor_id !== undefined ? activeMemberWithRole(orgId, patch.mentor_id, "mentor") : sql`1`} as mentor_ok,
      ${patch.activity_type_id !== undefined ? activityTypeKnown(patch.activity_type_id) : sql`1`} as type_ok`,
  ]);
  const written = writtenWithEvent(updated, outbox);
  if (written) return ok(written);
  const d = diagnosis[0];
  if (!d?.mentor_ok) return refused("mentor_not_active");
  if (!d.type_ok) return refused("type_unknown");
  return refused("stale");
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

export type DeleteAttributionRefusal = "not_found" | "forbidden" | "stale";

/** Deletes the attribution and its activity, leaving only the audit event, in one batch. */
export async function deleteAttribution(
  db: Db,
  input: DeleteAttributionInput,
): Promise<Result<OutboxEvent, DeleteAttributionRefusal>> {
  const { orgId, attributionId, eventId, now } = input;
  const allowed = input.onlyCoordinator === null ? sql`1` : sql`a.coordinator_id = ${input.onlyCoordinator}`;
  const unchanged = input.seenEventId === undefined ? sql`1` : sql`a.last_event_id = ${input.seenEventId}`;
  const recorded = sql`exists (select 1 from ${auditOutbox} where event_id = ${eventId})`;
  const [existing, outbox] = await batchSql<
    [{ coordinator_id: string; last_event_id: string }[], OutboxRaw[], unknown[], unknown[]]
  >(db, [
    sql`select coordinator_id, last_event_id from ${attributions}
      where org_id = ${orgId} and attribution_id = ${attributionId}`,
    insertOutbox(
      orgId,
      sql`${eventId}`,
      attributionEventPayload(orgId, { id: sql`${eventId}`, action: "proxy_deleted" }, input.actor, now),
      now,
      sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId} and ${allowed}
        and ${unchanged}`,
    ),
    sql`delete from ${activities} where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
    sql`delete from ${attributions} where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
  ]);
  const event = outbox[0];
  if (event) return ok(toOutboxEvent(event));
  const current = existing[0];
  if (!current) return refused("not_found");
  if (input.seenEventId !== undefined && current.last_event_id !== input.seenEventId) return refused("stale");
  return refused("forbidden");
}
