import { sql } from "drizzle-orm";
import { batchSql, type Db } from "../client";
import { type ActivityRow, activities, activityTypes, members } from "../schema";
import { activityWriteStatements, type NewActivityLog, type RecordAudit, sameEntry } from "./activity-writes";
import type { MentorRefusal } from "./members";
import { type OutboxEvent, toOutboxEvent } from "./outbox";
import { type ActivityRowRaw, activityFromRaw } from "./rows";

/**
 * A batch upload of entries queued offline (SPEC §10), in one D1 batch whatever its size: the
 * entries travel as one JSON parameter that `json_each` reads, so one INSERT … SELECT writes every
 * entry whose type is known (and, for entries made for someone else, whose mentor is an active
 * mentor), skipping the client_refs already used; reads before and after tell each entry's fate.
 */

export interface UploadEntry extends NewActivityLog {
  /** Where it stands in the request. */
  index: number;
  clientRef: string;
  /** Whether the mentor must be an active member holding the mentor role (an entry for someone else). */
  checkMentor: boolean;
}

export type UploadOutcome =
  | { status: "created"; row: ActivityRow }
  | { status: "existing"; row: ActivityRow }
  | { status: "client_ref_conflict"; row: ActivityRow }
  | { status: "type_unknown" }
  | { status: MentorRefusal }
  /** Nothing explains it: a concurrent write took the entry's place; sending it again decides. */
  | { status: "conflict" };

/** One entry of the JSON parameter. */
const entryJson = (entry: UploadEntry) => ({
  i: entry.index,
  id: entry.activityId,
  mentor: entry.mentorId,
  type: entry.activityType,
  description: entry.description,
  contact: entry.contactId,
  duration: entry.durationMinutes,
  occurred: entry.occurredAt,
  ref: entry.clientRef,
  check: entry.checkMentor ? 1 : 0,
});

const field = (name: string) => sql.raw(`json_extract(e.value, '$.${name}')`);

/** An active member of the organisation holding the mentor role: the entry's mentor, when it is checked. */
const activeMentor = (orgId: string) => sql`exists (select 1 from ${members} m
  where m.org_id = ${orgId} and m.member_id = ${field("mentor")} and m.active = 1
  and exists (select 1 from json_each(m.roles) r where r.value = 'mentor'))`;

/** The entries already stored under the uploaded client_refs (before, or after the insert). */
const storedUnderRefs = (orgId: string, input: string) =>
  // CROSS JOIN keeps the entries as the outer loop: SQLite cannot tell how few they are, and
  // would otherwise walk the organisation's client_refs and look each up among the entries.
  sql`select ${field("i")} as i, a.* from json_each(${input}) e
    cross join ${activities} a on a.org_id = ${orgId} and a.mentor_id = ${field("mentor")} and a.client_ref = ${field("ref")}
    where 1`;

export const uploadStatements = {
  before: storedUnderRefs,
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
    where ${field("check")} = 0 or ${activeMentor(orgId)}
    order by e.key
    on conflict do nothing`,
  after: storedUnderRefs,
  /** Why an entry that is not stored was refused: its type, and its mentor when checked. */
  checks: (orgId: string, input: string) =>
    sql`select ${field("i")} as i,
      exists (select 1 from ${activityTypes} t where t.id = ${field("type")}) as type_known,
      m.member_id is not null as mentor_known,
      coalesce(m.active, 0) as mentor_active,
      coalesce((select 1 from json_each(m.roles) r where r.value = 'mentor'), 0) as mentor_role
    from json_each(${input}) e
    left join ${members} m on m.org_id = ${orgId} and m.member_id = ${field("mentor")}
    where 1`,
};

type StoredRaw = ActivityRowRaw & { i: number };
interface CheckRaw {
  i: number;
  type_known: number;
  mentor_known: number;
  mentor_active: number;
  mentor_role: number;
}

function mentorRefusalOf(check: CheckRaw): MentorRefusal | null {
  if (!check.mentor_known) return "mentor_unknown";
  if (!check.mentor_role) return "not_a_mentor";
  if (!check.mentor_active) return "mentor_inactive";
  return null;
}

/**
 * Writes the entries in one batch and answers each one's outcome, by index, and the audit
 * events of entries written for someone else (`audits`, by index: an admin's upload).
 */
export async function uploadActivityLogs(
  db: Db,
  orgId: string,
  entries: readonly UploadEntry[],
  createdBy: string,
  audits: ReadonlyMap<number, RecordAudit>,
): Promise<{ outcomes: Map<number, UploadOutcome>; events: OutboxEvent[] }> {
  const outcomes = new Map<number, UploadOutcome>();
  if (entries.length === 0) return { outcomes, events: [] };
  const input = JSON.stringify(entries.map(entryJson));
  const eventStatements = entries.flatMap((entry) => {
    const audit = audits.get(entry.index);
    return audit ? [activityWriteStatements.createdEvent(db, orgId, entry, audit).getSQL()] : [];
  });
  const [before, , after, checks, ...events] = await batchSql<
    [StoredRaw[], unknown[], StoredRaw[], CheckRaw[], ...{ event_id: string; payload: string }[][]]
  >(db, [
    uploadStatements.before(orgId, input),
    uploadStatements.insert(orgId, input, createdBy),
    uploadStatements.after(orgId, input),
    uploadStatements.checks(orgId, input),
    ...eventStatements,
  ]);
  const storedBefore = new Map(before.map((raw) => [raw.i, activityFromRaw(raw)]));
  const storedAfter = new Map(after.map((raw) => [raw.i, activityFromRaw(raw)]));
  const checksOf = new Map(checks.map((check) => [check.i, check]));
  for (const entry of entries) {
    const held = storedBefore.get(entry.index) ?? storedAfter.get(entry.index);
    const fresh = storedBefore.get(entry.index) === undefined && held?.activityId === entry.activityId;
    if (held && fresh) outcomes.set(entry.index, { status: "created", row: held });
    else if (held) {
      // Stored before, or by an earlier entry of this upload under the same client_ref.
      outcomes.set(
        entry.index,
        sameEntry(held, entry)
          ? { status: "existing", row: held }
          : { status: "client_ref_conflict", row: held },
      );
    } else {
      const check = checksOf.get(entry.index);
      const mentor = check && entry.checkMentor ? mentorRefusalOf(check) : null;
      outcomes.set(
        entry.index,
        !check?.type_known
          ? { status: "type_unknown" }
          : mentor
            ? { status: mentor }
            : { status: "conflict" },
      );
    }
  }
  return { outcomes, events: events.flat().map(toOutboxEvent) };
}
