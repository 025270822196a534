import { type SQL, sql } from "drizzle-orm";
import type { Problem } from "../../lib/errors";
import { ok, type Result } from "../../lib/result";
import type { Db } from "../client";
import { activities, activityTypes, members } from "../schema";
import { activityWriteStatements, type NewActivityLog, type RecordAudit } from "./activity-write-statements";
import { type OutboxRaw, toOutboxEvent } from "./outbox";
import { activityLog } from "./representations";
import { prepareWrite, query, rows, type Step, type Written } from "./write-batch";

/**
 * A batch upload of entries queued offline (SPEC §10), in one D1 batch whatever its size: the
 * entries travel as one JSON parameter that `json_each` reads, so one INSERT … SELECT writes every
 * entry whose type is known (and, for an entry made for someone else, whose mentor is an active
 * mentor), skipping the client_refs already used. The answer, every entry's result in request
 * order, is built in SQL in the same batch from what is then stored; it is what the response
 * carries and what an Idempotency-Key replays, so the two cannot differ.
 */

/** An entry of the upload, with the problems it may be answered with (chosen in SQL). */
export interface UploadEntry extends NewActivityLog {
  clientRef: string;
  /** Whether the mentor must be an active member holding the mentor role (an entry for someone else). */
  checkMentor: boolean;
  /** A refusal decided before the batch (a mentor naming another mentor): the entry is not written. */
  refused: Problem | null;
  problems: {
    typeUnknown: Problem;
    mentorUnknown: Problem;
    notAMentor: Problem;
    mentorInactive: Problem;
    /** The client_ref holds other content; the stored entry is added as `current`. */
    clientRefConflict: Problem;
    /** Nothing explains why it was not stored (a concurrent write took its place). */
    conflict: Problem;
  };
}

const entryJson = (entry: UploadEntry) => ({
  id: entry.activityId,
  mentor: entry.mentorId,
  type: entry.activityType,
  description: entry.description,
  contact: entry.contactId,
  duration: entry.durationMinutes,
  occurred: entry.occurredAt,
  ref: entry.clientRef,
  check: entry.checkMentor ? 1 : 0,
  skip: entry.refused ? 1 : 0,
  refused: entry.refused,
  problems: entry.problems,
});

const field = (name: string) => sql.raw(`json_extract(e.value, '$.${name}')`);
/** A problem carried in the entry's JSON, as JSON. */
const problem = (name: string) => sql.raw(`json_extract(e.value, '$.problems.${name}')`);

/** The entry's mentor holds the mentor role. */
const holdsMentorRole = sql`exists (select 1 from json_each(m.roles) r where r.value = 'mentor')`;

/** The stored entry under the upload entry's client_ref, after the insert: `a` (none when absent). */
const storedUnderRef = (orgId: string) =>
  sql`left join ${activities} a on a.org_id = ${orgId} and a.mentor_id = ${field("mentor")} and a.client_ref = ${field("ref")}`;

/** Whether the stored entry holds what the upload entry sends (null-safe, column by column). */
const sameContent = sql`a.activity_type is ${field("type")} and a.description is ${field("description")}
  and a.contact_id is ${field("contact")} and a.duration_minutes is ${field("duration")}
  and a.occurred_at is ${field("occurred")}`;

const result = (status: string, log: SQL, error: SQL) =>
  sql`json_object('client_ref', ${field("ref")}, 'status', ${status}, 'log', ${log}, 'error', ${error})`;

