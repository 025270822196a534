import type { Db } from "../db/client";
import type { OutboxEvent } from "../db/queries/outbox";
import { clearOutbox, markOutboxFailed, pendingOutbox } from "../db/queries/outbox";
import { loggableError, logLine } from "../lib/log";
import { type AuditLogNamespace, type AuditLogStub, auditLogOf } from "./client";
import type { AuditEventInput } from "./types";

/** How many outbox rows one scheduled run drains, and of one organisation at most. */
const DRAIN_BATCH_SIZE = 500;
const DRAIN_PER_ORGANISATION = 100;

function toInput(event: OutboxEvent): AuditEventInput {
  return JSON.parse(event.payload) as AuditEventInput;
}

interface Deferrer {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Appends committed events to the organisation's audit object. The data is
 * already in D1 with its outbox rows, so a failure here is logged and left to
 * the scheduled drain; the caller's request still succeeds. The object ignores
 * event IDs it holds, so a later retry cannot write twice.
 */
export async function deliver(
  log: AuditLogStub,
  db: Db,
  defer: Deferrer,
  orgId: string,
  events: readonly OutboxEvent[],
): Promise<boolean> {
  if (events.length === 0) return true;
  try {
    const outcome = await log.append(events.map(toInput));
    if (outcome.status === "refused") throw new Error(`${outcome.reason}: ${outcome.detail}`);
  } catch (err) {
    logLine("warn", "audit append failed; left in outbox", {
      org: orgId,
      events: events.length,
      error: loggableError(err),
    });
    return false;
  }
  // Clearing the outbox is off the response path: a row left behind is only re-sent, never duplicated.
  defer.waitUntil(
    clearOutbox(
      db,
      events.map((e) => e.eventId),
    ),
  );
  return true;
}

/**
 * Drains one database's undelivered audit events, each organisation's in the order they were
 * written, one append per organisation, into the audit objects of `logs` (those of the
 * database's jurisdiction).
 */
export async function drainOutbox(
  logs: AuditLogNamespace,
  db: Db,
): Promise<{ delivered: number; failed: number }> {
  const rows = await pendingOutbox(db, DRAIN_BATCH_SIZE, DRAIN_PER_ORGANISATION);
  const byOrg = new Map<string, typeof rows>();
  for (const row of rows) {
    const list = byOrg.get(row.orgId) ?? [];
    list.push(row);
    byOrg.set(row.orgId, list);
  }
  let delivered = 0;
  let failed = 0;
  for (const [orgId, list] of byOrg) {
    const log = auditLogOf(logs, orgId);
    try {
      const outcome = await log.append(list.map(toInput));
      if (outcome.status === "refused") {
        // The object appends nothing for now (no key, or a tree it cannot trust): all wait.
        failed += list.length;
        await markOutboxFailed(
          db,
          list.map((r) => r.eventId),
          `${outcome.reason}: ${outcome.detail}`,
        );
        continue;
      }
      await clearOutbox(
        db,
        list.map((r) => r.eventId),
      );
      delivered += list.length;
      continue;
    } catch {
      // One event the object refuses must not hold back the others: retry them one at a time.
    }
    for (const row of list) {
      try {
        const outcome = await log.append([toInput(row)]);
        if (outcome.status === "refused") throw new Error(`${outcome.reason}: ${outcome.detail}`);
        await clearOutbox(db, [row.eventId]);
        delivered += 1;
      } catch (err) {
        failed += 1;
        await markOutboxFailed(db, [row.eventId], loggableError(err));
      }
    }
  }
  return { delivered, failed };
}
