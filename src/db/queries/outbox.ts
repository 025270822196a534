import { asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { auditOutbox } from "../schema";

export interface PendingOutboxRow {
  eventId: string;
  orgId: string;
  payload: string;
}

/** Forgets events the audit object has acknowledged. */
export async function clearOutbox(db: Db, eventIds: readonly string[]): Promise<void> {
  if (eventIds.length === 0) return;
  await db
    .delete(auditOutbox)
    .where(inArray(auditOutbox.eventId, sql`(select value from json_each(${JSON.stringify(eventIds)}))`));
}

/** The oldest undelivered events, in the order they were written. */
export async function pendingOutbox(db: Db, limit: number): Promise<PendingOutboxRow[]> {
  return db
    .select({ eventId: auditOutbox.eventId, orgId: auditOutbox.orgId, payload: auditOutbox.payload })
    .from(auditOutbox)
    .orderBy(asc(auditOutbox.createdAt), asc(auditOutbox.eventId))
    .limit(limit)
    .all();
}

/** Records a failed delivery so operators can see stuck events. */
export async function markOutboxFailed(db: Db, eventIds: readonly string[], error: string): Promise<void> {
  if (eventIds.length === 0) return;
  await db
    .update(auditOutbox)
    .set({ attempts: sql`${auditOutbox.attempts} + 1`, lastError: error.slice(0, 500) })
    .where(inArray(auditOutbox.eventId, sql`(select value from json_each(${JSON.stringify(eventIds)}))`));
}

export async function outboxSize(db: Db, orgId?: string): Promise<number> {
  const query = db.select({ n: sql<number>`count(*)` }).from(auditOutbox);
  const row = await (orgId === undefined ? query : query.where(eq(auditOutbox.orgId, orgId))).get();
  return row?.n ?? 0;
}
