import { type SQL, sql } from "drizzle-orm";
import { ok, refused } from "../../lib/result";
import { activities, attributions, auditOutbox, type BatchItem, batches, members } from "../schema";
import { activityTypeKnown } from "./activity-types";
import { type AttributionFields, duplicateOf } from "./attribution-writes";
import { bumpCounter, counterValue, idDay } from "./id-counters";
import { activeMemberWithRole, holdsRole } from "./members";
import {
  type ActorContext,
  attributionEventPayload,
  batchEventPayload,
  insertOutbox,
  type OutboxRaw,
  toOutboxEvent,
} from "./outbox";
import type { BatchWithAttributions } from "./representations";
import { type AttributionRowRaw, attributionFromRaw, type BatchRaw, batchFromRaw } from "./rows";
import { prepareWrite, rows, type Written } from "./write-batch";

/**
 * Bulk registration in set-based SQL: the per-mentor decision (will_create or
 * skipped, with a reason) is computed by one query over the batch's mentor list,
 * stored on the batch, and the confirmation creates every will_create row with
 * INSERT … SELECT over that list, all inside one D1 batch.
 */

/**
 * The decision for each mentor of `ids` (a JSON array), as a JSON array of
 * BatchItem in list order. Unknown or non-mentor members are `unknown_mentor`,
 * inactive ones `inactive_mentor`, and a mentor already holding the same type and
 * date `duplicate` (not counting what the event `exceptEvent` itself wrote).
 */
function evaluateItems(orgId: string, ids: SQL, typeId: SQL, activityDate: SQL, exceptEvent?: string): SQL {
  return sql`(select json_group_array(json_object(
        'mentor_id', mentor_id,
        'status', case when reason is null then 'will_create' else 'skipped' end,
        'reason', reason,
        'ordinal', case when reason is null then ordinal end))
      from (select idx, mentor_id, reason,
              sum(case when reason is null then 1 else 0 end) over (order by idx) as ordinal
            from (select j.key as idx, j.value as mentor_id,
                    case
                      when m.member_id is null
                        or not ${holdsRole(sql`m.roles`, "mentor")}
                        then 'unknown_mentor'
                      when m.active = 0 then 'inactive_mentor'
                      when ${duplicateOf(orgId, sql`j.value`, typeId, activityDate, exceptEvent)} then 'duplicate'
                    end as reason
                  from json_each(${ids}) j
                  left join ${members} m on m.org_id = ${orgId} and m.member_id = j.value)
            order by idx))`;
}

/** Whether a decision list holds a mentor to create: a batch that would create nobody records nothing. */
const creatableIn = (items: SQL) =>
  sql`exists (select 1 from json_each(${items}) where json_extract(value, '$.status') = 'will_create')`;

/** A fresh decision for the batch row `table` names, as a confirmation `eventId` sees it. */
const decisionFor = (orgId: string, table: string, eventId: string) =>
  evaluateItems(
    orgId,
    sql.raw(`${table}.mentor_ids`),
    sql.raw(`${table}.activity_type_id`),
    sql.raw(`${table}.activity_date`),
    eventId,
  );

const skippedIn = (items: SQL) =>
  sql`(select count(*) from json_each(${items}) where json_extract(value, '$.status') = 'skipped')`;

export interface CreateBatchInput extends AttributionFields {
  orgId: string;
  coordinatorId: string;
  checkCoordinator: boolean;
  mentorIds: string[];
  submissionEventId: string;
  /** Set to confirm in the same call. */
  confirmEventId: string | null;
  now: string;
  actor: ActorContext;
}

/** A batch as a write left it, with the attributions it created. */
export type BatchOutcome = BatchWithAttributions;

export type CreateBatchRefusal = "type_unknown" | "coordinator_not_active" | "all_skipped";

