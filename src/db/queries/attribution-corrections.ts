import { sql } from "drizzle-orm";
import { ok, refused } from "../../lib/result";
import { activities, attributions, auditOutbox, members } from "../schema";
import { activityTypeKnown } from "./activity-types";
import { attributionEvent, currentWithNames, withNamesFromRaw } from "./attribution-writes";
import { activeMemberWithRole, holdsRole, type MentorRefusal, mentorRefusal } from "./members";
import { type ActorContext, changedFields, toOutboxEvent } from "./outbox";
import { namedIn } from "./representations";
import { prepareWrite, rows } from "./write-batch";

/**
 * A correction of an attribution (`PUT`), in one D1 batch with no read before it: its audit event
 * is written first, from the attribution as the batch finds it and only when the correction changes
 * a field, so that its `changes` hold the values it replaces; the two updates then land exactly
 * when the event exists, and the batch ends by reading the attribution as it left it, which tells
 * a refusal from a correction that changed nothing.
 */

/** The fields a correction may change, by response name, with their new values. */
export interface AttributionPatch {
  mentor_id?: string | undefined;
  activity_type_id?: string | undefined;
  activity_date?: string | undefined;
  duration_minutes?: number | null | undefined;
  location?: string | null | undefined;
  notes?: string | null | undefined;
}

/** Each correctable field: its column on the attribution, and on its activity. */
const CORRECTABLE = [
  { field: "mentor_id", column: "mentor_id", activity: "mentor_id" },
  { field: "activity_type_id", column: "activity_type_id", activity: "activity_type" },
  { field: "activity_date", column: "activity_date", activity: "occurred_at" },
  { field: "duration_minutes", column: "duration_minutes", activity: "duration_minutes" },
  { field: "location", column: "location", activity: "location" },
  { field: "notes", column: "notes", activity: "notes" },
] as const;

export interface CorrectAttributionInput {
  orgId: string;
  attributionId: string;
  /** Set when the caller may only correct what it registered. */
  onlyCoordinator: string | null;
  /** Set by a conditional correction: the `last_event_id` the attribution must still have. */
  seenEventId?: string | undefined;
  patch: AttributionPatch;
  eventId: string;
  now: string;
  actor: ActorContext;
}

export type CorrectAttributionRefusal =
  | "not_found"
  | "forbidden"
  | "stale"
  | MentorRefusal
  | "type_unknown"
  | "conflict";

interface CorrectionChecksRaw {
  mentor_active: number | null;
  mentor_is_mentor: number;
  type_known: number;
}

/** SET terms that return an attribution, or its activity, to waiting for its mentor (SPEC §11). */
const PENDING_AGAIN = sql`confirmation_status = 'pending', confirmation_by = null, confirmation_at = null,
  confirmation_reason = null`;

