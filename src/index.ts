import { buildApp } from "./app";
import { drainOutbox } from "./audit/outbox";
import { configOf } from "./config";
import { createDb } from "./db/client";
import { deleteExpiredIdempotencyKeys } from "./db/queries/idempotency";
import { pruneSyncTombstones } from "./db/queries/sync";
import type { Env } from "./env";
import { nowIso, toIsoSeconds } from "./lib/time";

export { AuditLog } from "./audit/audit-log.do";

/** Expired idempotency keys one scheduled run deletes; a backlog is worked off over later runs. */
const EXPIRED_KEYS_PER_RUN = 5000;

const DAY_MS = 24 * 60 * 60 * 1000;

const app = buildApp();

export default {
  fetch: app.fetch,
  /**
   * Cron trigger: appends audit events whose first delivery failed, forgets expired idempotency
   * keys, and prunes the changes feed's tombstones older than SYNC_RETENTION_DAYS.
   */
  async scheduled(controller, env) {
    const result = await drainOutbox(env);
    if (result.delivered > 0 || result.failed > 0) {
      console.log(JSON.stringify({ level: "info", msg: "audit outbox drained", ...result }));
    }
    const expired = await deleteExpiredIdempotencyKeys(createDb(env.DB), nowIso(), EXPIRED_KEYS_PER_RUN);
    if (expired > 0) {
      console.log(JSON.stringify({ level: "info", msg: "expired idempotency keys deleted", count: expired }));
    }
    const config = configOf(env);
    // A misconfigured deployment answers 503 and says why; it prunes nothing meanwhile.
    if (config.ok) {
      const before = toIsoSeconds(
        new Date(controller.scheduledTime - config.config.syncRetentionDays * DAY_MS),
      );
      const pruned = await pruneSyncTombstones(createDb(env.DB), before);
      if (pruned > 0)
        console.log(JSON.stringify({ level: "info", msg: "sync tombstones pruned", count: pruned }));
    }
  },
} satisfies ExportedHandler<Env>;
