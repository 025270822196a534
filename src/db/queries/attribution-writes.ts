import { type SQL, sql } from "drizzle-orm";
import type { ActionAbout } from "../../audit/vocabulary";
import { ok, type Result, refused } from "../../lib/result";
import { activities, attributions, auditOutbox, members } from "../schema";
import { activityTypeKnown } from "./activity-types";
import { bumpCounter, idDay, idExpr } from "./id-counters";
import { activeMemberWithRole, holdsRole, type MentorRefusal, memberName, mentorRefusal } from "./members";
import {
  type ActorContext,
  attributionEventPayload,
  insertOutbox,
  type OutboxRaw,
  toOutboxEvent,
} from "./outbox";
import { type AttributionWithNames, type Deletion, type DeletionSource, namedIn } from "./representations";
import { type AttributionRowRaw, attributionFromRaw } from "./rows";
import { prepareWrite, rows, type Written } from "./write-batch";

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

/** An attribution row as a statement returns it, with its names. */
export const withNamesFromRaw = (raw: AttributionRowRaw): AttributionWithNames => ({
  row: attributionFromRaw(raw),
  mentorName: raw.mentor_name,
  coordinatorName: raw.coordinator_name,
});

/** Who writes an event about an attribution, and when. */
interface EventWriter {
  orgId: string;
  eventId: string;
  now: string;
  actor: ActorContext;
}

/**
 * The outbox row of the write's event about the attribution row `a` that `source` (a `from …
 * where …`) yields: none when it yields none, so the event exists exactly when the write happens.
 */
export const attributionEvent = (
  writer: EventWriter,
  action: ActionAbout<"attribution">,
  source: SQL,
  changes?: SQL,
) =>
  rows<OutboxRaw>(
    insertOutbox(
      writer.orgId,
      sql`${writer.eventId}`,
      attributionEventPayload(
        writer.orgId,
        { id: sql`${writer.eventId}`, action, changes },
        writer.actor,
        writer.now,
      ),
      writer.now,
      source,
    ),
  );

/** The attribution as a batch left it, with its names, read as the batch's last step. */
export const currentWithNames = (orgId: string, attributionId: string) =>
  rows<AttributionRowRaw>(sql`select a.*, ${memberName(orgId, sql`a.mentor_id`)} as mentor_name,
      ${memberName(orgId, sql`a.coordinator_id`)} as coordinator_name
    from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}`);

