import type { AuditLog } from "./audit/audit-log.do";
import type { ConfigVarBindings } from "./config";

/**
 * Bindings and variables of the Worker, as declared in wrangler.toml and .dev.vars: each
 * configuration var of `CONFIG_VARS` (src/config.ts, where each is described) as text, and the
 * bindings below.
 */
export interface Env extends ConfigVarBindings {
  /**
   * The directory: which database holds each organisation (SPEC §13). The databases themselves
   * are bound as DB_1, DB_2, … and listed in D1_DATABASES; they are found by name, through
   * `databaseBinding`, never as typed fields, so adding one is a change of configuration only.
   */
  DIRECTORY: D1Database;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  ASSETS?: Fetcher;
  /** Requests per caller and period on /api/v1 (`[[ratelimits]]` in wrangler.toml). */
  RATE_LIMITER: RateLimit;
  /** Requests without a valid token per client IP and period on /api/v1 (the second `[[ratelimits]]`). */
  IP_RATE_LIMITER: RateLimit;
}
