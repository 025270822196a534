import { buildApp } from "./app";
import type { Env } from "./lib/env";

export { AuditLog } from "./audit/audit-log.do";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
