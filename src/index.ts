import { buildApp } from "./app";
import { drainOutbox } from "./audit/outbox";
import { createDb } from "./db/client";
import { deleteExpiredIdempotencyKeys } from "./db/queries/idempotency";
import type { Env } from "./env";
import { nowIso } from "./lib/time";

export { AuditLog } from "./audit/audit-log.do";

/** Expired idempotency keys one scheduled run deletes; a backlog is worked off over later runs. */
const EXPIRED_KEYS_PER_RUN = 5000;

const app = buildApp();

export default {
  fetch: app.fetch,
  /** Cron trigger: appends audit events whose first delivery failed, and forgets expired idempotency keys. */
  async scheduled(_controller, env) {
    const result = await drainOutbox(env);
    if (result.delivered > 0 || result.failed > 0) {
      console.log(JSON.stringify({ level: "info", msg: "audit outbox drained", ...result }));
    }
    const expired = await deleteExpiredIdempotencyKeys(createDb(env.DB), nowIso(), EXPIRED_KEYS_PER_RUN);
    if (expired > 0) {
      console.log(JSON.stringify({ level: "info", msg: "expired idempotency keys deleted", count: expired }));
    }
  },
} satisfies ExportedHandler<Env>;