/** The statements that confirm a pending batch; they change nothing once it is confirmed. */
function confirmSteps(
  orgId: string,
  batchId: SQL,
  guard: SQL,
  eventId: string,
  now: string,
  actor: ActorContext,
) {
  const day = idDay(now);
  // The decision is taken again at confirmation (members may have changed since the preview); a
  // pending batch whose fresh decision creates nobody is left as it is by every statement.
  const pendingBatch = sql`b.org_id = ${orgId} and b.batch_id = ${batchId} and b.status = 'pending' and ${guard}
    and ${creatableIn(decisionFor(orgId, "b", eventId))}`;
  const pendingRow = sql`org_id = ${orgId} and batch_id = ${batchId} and status = 'pending' and ${guard}
    and ${creatableIn(decisionFor(orgId, "batches", eventId))}`;
  const description = sql`coalesce(b.notes, (select label from activity_types where id = b.activity_type_id))`;
  const toCreate = sql`(select count(*) from ${batches} b, json_each(b.items) j
    where ${pendingBatch} and json_extract(j.value, '$.status') = 'will_create')`;
  const attributionId = sql`('attr-' || ${day} || '-' || printf('%03d', ${counterValue(orgId, "attr", day)}
    - ${toCreate} + json_extract(j.value, '$.ordinal')))`;
  const activityId = sql`('pact-' || ${day} || '-' || printf('%03d', ${counterValue(orgId, "pact", day)}
    - ${toCreate} + json_extract(j.value, '$.ordinal')))`;
  // Each created attribution's event is named after the confirmation's, so the batch finds them again.
  const createdEventId = sql`${eventId} || ':' || a.attribution_id`;
  const creatable = sql`from ${batches} b, json_each(b.items) j
    where ${pendingBatch} and json_extract(j.value, '$.status') = 'will_create'`;
  return {
    decision: rows(
      sql`update ${batches} set items = ${decisionFor(orgId, "batches", eventId)} where ${pendingRow}`,
    ),
    skipped: rows(
      sql`update ${batches} set skipped_count = ${skippedIn(sql`${batches.items}`)} where ${pendingRow}`,
    ),
    attributionIds: rows(bumpCounter(orgId, "attr", day, toCreate)),
    activityIds: rows(bumpCounter(orgId, "pact", day, toCreate)),
    activities:
      rows(sql`insert into ${activities} (org_id, activity_id, mentor_id, activity_type, description, contact_id,
        duration_minutes, location, notes, occurred_at, entry_mode, attribution_id, batch_id, confirmation_status,
        created_by, created_at, updated_at)
      select ${orgId}, ${activityId}, json_extract(j.value, '$.mentor_id'), b.activity_type_id, ${description}, null,
        b.duration_minutes, b.location, b.notes, b.activity_date, 'bulk', ${attributionId}, b.batch_id,
        'pending', ${actor.actor_id}, ${now}, ${now}
      ${creatable}`),
    attributions:
      rows(sql`insert into ${attributions} (org_id, attribution_id, activity_id, mentor_id, coordinator_id,
        activity_type_id, activity_date, duration_minutes, location, notes, proxy, entry_mode, batch_id, confirmation_status,
        created_by, last_event_id, created_at, updated_at)
      select ${orgId}, ${attributionId}, ${activityId}, json_extract(j.value, '$.mentor_id'), b.coordinator_id,
        b.activity_type_id, b.activity_date, b.duration_minutes, b.location, b.notes,
        json_extract(j.value, '$.mentor_id') <> b.coordinator_id, 'bulk', b.batch_id, 'pending',
        ${actor.actor_id}, ${eventId}, ${now}, ${now}
      ${creatable}`),
    createdEvents: rows(
      insertOutbox(
        orgId,
        createdEventId,
        attributionEventPayload(orgId, { id: createdEventId, action: "proxy_created" }, actor, now),
        now,
        sql`from ${attributions} a where a.org_id = ${orgId} and a.last_event_id = ${eventId}`,
      ),
    ),
    confirmedEvent: rows(
      insertOutbox(
        orgId,
        sql`${eventId}`,
        batchEventPayload(orgId, { id: eventId, action: "bulk_confirmed" }, actor, now),
        now,
        sql`from ${batches} b where ${pendingBatch}`,
      ),
    ),
    confirmed: rows(sql`update ${batches} set status = 'confirmed', confirmed_at = ${now},
        items = (select json_group_array(case when json_extract(j.value, '$.status') = 'will_create'
            then json_set(j.value, '$.status', 'created', '$.attribution_id',
              (select a.attribution_id from ${attributions} a where a.org_id = ${orgId}
                and a.batch_id = ${batchId} and a.mentor_id = json_extract(j.value, '$.mentor_id')))
            else json(j.value) end)
          from json_each(${batches.items}) j)
      where ${pendingRow}`),
  };
}

