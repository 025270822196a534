import { buildApp } from "./app";
import { type AuditLogNamespace, auditLogsIn } from "./audit/client";
import { drainOutbox } from "./audit/outbox";
import { configOf } from "./config";
import { createDb } from "./db/client";
import { databaseBinding } from "./db/databases";
import { deleteExpiredIdempotencyKeys } from "./db/queries/idempotency";
import { pruneSyncTombstones } from "./db/queries/sync";
import type { Env } from "./env";
import { loggableError, logLine } from "./lib/log";
import { nowIso, toIsoSeconds } from "./lib/time";

export { AuditLog } from "./audit/audit-log.do";

/** Expired idempotency keys one scheduled run deletes per database; a backlog is worked off over later runs. */
const EXPIRED_KEYS_PER_RUN = 5000;

const DAY_MS = 24 * 60 * 60 * 1000;

const app = buildApp();

/** One database's scheduled work: its audit outbox, its expired idempotency keys, its old tombstones. */
async function tendDatabase(env: Env, binding: string, logs: AuditLogNamespace, tombstonesBefore: string) {
  const db = createDb(databaseBinding(env as unknown as Record<string, unknown>, binding));
  const result = await drainOutbox(logs, db);
  if (result.delivered > 0 || result.failed > 0) {
    logLine("info", "audit outbox drained", { database: binding, ...result });
  }
  const expired = await deleteExpiredIdempotencyKeys(db, nowIso(), EXPIRED_KEYS_PER_RUN);
  if (expired > 0) logLine("info", "expired idempotency keys deleted", { database: binding, count: expired });
  const pruned = await pruneSyncTombstones(db, tombstonesBefore);
  if (pruned > 0) logLine("info", "sync tombstones pruned", { database: binding, count: pruned });
}

export default {
  fetch: app.fetch,
  /**
   * Cron trigger: in every database organisations live on, appends audit events whose first
   * delivery failed, forgets expired idempotency keys and prunes the changes feed's tombstones
   * older than SYNC_RETENTION_DAYS (leaving alone an organisation that is being moved). A
   * database that fails is logged and the others are still tended.
   */
  async scheduled(controller, env) {
    const result = configOf(env);
    if (!result.ok) {
      logLine("error", "configuration refused; the scheduled work waits until it is fixed", {
        problems: result.problems,
      });
      return;
    }
    const { databases, ignoreJurisdictions, syncRetentionDays } = result.config;
    const tombstonesBefore = toIsoSeconds(new Date(controller.scheduledTime - syncRetentionDays * DAY_MS));
    for (const entry of databases.entries) {
      try {
        await tendDatabase(
          env,
          entry.binding,
          auditLogsIn(env.AUDIT_LOG, entry.jurisdiction, ignoreJurisdictions),
          tombstonesBefore,
        );
      } catch (err) {
        logLine("error", "scheduled work of a database failed", {
          database: entry.binding,
          error: loggableError(err),
        });
      }
    }
  },
} satisfies ExportedHandler<Env>;
