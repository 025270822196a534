import { type SQL, sql } from "drizzle-orm";
import { ok, type Result, refused } from "../../lib/result";
import { batchSql, type Db } from "../client";
import { activities, attributions, auditOutbox } from "../schema";
import { tagBasisJson } from "./field-map";
import type { BatchAnswer } from "./idempotency";
import { memberName } from "./members";
import {
  type ActorContext,
  attributionEventPayload,
  insertOutbox,
  type OutboxEvent,
  type OutboxRaw,
  toOutboxEvent,
} from "./outbox";
import type { AttributionWithNames } from "./representations";
import { attributionRepresentation, attributionTag, namedIn } from "./representations";
import { type AttributionRowRaw, attributionFromRaw } from "./rows";

/**
 * The mentor's answer to an attribution made in its name (SPEC §11): it confirms it, or disputes
 * it with a reason. Written like every proxy write: one D1 batch holding the audit event's outbox
 * row and the change it records, so neither exists without the other.
 */
export type MentorAnswer =
  | { readonly status: "confirmed"; readonly reason: null }
  | { readonly status: "disputed"; readonly reason: string };

export interface AnswerAttributionInput {
  orgId: string;
  attributionId: string;
  /** The mentor answering: an attribution that names another mentor is not found. Null: any mentor. */
  mentorId: string | null;
  answer: MentorAnswer;
  /** Set by a conditional answer (If-Match): the `last_event_id` the attribution must still have. */
  seenEventId?: string;
  eventId: string;
  now: string;
  actor: ActorContext;
  /** The answer a retry with the request's Idempotency-Key replays, stored by the same batch. */
  replay?: BatchAnswer | undefined;
}

/** The attribution as the answer left it, and the event it recorded (null when it changed nothing). */
export type AnswerWrite = AttributionWithNames & { event: OutboxEvent | null };

export type AnswerRefusal = "not_found" | "stale";

/**
 * The event's `changes`, from the attribution `a` as the write finds it: the status always, the
 * reason when the answer is a dispute (it says why) or withdraws an earlier dispute's reason.
 */
function answerChanges(answer: MentorAnswer): SQL {
  const status = sql`'confirmation_status', json_object('from', a.confirmation_status, 'to', ${answer.status})`;
  const reason = sql`'reason', json_object('from', a.confirmation_reason, 'to', ${answer.reason})`;
  const withReason = answer.status === "disputed" ? sql`1` : sql`a.confirmation_reason is not null`;
  return sql`case when ${withReason} then json_object(${status}, ${reason}) else json_object(${status}) end`;
}

const ACTION = { confirmed: "proxy_confirmed", disputed: "proxy_disputed" } as const;

/**
 * Records the mentor's answer on the attribution and its activity. The outbox row is written
 * first, from the attribution as it stands, and only where the answer changes something, so that
 * its `changes` hold the old values; the two updates then land exactly when it exists. The last
 * statement reads the attribution as the batch left it, which tells a refusal from an answer that
 * changed nothing (confirming a confirmed one, or disputing again for the same reason).
 */
export async function answerAttribution(
  db: Db,
  input: AnswerAttributionInput,
): Promise<Result<AnswerWrite, AnswerRefusal>> {
  const { orgId, attributionId, answer, eventId, now } = input;
  const named = input.mentorId === null ? sql`1` : sql`a.mentor_id = ${input.mentorId}`;
  const unchanged = input.seenEventId === undefined ? sql`1` : sql`a.last_event_id = ${input.seenEventId}`;
  const changes = sql`(a.confirmation_status <> ${answer.status} or a.confirmation_reason is not ${answer.reason})`;
  const recorded = sql`exists (select 1 from ${auditOutbox} where event_id = ${eventId})`;
  const answered = sql`confirmation_status = ${answer.status}, confirmation_by = ${input.actor.actor_id},
    confirmation_at = ${now}, confirmation_reason = ${answer.reason}, updated_at = ${now}`;

  // The answer stands (and is stored for the Idempotency-Key) when the mentor's answer was
  // recorded, or changed nothing on the version the request's precondition named.
  const stands = sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}
    and ${named} and (${recorded} or ${unchanged})`;
  const results = await batchSql<[OutboxRaw[], unknown[], unknown[], AttributionRowRaw[], ...unknown[][]]>(
    db,
    [
      insertOutbox(
        orgId,
        sql`${eventId}`,
        attributionEventPayload(
          orgId,
          { id: sql`${eventId}`, action: ACTION[answer.status], changes: answerChanges(answer) },
          input.actor,
          now,
        ),
        now,
        sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}
        and ${named} and ${unchanged} and ${changes}`,
      ),
      sql`update ${attributions} set ${answered}, last_event_id = ${eventId}
      where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
      sql`update ${activities} set ${answered}
      where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`,
      sql`select a.*, ${memberName(orgId, sql`a.mentor_id`)} as mentor_name,
        ${memberName(orgId, sql`a.coordinator_id`)} as coordinator_name
      from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}`,
      ...(input.replay?.statements(db, {
        source: stands,
        body: attributionRepresentation.json(namedIn(orgId, "a")),
        tag: tagBasisJson(attributionTag, namedIn(orgId, "a")),
      }) ?? []),
    ],
  );
  input.replay?.settle(results);

  const [outbox, , , current] = results;
  const row = current[0];
  if (!row || (input.mentorId !== null && row.mentor_id !== input.mentorId)) return refused("not_found");
  const event = outbox[0];
  if (!event && input.seenEventId !== undefined && row.last_event_id !== input.seenEventId) {
    return refused("stale");
  }
  return ok({
    row: attributionFromRaw(row),
    mentorName: row.mentor_name,
    coordinatorName: row.coordinator_name,
    event: event ? toOutboxEvent(event) : null,
  });
}