/** The batch as the write left it, the attributions it created and the events it recorded. */
function resultSteps(orgId: string, batchId: SQL, eventIds: string[], confirmEventId: string | null) {
  return {
    batch: rows<BatchRaw>(sql`select * from ${batches} where org_id = ${orgId} and batch_id = ${batchId}`),
    // Unordered, so SQLite reads the batch index rather than walking the organisation's keys in order.
    created: rows<AttributionRowRaw>(sql`select *, null as mentor_name, null as coordinator_name
      from ${attributions} where org_id = ${orgId} and batch_id = ${batchId}`),
    events: rows<OutboxRaw>(sql`select event_id, payload from ${auditOutbox}
      where event_id in (select value from json_each(${JSON.stringify(eventIds)})
        ${
          confirmEventId
            ? sql`union all select ${confirmEventId} || ':' || a.attribution_id from ${attributions} a
                where a.org_id = ${orgId} and a.last_event_id = ${confirmEventId}`
            : sql``
        })`),
  };
}

type ResultRows = { batch: BatchRaw[]; created: AttributionRowRaw[]; events: OutboxRaw[] };

function toOutcome(results: ResultRows): Written<BatchOutcome> | null {
  const batch = results.batch[0];
  if (!batch) return null;
  return {
    value: {
      batch: batchFromRaw(batch),
      created: results.created
        .map(attributionFromRaw)
        .sort((x, y) => x.attributionId.localeCompare(y.attributionId)),
    },
    events: orderEvents(results.events).map(toOutboxEvent),
  };
}

/** Submission first, then each created attribution, then the confirmation. */
function orderEvents(events: OutboxRaw[]): OutboxRaw[] {
  const rank = (e: OutboxRaw) => {
    const action = (JSON.parse(e.payload) as { action?: string }).action;
    return action === "bulk_submission" ? 0 : action === "proxy_created" ? 1 : 2;
  };
  return [...events].sort((a, b) => rank(a) - rank(b) || a.event_id.localeCompare(b.event_id));
}

/** Records a batch with its per-mentor decisions (and confirms it when asked), in one D1 batch. */
export function createBatch(input: CreateBatchInput) {
  const { orgId, now, actor } = input;
  const day = idDay(now);
  const typeKnown = activityTypeKnown(input.activityTypeId);
  const coordinatorOk = input.checkCoordinator
    ? activeMemberWithRole(orgId, input.coordinatorId, "coordinator")
    : sql`1`;
  const batchId = sql`('batch-' || ${day} || '-' || printf('%03d', ${counterValue(orgId, "batch", day)}))`;
  const ids = JSON.stringify(input.mentorIds);
  // Not counting what the confirmation in this same batch creates, so every statement decides alike.
  const items = evaluateItems(
    orgId,
    sql`${ids}`,
    sql`${input.activityTypeId}`,
    sql`${input.activityDate}`,
    input.confirmEventId ?? undefined,
  );
  // A batch that would create nobody records nothing: no batch, no ID, no audit event.
  const valid = sql`(${typeKnown} and ${coordinatorOk} and ${creatableIn(items)})`;
  const eventIds = [input.submissionEventId, ...(input.confirmEventId ? [input.confirmEventId] : [])];
  // A batch ID expression reads today's counter, which may point at an earlier batch when this
  // one is invalid, so every statement is guarded by `valid` as well.
  const submit = {
    batchId: rows(bumpCounter(orgId, "batch", day, sql`1`, valid)),
    submitted:
      rows(sql`insert into ${batches} (org_id, batch_id, coordinator_id, created_by, activity_type_id,
        activity_date, duration_minutes, location, notes, mentor_ids, items, mentor_count, skipped_count, status,
        created_at)
      select ${orgId}, ${batchId}, ${input.coordinatorId}, ${actor.actor_id}, ${input.activityTypeId},
        ${input.activityDate}, ${input.durationMinutes}, ${input.location}, ${input.notes}, ${ids}, ${items},
        ${input.mentorIds.length}, 0, 'pending', ${now}
      where ${valid}`),
    submittedSkipped: rows(sql`update ${batches} set skipped_count = ${skippedIn(sql`${batches.items}`)}
      where org_id = ${orgId} and batch_id = ${batchId} and status = 'pending' and ${valid}`),
    submissionEvent: rows(
      insertOutbox(
        orgId,
        sql`${input.submissionEventId}`,
        batchEventPayload(orgId, { id: input.submissionEventId, action: "bulk_submission" }, actor, now),
        now,
        sql`from ${batches} b where b.org_id = ${orgId} and b.batch_id = ${batchId} and ${valid}`,
      ),
    ),
  };
  const confirm = input.confirmEventId
    ? confirmSteps(orgId, batchId, valid, input.confirmEventId, now, actor)
    : undefined;
  return prepareWrite({
    steps: {
      ...submit,
      ...confirm,
      ...resultSteps(orgId, batchId, eventIds, input.confirmEventId),
      checks: rows<{ type_known: number; coordinator_ok: number; items: string }>(
        sql`select ${typeKnown} as type_known, ${coordinatorOk} as coordinator_ok, ${items} as items`,
      ),
    },
    outcome: (results) => {
      const check = results.checks[0];
      if (!check?.type_known) return refused<CreateBatchRefusal, BatchItem[]>("type_unknown", []);
      if (!check.coordinator_ok) return refused("coordinator_not_active", []);
      const decision = JSON.parse(check.items) as BatchItem[];
      if (!decision.some((item) => item.status === "will_create")) return refused("all_skipped", decision);
      const outcome = toOutcome(results);
      if (!outcome) throw new Error("batch insert returned no row");
      return ok(outcome);
    },
    // The batch was recorded exactly when its submission event was.
    answer: {
      from: sql`from ${batches} b where b.org_id = ${orgId} and b.batch_id = ${batchId}
        and exists (select 1 from ${auditOutbox} where event_id = ${input.submissionEventId})`,
      row: { alias: "b" },
    },
  });
}

