import { buildApp } from "./app";
import { drainOutbox } from "./audit/outbox";
import type { Env } from "./lib/env";

export { AuditLog } from "./audit/audit-log.do";

const app = buildApp();

export default {
  fetch: app.fetch,
  /** Cron trigger: appends audit events whose first delivery failed. */
  async scheduled(_controller, env) {
    const result = await drainOutbox(env);
    if (result.delivered > 0 || result.failed > 0) {
      console.log(JSON.stringify({ level: "info", msg: "audit outbox drained", ...result }));
    }
  },
} satisfies ExportedHandler<Env>;