export const uploadStatements = {
  insert: (orgId: string, input: string, createdBy: string) =>
    sql`insert into ${activities} (org_id, activity_id, mentor_id, activity_type, description, contact_id,
      duration_minutes, location, notes, occurred_at, entry_mode, attribution_id, batch_id,
      confirmation_status, confirmation_by, confirmation_at, confirmation_reason, client_ref,
      created_by, created_at, updated_at)
    select ${orgId}, ${field("id")}, ${field("mentor")}, t.id, ${field("description")}, ${field("contact")},
      ${field("duration")}, null, null, ${field("occurred")}, 'self', null, null,
      'confirmed', null, null, null, ${field("ref")},
      ${createdBy}, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
    from json_each(${input}) e
    join ${activityTypes} t on t.id = ${field("type")}
    left join ${members} m on m.org_id = ${orgId} and m.member_id = ${field("mentor")}
    where ${field("skip")} = 0
      and (${field("check")} = 0 or (m.active = 1 and ${holdsMentorRole}))
    order by e.key
    on conflict do nothing`,

  /** `{"results": […]}`, one result per entry in request order, from what is stored now. */
  answer: (orgId: string, input: string) =>
    sql`(select json_object('results', json_group_array(json(x.result) order by x.k)) from (
      select e.key as k, case
        when ${field("skip")} = 1 then ${result("rejected", sql`null`, sql.raw("json_extract(e.value, '$.refused')"))}
        when a.activity_id = ${field("id")} then ${result("created", activityLog.json({ alias: "a" }), sql`null`)}
        when a.activity_id is not null and ${sameContent} then ${result("existing", activityLog.json({ alias: "a" }), sql`null`)}
        when a.activity_id is not null then ${result(
          "rejected",
          activityLog.json({ alias: "a" }),
          sql`json_set(${problem("clientRefConflict")}, '$.current', json(${activityLog.json({ alias: "a" })}))`,
        )}
        when not exists (select 1 from ${activityTypes} t where t.id = ${field("type")})
          then ${result("rejected", sql`null`, problem("typeUnknown"))}
        when ${field("check")} = 1 and m.member_id is null then ${result("rejected", sql`null`, problem("mentorUnknown"))}
        when ${field("check")} = 1 and not ${holdsMentorRole} then ${result("rejected", sql`null`, problem("notAMentor"))}
        when ${field("check")} = 1 and m.active = 0 then ${result("rejected", sql`null`, problem("mentorInactive"))}
        else ${result("rejected", sql`null`, problem("conflict"))}
      end as result
      from json_each(${input}) e
      ${storedUnderRef(orgId)}
      left join ${members} m on m.org_id = ${orgId} and m.member_id = ${field("mentor")}
    ) x)`,
};

export interface UploadAnswer {
  results: unknown[];
}

/**
 * Writes the entries in one batch and answers every entry's result (in request order), with the
 * audit events of the entries written for someone else (`audits`, by entry: an admin's upload).
 */
export function uploadActivityLogs(
  db: Db,
  orgId: string,
  entries: readonly UploadEntry[],
  createdBy: string,
  audits: ReadonlyMap<UploadEntry, RecordAudit>,
) {
  const input = JSON.stringify(entries.map(entryJson));
  const answer = uploadStatements.answer(orgId, input);
  const eventSteps: Record<`event ${number}`, Step<OutboxRaw[]>> = Object.fromEntries(
    [...audits].map(([entry, audit], i) => [
      `event ${i}`,
      query(activityWriteStatements.createdEvent(db, orgId, entry, audit)),
    ]),
  );
  const eventNames = Object.keys(eventSteps) as (keyof typeof eventSteps)[];
  const steps: { inserted: Step<unknown[]>; answer: Step<{ answer: string }[]> } & typeof eventSteps = {
    inserted: rows(uploadStatements.insert(orgId, input, createdBy)),
    answer: rows<{ answer: string }>(sql`select ${answer} as answer`),
    ...eventSteps,
  };
  return prepareWrite({
    steps,
    outcome: (results): Result<Written<UploadAnswer>, never> => {
      const text = results.answer[0]?.answer;
      if (typeof text !== "string") throw new Error("the upload answered no results");
      const events = eventNames.flatMap((name) => results[name] ?? []).map(toOutboxEvent);
      return ok({ value: JSON.parse(text) as UploadAnswer, events });
    },
    // The answer is stored whatever each entry's fate: a resend answers the same results.
    answer: { from: sql`from (select 1)`, row: { results: answer } },
  });
}
