import type { EntryFields } from "../../src/audit/store";
import type { AppendOutcome, AppendResult, AuditEventInput } from "../../src/audit/types";

/** A proxy_created event by coord-119 for mentor-482, with its own activity. */
export function event(id: string, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    event_id: id,
    action: "proxy_created",
    actor_id: "coord-119",
    coordinator_id: "coord-119",
    mentor_id: "mentor-482",
    activity_id: `pa-${id}`,
    ...extra,
  };
}

/** Each event's result of an append the object accepted; the test fails on a refusal. */
export function appended(outcome: AppendOutcome): AppendResult[] {
  if (outcome.status !== "appended") throw new Error(`the append was refused: ${outcome.detail}`);
  return outcome.results;
}

/** Every column of an entry as the log's writer takes it: a proxy_created by coord-119, the rest null. */
export function entryFields(extra: Partial<EntryFields> = {}): EntryFields {
  return {
    event_id: "e-1",
    action: "proxy_created",
    actor_id: "coord-119",
    actor_name: null,
    coordinator_id: "coord-119",
    mentor_id: null,
    mentor_name: null,
    activity_id: null,
    attribution_id: null,
    batch_id: null,
    mentor_ids: null,
    activity_type_id: null,
    activity_date: null,
    mentor_count: null,
    skipped_count: null,
    changes: null,
    ip_address: null,
    user_agent: null,
    target_seq: null,
    annotation: null,
    reviewed_by: null,
    member_id: null,
    statement_id: null,
    statement_hash: null,
    timestamp: "2026-03-20T09:00:00Z",
    recorded_at: "2026-03-20T09:00:01Z",
    ...extra,
  };
}
