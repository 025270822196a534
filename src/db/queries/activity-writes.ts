import { sql } from "drizzle-orm";
import { ok, refused } from "../../lib/result";
import type { Db } from "../client";
import { type ActivityRow, activities } from "../schema";
import {
  type ActivityLogChanges,
  type ActivityLogTarget,
  activityWriteStatements,
  type NewActivityLog,
  ownSelfEntry,
  type RecordAudit,
  SELF,
  sameEntry,
  updatableEntry,
} from "./activity-write-statements";
import { type MentorRefusal, mentorRefusal } from "./members";
import { toOutboxEvent } from "./outbox";
import type { Deletion, DeletionSource } from "./representations";
import { sameRow } from "./unchanged";
import { prepareWrite, query } from "./write-batch";

export type CreateActivityLogRefusal = MentorRefusal | "type_unknown" | "conflict" | "client_ref_conflict";

/** A self entry as a create left it: written now, or found under its client_ref with the same content. */
export interface CreatedActivityLog {
  row: ActivityRow;
  existing: boolean;
}

/**
 * Writes a `self` entry. With `requireActiveMentor`, the mentor must be an active member holding
 * the mentor role; the reason a create wrote nothing is read in the same batch. Under a
 * client_ref the mentor already used, it writes nothing and answers the stored entry:
 * `existing` when it holds the same content, refused `client_ref_conflict` (with it) otherwise.
 * With `audit` (an entry written for someone else) its audit event is written in the same batch.
 */
export function createActivityLog(
  db: Db,
  orgId: string,
  entry: NewActivityLog,
  requireActiveMentor: boolean,
  audit: RecordAudit | undefined,
) {
  const statements = activityWriteStatements;
  const clientRef = entry.clientRef;
  return prepareWrite({
    steps: {
      inserted: query(statements.insert(db, orgId, entry, requireActiveMentor)),
      checks: query(statements.createChecks(db, orgId, entry)),
      // With no client_ref this reads nothing: no row has a null one equal to anything.
      stored: query(statements.byClientRef(db, orgId, entry.mentorId, clientRef ?? "")),
      event: audit ? query(statements.createdEvent(db, orgId, entry, audit)) : undefined,
    },
    outcome: (results) => {
      const row = results.inserted[0];
      const events = (results.event ?? []).map(toOutboxEvent);
      if (row) return ok({ value: { row, existing: false }, events });
      const held = clientRef === null ? undefined : results.stored[0];
      if (held) {
        return sameEntry(held, entry)
          ? ok({ value: { row: held, existing: true }, events: [] })
          : refused<CreateActivityLogRefusal, ActivityRow | undefined>("client_ref_conflict", held);
      }
      const check = results.checks[0];
      if (!check?.typeKnown) return refused("type_unknown", undefined);
      const mentor = requireActiveMentor ? mentorRefusal(check) : null;
      return refused(mentor ?? "conflict", undefined);
    },
    // The entry as the insert wrote it; a resend under its client_ref wrote nothing and stores nothing here.
    answer: {
      from: sql`from ${activities} a where a.org_id = ${orgId} and a.activity_id = ${entry.activityId}`,
      row: { alias: "a" },
    },
  });
}

/** Why an update or delete of an entry wrote nothing. */
export type ActivityLogWriteRefusal =
  | "not_found"
  /** The entry belongs to a mentor the caller may not write for. */
  | "not_owner"
  /** A proxy or bulk entry, which its attribution owns. */
  | "not_self"
  /** The entry changed after the caller's precondition was checked. */
  | "stale"
  | "type_unknown"
  | "conflict";

/** Why a write aimed at `current` missed it, most fundamental reason first. */
function writeRefusal(
  current: ActivityRow | null,
  ownerId: string | undefined,
  seen: ActivityRow | undefined,
  typeKnown: boolean,
): ActivityLogWriteRefusal {
  if (!current) return "not_found";
  if (ownerId !== undefined && current.mentorId !== ownerId) return "not_owner";
  if (current.entryMode !== SELF) return "not_self";
  if (seen !== undefined && !sameRow(current, seen)) return "stale";
  if (!typeKnown) return "type_unknown";
  return "conflict";
}

/**
 * Changes a `self` entry. Nothing records whether a change happened once the batch is over (a
 * mentor's own change writes no event), so its Idempotency-Key answer is decided by the update's
 * own conditions, right before it.
 */
export function updateActivityLog(target: ActivityLogTarget, changes: ActivityLogChanges) {
  const { db, orgId, activityId, ownerId, seen } = target;
  const statements = activityWriteStatements;
  return prepareWrite({
    steps: {
      event: query(statements.updatedEvent(target, changes)),
      update: query(statements.update(target, changes)),
      current: query(statements.current(db, orgId, activityId, changes.activityType)),
    },
    outcome: (results) => {
      const row = results.update[0];
      if (row) return ok({ value: row, events: results.event.map(toOutboxEvent) });
      const now = results.current[0];
      const entry = now?.row ?? null;
      return refused(writeRefusal(entry, ownerId, seen, Boolean(now?.typeKnown)), entry);
    },
    answer: {
      from: sql`from ${activities} a where a.org_id = ${orgId} and a.activity_id = ${activityId}`,
      row: { alias: "a" },
      decidedBefore: {
        step: "update",
        where: sql`from ${activities} where ${updatableEntry(target, changes)}`,
      },
    },
  });
}

/** Deletes a `self` entry; its answer is decided right before the delete, by the delete's own conditions. */
export function deleteActivityLog(target: ActivityLogTarget) {
  const { db, orgId, activityId, ownerId, seen, audit } = target;
  const statements = activityWriteStatements;
  return prepareWrite({
    steps: {
      event: query(statements.deletedEvent(target)),
      delete: query(statements.delete(target)),
      current: query(statements.current(db, orgId, activityId, undefined)),
    },
    outcome: (results) => {
      const deleted: Deletion = { id: activityId, at: audit.now };
      if (results.delete[0]) return ok({ value: deleted, events: results.event.map(toOutboxEvent) });
      const entry = results.current[0]?.row ?? null;
      return refused(writeRefusal(entry, ownerId, seen, true), entry);
    },
    answer: {
      from: sql`from (select 1)`,
      row: { id: sql`${activityId}`, at: sql`${audit.now}` } satisfies DeletionSource,
      decidedBefore: { step: "delete", where: sql`from ${activities} where ${ownSelfEntry(target)}` },
    },
  });
}
