import { type SQL, sql } from "drizzle-orm";
import { ok, refused } from "../../lib/result";
import { activities, attributions, auditOutbox } from "../schema";
import { attributionEvent, currentWithNames, withNamesFromRaw } from "./attribution-writes";
import { type ActorContext, toOutboxEvent } from "./outbox";
import { namedIn } from "./representations";
import { prepareWrite, rows } from "./write-batch";

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
  seenEventId?: string | undefined;
  eventId: string;
  now: string;
  actor: ActorContext;
}

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
export function answerAttribution(input: AnswerAttributionInput) {
  const { orgId, attributionId, answer, eventId, now } = input;
  const named = input.mentorId === null ? sql`1` : sql`a.mentor_id = ${input.mentorId}`;
  const unchanged = input.seenEventId === undefined ? sql`1` : sql`a.last_event_id = ${input.seenEventId}`;
  const changes = sql`(a.confirmation_status <> ${answer.status} or a.confirmation_reason is not ${answer.reason})`;
  const recorded = sql`exists (select 1 from ${auditOutbox} where event_id = ${eventId})`;
  const answered = sql`confirmation_status = ${answer.status}, confirmation_by = ${input.actor.actor_id},
    confirmation_at = ${now}, confirmation_reason = ${answer.reason}, updated_at = ${now}`;
  return prepareWrite({
    steps: {
      event: attributionEvent(
        input,
        ACTION[answer.status],
        sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}
            and ${named} and ${unchanged} and ${changes}`,
        answerChanges(answer),
      ),
      attribution: rows(sql`update ${attributions} set ${answered}, last_event_id = ${eventId}
        where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`),
      activity: rows(sql`update ${activities} set ${answered}
        where org_id = ${orgId} and attribution_id = ${attributionId} and ${recorded}`),
      current: currentWithNames(orgId, attributionId),
    },
    outcome: (results) => {
      const row = results.current[0];
      if (!row || (input.mentorId !== null && row.mentor_id !== input.mentorId)) {
        return refused<AnswerRefusal>("not_found");
      }
      const event = results.event[0];
      if (!event && input.seenEventId !== undefined && row.last_event_id !== input.seenEventId) {
        return refused("stale");
      }
      // An answer that changed nothing recorded nothing, so there is nothing to deliver.
      return ok({ value: withNamesFromRaw(row), events: event ? [toOutboxEvent(event)] : [] });
    },
    // The answer stands (and is stored for the Idempotency-Key) when the mentor's answer was
    // recorded, or changed nothing on the version the request's precondition named.
    answer: {
      from: sql`from ${attributions} a where a.org_id = ${orgId} and a.attribution_id = ${attributionId}
        and ${named} and (${recorded} or ${unchanged})`,
      row: namedIn(orgId, "a"),
    },
  });
}