/** The row a write returned with its names, and its outbox event; null when the write did nothing. */
function writtenWithEvent(
  rowsWritten: AttributionRowRaw[],
  outbox: OutboxRaw[],
): Written<AttributionWithNames> | null {
  const row = rowsWritten[0];
  const event = outbox[0];
  if (!row || !event) return null;
  return { value: withNamesFromRaw(row), events: [toOutboxEvent(event)] };
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
export function createAttribution(input: CreateAttributionInput) {
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
  return prepareWrite({
    steps: {
      attributionId: rows(bumpCounter(orgId, "attr", day, sql`1`, valid)),
      activityId: rows(bumpCounter(orgId, "pact", day, sql`1`, valid)),
      activity:
        rows(sql`insert into ${activities} (org_id, activity_id, mentor_id, activity_type, description,
          contact_id, duration_minutes, location, notes, occurred_at, entry_mode, attribution_id, batch_id,
          confirmation_status, created_by, created_at, updated_at)
        select ${orgId}, ${activityId}, ${mentorId}, ${activityTypeId},
          coalesce(${input.notes}, (select label from activity_types where id = ${activityTypeId})), null,
          ${input.durationMinutes}, ${input.location}, ${input.notes}, ${activityDate}, 'proxy', ${attributionId}, null,
          'pending', ${input.actor.actor_id}, ${now}, ${now}
        where ${valid}`),
      attribution:
        rows<AttributionRowRaw>(sql`insert into ${attributions} (org_id, attribution_id, activity_id,
          mentor_id, coordinator_id, activity_type_id, activity_date, duration_minutes, location, notes, proxy,
          entry_mode, batch_id, confirmation_status, created_by, last_event_id, created_at, updated_at)
        select ${orgId}, ${attributionId}, ${activityId}, ${mentorId}, ${coordinatorId}, ${activityTypeId},
          ${activityDate}, ${input.durationMinutes}, ${input.location}, ${input.notes}, ${proxy ? 1 : 0}, 'proxy',
          null, 'pending', ${input.actor.actor_id}, ${input.eventId}, ${now}, ${now}
        where ${valid}
        returning *, ${memberName(orgId, mentorId)} as mentor_name,
          ${memberName(orgId, coordinatorId)} as coordinator_name`),
      event: attributionEvent(input, "proxy_created", written),
      checks: rows<CreateDiagnosisRaw>(sql`select
          ${activityTypeKnown(activityTypeId)} as type_known,
          (select active from ${members} where org_id = ${orgId} and member_id = ${mentorId}) as mentor_active,
          exists (select 1 from ${members} m where m.org_id = ${orgId} and m.member_id = ${mentorId}
            and ${holdsRole(sql`m.roles`, "mentor")}) as mentor_is_mentor,
          ${coordinatorOk} as coordinator_ok`),
    },
    outcome: (results) => {
      const created = writtenWithEvent(results.attribution, results.event);
      return created ? ok(created) : refused(createRefusal(results.checks[0]));
    },
    answer: { from: written, row: namedIn(orgId, "a") },
  });
}

export interface DeleteAttributionInput {
  orgId: string;
  attributionId: string;
  /** Set when the caller may only delete what it registered. */
  onlyCoordinator: string | null;
  /** Set by a conditional delete: the `last_event_id` the attribution must still have. */
  seenEventId?: string | undefined;
  eventId: string;
  now: string;
  actor: ActorContext;
}

export type DeleteAttributionRefusal = "not_found" | "forbidden" | "stale";

/** Deletes the attribution and its activity, leaving only the audit event, in one batch. */
export function deleteAttribution(input: DeleteAttributionInput) {
  const { attributionId, now } = input;
  return prepareWrite({
    steps: deleteSteps(input),
    outcome: (results): Result<Written<Deletion>, DeleteAttributionRefusal> => {
      const event = results.event[0];
      if (event) return ok({ value: { id: attributionId, at: now }, events: [toOutboxEvent(event)] });
      const current = results.existing[0];
      if (!current) return refused("not_found");
      if (input.seenEventId !== undefined && current.last_event_id !== input.seenEventId) {
        return refused("stale");
      }
      return refused("forbidden");
    },
    // The deletion happened exactly when its event was recorded.
    answer: {
      from: sql`from ${auditOutbox} o where o.event_id = ${input.eventId}`,
      row: { id: sql`${attributionId}`, at: sql`${now}` } satisfies DeletionSource,
    },
  });
}

function deleteSteps(input: DeleteAttributionInput) {
  const { orgId, attributionId, eventId } = input;
  const allowed = input.onlyCoordinator === null ? sql`1` : sql`a.coordinator_id = ${input.onlyCoordinator}`;
  const unchanged = input.seenEventId === undefined ? sql`1` : sql`a.last_event_id = ${input.seenEventId}`;
  const recorded = sql`exists (select 1 from ${auditOutbox} where event_id = ${eventId})`;
  return {
    existing: rows<{ coordinator_id: string; last_event_id: string }>(
      sql`select coordinator_id, last_event_id from ${attributions}
        where org_id = ${orgId} and attribution_id = ${attributionId}`,
    ),
    event: attributionEvent(
      input,
      "proxy_deleted",
      sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId} and ${allowed}
        and ${unchanged}`,
    ),
    activity: rows(
      sql`delete from ${activities} where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
    ),
    attribution: rows(
      sql`delete from ${attributions} where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
    ),
  };
}
