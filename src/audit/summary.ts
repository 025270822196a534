import { present } from "../lib/present";
import { entryId } from "./entry-id";
import type { AuditEntry } from "./types";

/**
 * An entry as the list routes and the system `POST` show it. It lives beside the object because
 * the object stores the `POST`'s answer, built from this, in the transaction of the append.
 */
export function entrySummary(entry: AuditEntry) {
  return {
    id: entry.id,
    action: entry.action,
    ...present({
      coordinator_id: entry.coordinator_id,
      mentor_id: entry.mentor_id,
      activity_id: entry.activity_id,
      batch_id: entry.batch_id,
      member_id: entry.member_id,
      mentor_ids: entry.mentor_ids,
      target_id: entry.target_seq === null ? null : entryId(entry.target_seq),
    }),
    timestamp: entry.timestamp,
  };
}
