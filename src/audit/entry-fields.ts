/** The columns of a new entry: from an event, or from a record the object writes itself. */
import { canonicalJson, DELETION_ACTION } from "./chain";
import type { ParsedActor, ParsedEvent } from "./events";
import type { EntryFields } from "./store";
import type { AuditNote, AuditRow } from "./types";

export function eventFields(event: ParsedEvent, recordedAt: string): EntryFields {
  return {
    event_id: event.event_id,
    action: event.action,
    actor_id: event.actor_id,
    actor_name: event.actor_name ?? null,
    coordinator_id: event.coordinator_id ?? null,
    mentor_id: event.mentor_id ?? null,
    mentor_name: event.mentor_name ?? null,
    activity_id: event.activity_id ?? null,
    attribution_id: event.attribution_id ?? null,
    batch_id: event.batch_id ?? null,
    mentor_ids: event.mentor_ids ? canonicalJson(event.mentor_ids) : null,
    activity_type_id: event.activity_type_id ?? null,
    activity_date: event.activity_date ?? null,
    mentor_count: event.mentor_count ?? null,
    skipped_count: event.skipped_count ?? null,
    changes: event.changes ? canonicalJson(event.changes) : null,
    ip_address: event.ip_address ?? null,
    user_agent: event.user_agent ?? null,
    member_id: event.member_id ?? null,
    statement_id: null,
    statement_hash: null,
    target_seq: null,
    annotation: null,
    reviewed_by: null,
    timestamp: event.occurred_at ?? recordedAt,
    recorded_at: recordedAt,
  };
}

/** A record the object writes about one of its entries (an annotation or a deletion). */
export function recordFields(
  action: string,
  target: AuditRow,
  actor: ParsedActor,
  now: string,
  note: AuditNote | null,
): EntryFields {
  return {
    ...eventFields({ event_id: `${action}:${crypto.randomUUID()}`, action, ...actor }, now),
    // A deletion record keeps the references that place what it removed.
    ...(action === DELETION_ACTION
      ? { attribution_id: target.attribution_id, activity_id: target.activity_id }
      : {}),
    target_seq: target.seq,
    annotation: note?.annotation ?? null,
    reviewed_by: note?.reviewed_by ?? null,
  };
}