/** Corrects the attribution and its activity, recording what changed, in one batch. */
export function correctAttribution(input: CorrectAttributionInput) {
  const { orgId, attributionId, patch, eventId, now } = input;
  const given = CORRECTABLE.flatMap((c) => {
    const value = patch[c.field];
    return value === undefined ? [] : [{ ...c, value: sql`${value}` }];
  });
  const on = (alias: string, column: string) => sql.raw(`${alias}.${column}`);
  /** Whether the attribution `alias` holds something else than the correction sets. */
  const differs = (alias: string) =>
    given.length === 0
      ? sql`0`
      : sql`(${sql.join(
          given.map((g) => sql`${on(alias, g.column)} is not ${g.value}`),
          sql` or `,
        )})`;
  const allowed = (alias: string) =>
    input.onlyCoordinator === null ? sql`1` : sql`${on(alias, "coordinator_id")} = ${input.onlyCoordinator}`;
  const unchanged = (alias: string) =>
    input.seenEventId === undefined ? sql`1` : sql`${on(alias, "last_event_id")} = ${input.seenEventId}`;
  // A value the correction changes must be valid; one it leaves as it is is not checked again.
  const valid = sql.join(
    [
      patch.mentor_id === undefined
        ? sql`1`
        : sql`(w.mentor_id = ${patch.mentor_id} or ${activeMemberWithRole(orgId, patch.mentor_id, "mentor")})`,
      patch.activity_type_id === undefined
        ? sql`1`
        : sql`(w.activity_type_id = ${patch.activity_type_id} or ${activityTypeKnown(patch.activity_type_id)})`,
    ],
    sql` and `,
  );
  // The attribution as the correction leaves it, for the event's payload, with the changes it makes.
  const next = (column: "mentor_id" | "activity_type_id" | "activity_date") =>
    given.find((g) => g.column === column)?.value ?? on("w", column);
  const changes = changedFields([
    ...given.map((g) => ({ name: g.field, from: on("w", g.column), to: g.value })),
    // Every correction asks the mentor again; the event says so when that is a change.
    { name: "confirmation_status", from: sql`w.confirmation_status`, to: sql`'pending'` },
  ]);
  const corrected = sql`from (select w.org_id, w.attribution_id, w.activity_id, w.coordinator_id, w.batch_id,
      ${next("mentor_id")} as mentor_id, ${next("activity_type_id")} as activity_type_id,
      ${next("activity_date")} as activity_date, ${changes} as changes
    from ${attributions} w where w.org_id = ${orgId} and w.attribution_id = ${attributionId}
      and ${allowed("w")} and ${unchanged("w")} and ${valid} and ${differs("w")}) a`;
  const recorded = sql`exists (select 1 from ${auditOutbox} where event_id = ${eventId})`;
  const assign = (target: "column" | "activity") =>
    given.map((g) => sql`${sql.identifier(target === "column" ? g.column : g.activity)} = ${g.value}`);
  const attributionSet = [
    ...assign("column"),
    sql`updated_at = ${now}`,
    sql`last_event_id = ${eventId}`,
    PENDING_AGAIN,
  ];
  const activitySet = [...assign("activity"), sql`updated_at = ${now}`, PENDING_AGAIN];
  if (patch.mentor_id !== undefined) {
    // `proxy` says whether the mentor and the registering coordinator differ (SPEC §3).
    attributionSet.push(sql`proxy = (${patch.mentor_id} <> coordinator_id)`);
  }
  if (patch.notes !== undefined || patch.activity_type_id !== undefined) {
    // SET expressions see the row's old values, so the new ones are spelled out here.
    const notes = patch.notes !== undefined ? sql`${patch.notes}` : sql`notes`;
    const type = patch.activity_type_id !== undefined ? sql`${patch.activity_type_id}` : sql`activity_type`;
    activitySet.push(
      sql`description = coalesce(${notes}, (select label from activity_types where id = ${type}))`,
    );
  }
  const mentor = patch.mentor_id ?? "";
  return prepareWrite({
    steps: {
      event: attributionEvent(input, "proxy_updated", corrected, sql`a.changes`),
      attribution: rows(sql`update ${attributions} set ${sql.join(attributionSet, sql`, `)}
        where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`),
      activity: rows(sql`update ${activities} set ${sql.join(activitySet, sql`, `)}
        where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`),
      current: currentWithNames(orgId, attributionId),
      checks: rows<CorrectionChecksRaw>(sql`select
          (select active from ${members} where org_id = ${orgId} and member_id = ${mentor}) as mentor_active,
          exists (select 1 from ${members} m where m.org_id = ${orgId} and m.member_id = ${mentor}
            and ${holdsRole(sql`m.roles`, "mentor")}) as mentor_is_mentor,
          ${patch.activity_type_id === undefined ? sql`1` : activityTypeKnown(patch.activity_type_id)} as type_known`),
    },
    outcome: (results) => {
      const raw = results.current[0];
      const event = results.event[0];
      if (raw && event) return ok({ value: withNamesFromRaw(raw), events: [toOutboxEvent(event)] });
      if (!raw) return refused<CorrectAttributionRefusal>("not_found");
      if (input.onlyCoordinator !== null && raw.coordinator_id !== input.onlyCoordinator)
        return refused("forbidden");
      if (input.seenEventId !== undefined && raw.last_event_id !== input.seenEventId) return refused("stale");
      const check = results.checks[0];
      if (patch.mentor_id !== undefined && raw.mentor_id !== patch.mentor_id && check) {
        const refusal = mentorRefusal({
          mentorActive: check.mentor_active,
          mentorIsMentor: check.mentor_is_mentor,
        });
        if (refusal) return refused(refusal);
      }
      if (
        patch.activity_type_id !== undefined &&
        raw.activity_type_id !== patch.activity_type_id &&
        !check?.type_known
      ) {
        return refused("type_unknown");
      }
      // Nothing refused it and nothing was recorded: it changed nothing, unless something moved under it.
      const same = given.every(
        (g) => (raw as unknown as Record<string, unknown>)[g.column] === patch[g.field],
      );
      return same ? ok({ value: withNamesFromRaw(raw), events: [] }) : refused("conflict");
    },
    // The correction stands when it was recorded, or changed nothing on the version its precondition named.
    answer: {
      from: sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}
        and ${allowed("a")} and (${recorded} or (${unchanged("a")} and not ${differs("a")}))`,
      row: namedIn(orgId, "a"),
    },
  });
}