export interface ConfirmBatchInput {
  orgId: string;
  batchId: string;
  /** Set when the caller may only confirm its own batches. */
  onlyCoordinator: string | null;
  eventId: string;
  now: string;
  actor: ActorContext;
}

export type ConfirmBatchRefusal = "not_found" | "forbidden" | "all_skipped";

/**
 * Confirms a pending batch: creates every will_create attribution with its
 * activity and audit events. On a confirmed batch it changes nothing and answers
 * the batch as it is, with no events. A caller confined to its own batches is refused another's.
 */
export function confirmBatch(input: ConfirmBatchInput) {
  const { orgId, now, actor, eventId } = input;
  const batchId = sql`${input.batchId}`;
  // Unqualified, so it names the batch row in every statement it guards.
  const owner = input.onlyCoordinator === null ? sql`1` : sql`coordinator_id = ${input.onlyCoordinator}`;
  return prepareWrite({
    steps: {
      ...confirmSteps(orgId, batchId, owner, eventId, now, actor),
      ...resultSteps(orgId, batchId, [eventId], eventId),
      decided: rows<{
        items: string;
      }>(sql`select ${decisionFor(orgId, "b", eventId)} as items from ${batches} b
        where b.org_id = ${orgId} and b.batch_id = ${batchId}`),
    },
    outcome: (results) => {
      const outcome = toOutcome(results);
      if (!outcome) return refused<ConfirmBatchRefusal, BatchItem[]>("not_found", []);
      const { batch } = outcome.value;
      if (input.onlyCoordinator !== null && batch.coordinatorId !== input.onlyCoordinator) {
        return refused("forbidden", []);
      }
      if (batch.status === "pending") {
        // Still pending after a confirmation by its owner: its fresh decision created nobody.
        return refused("all_skipped", JSON.parse(results.decided[0]?.items ?? "[]") as BatchItem[]);
      }
      return ok(outcome);
    },
    // A confirmed batch of the caller's is the answer, whether this request or an earlier one confirmed it.
    answer: {
      from: sql`from ${batches} b where b.org_id = ${orgId} and b.batch_id = ${batchId} and ${owner}
        and b.status = 'confirmed'`,
      row: { alias: "b" },
    },
  });
}
