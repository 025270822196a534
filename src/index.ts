import { buildApp } from "./app";
import { auditBindingFor } from "./audit/client";
import { drainOutbox } from "./audit/outbox";
import { configOf } from "./config";
import { createDb } from "./db/client";
import { databaseBinding } from "./db/databases";
import { deleteExpiredIdempotencyKeys } from "./db/queries/idempotency";
import type { Env } from "./env";
import { logLine } from "./lib/log";
import { nowIso } from "./lib/time";

export { AuditLog } from "./audit/audit-log.do";

/** Expired idempotency keys one scheduled run deletes per database; a backlog is worked off over later runs. */
const EXPIRED_KEYS_PER_RUN = 5000;

const app = buildApp();

/** One database's scheduled work: its audit outbox, then its expired idempotency keys. */
async function tendDatabase(env: Env, binding: string, audit: ReturnType<typeof auditBindingFor>) {
  const db = createDb(databaseBinding(env as unknown as Record<string, unknown>, binding));
  const result = await drainOutbox(audit, db);
  if (result.delivered > 0 || result.failed > 0) {
    logLine("info", "audit outbox drained", { database: binding, ...result });
  }
  const expired = await deleteExpiredIdempotencyKeys(db, nowIso(), EXPIRED_KEYS_PER_RUN);
  if (expired > 0) logLine("info", "expired idempotency keys deleted", { database: binding, count: expired });
}

export default {
  fetch: app.fetch,
  /**
   * Cron trigger: in every database organisations live on, appends audit events whose first
   * delivery failed and forgets expired idempotency keys. A database that fails is logged and
   * the others are still tended.
   */
  async scheduled(_controller, env) {
    const result = configOf(env);
    if (!result.ok) {
      logLine("error", "configuration refused; the scheduled work waits until it is fixed", {
        problems: result.problems,
      });
      return;
    }
    const { databases, ignoreJurisdictions } = result.config;
    for (const entry of databases.entries) {
      try {
        await tendDatabase(env, entry.binding, auditBindingFor(env, entry.jurisdiction, ignoreJurisdictions));
      } catch (err) {
        logLine("error", "scheduled work of a database failed", {
          database: entry.binding,
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  },
} satisfies ExportedHandler<Env>;
