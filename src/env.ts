import type { AuditLog } from "./audit/audit-log.do";

/** Bindings and variables of the Worker, as declared in wrangler.toml and .dev.vars. */
export interface Env {
  /**
   * The directory: which database holds each organisation (SPEC §13). The databases themselves
   * are bound as DB_1, DB_2, … and listed in D1_DATABASES; they are found by name, through
   * `databaseBinding`, never as typed fields, so adding one is a change of configuration only.
   */
  DIRECTORY: D1Database;
  /** The databases organisations live on, JSON: {"DB_1": {}, "DB_2": {"jurisdiction": "eu"}} (src/db/databases.ts). */
  D1_DATABASES?: string;
  /**
   * `ignore` where Durable Object jurisdictions do not exist (workerd: `npm run dev`, the tests):
   * an organisation in a jurisdiction then gets its audit object from the plain namespace.
   * Never set in a deployment; refused beside JWKS_URL.
   */
  AUDIT_LOG_JURISDICTIONS?: string;
  /**
   * `true` under `npm run dev`: no edge stands in front of the Worker, so `CF-Connecting-IP` is
   * whatever the client wrote and names no one. Never set in a deployment.
   */
  LOCAL_DEVELOPMENT?: string;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  ASSETS?: Fetcher;
  /** HS256 secret for bearer tokens (local dev and tests). */
  JWT_SECRET?: string;
  /** JWKS endpoint of the identity provider (production, RS256/ES256). */
  JWKS_URL?: string;
  /** Expected `iss` and `aud`; both required with JWKS_URL. */
  JWT_ISSUER?: string;
  JWT_AUDIENCE?: string;
  /** Longest token lifetime accepted, in seconds (default 86400). */
  JWT_MAX_TTL_SECONDS?: string;
  /** Days the changes feed keeps tombstones (default 90). */
  SYNC_RETENTION_DAYS?: string;
  /** Seconds an isolate trusts the directory's answer for an organisation (default 60). */
  DIRECTORY_CACHE_SECONDS?: string;
  /** Comma-separated origins a browser may call the API from; empty means no CORS. */
  CORS_ORIGINS?: string;
  /** Base64 PKCS#8 Ed25519 private key that signs the audit logs' checkpoints (a secret). */
  AUDIT_SIGNING_KEY?: string;
  /** The checkpoints' key name and the prefix of every log's origin; set once, never changed. */
  AUDIT_LOG_ORIGIN?: string;
  /** Retired public keys, JSON: [{public_key, not_before, not_after}]. */
  AUDIT_PUBLIC_KEYS?: string;
  /** When the current signing key came into use (ISO 8601), for the keys listing. */
  AUDIT_SIGNING_KEY_NOT_BEFORE?: string;
  /** Requests per caller and period on /api/v1 (`[[ratelimits]]` in wrangler.toml). */
  RATE_LIMITER: RateLimit;
  /** The limiter's `simple.limit` and `simple.period`, repeated for the RateLimit-Policy header. */
  RATE_LIMIT_REQUESTS?: string;
  RATE_LIMIT_PERIOD_SECONDS?: string;
  /** Requests without a valid token per client IP and period on /api/v1 (the second `[[ratelimits]]`). */
  IP_RATE_LIMITER: RateLimit;
  IP_RATE_LIMIT_REQUESTS?: string;
  IP_RATE_LIMIT_PERIOD_SECONDS?: string;
}
