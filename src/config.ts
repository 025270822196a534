import { createHash } from "node:crypto";
import { z } from "zod";
import { AUDIT_KEY_VARS, type AuditKeys, auditKeysFrom } from "./audit/keys";
import { type Databases, parseDatabases } from "./db/databases";
import { directoryCacheSeconds } from "./db/placement";
import type { Env } from "./env";
import {
  problemsOf,
  text,
  type VarReader,
  type VarReaders,
  varsSchema,
  wholeNumber,
  wholeNumberOr,
} from "./lib/vars";

/**
 * The Worker's configuration, parsed once per set of bindings from `Env`. A deployment that is
 * misconfigured (say, a JWKS URL without the issuer and audience it must check, or an HS256
 * secret beside it) does not fall back to something weaker: the API answers 503 and the log
 * says why.
 */

/** Default longest token lifetime (`exp − now`, `exp − iat`), in seconds. */
export const DEFAULT_JWT_MAX_TTL_SECONDS = 24 * 60 * 60;
/** How long the changes feed keeps tombstones (SPEC §10), by default. */
export const DEFAULT_SYNC_RETENTION_DAYS = 90;

/** How far in the future a token's `iat` may be, for clocks that disagree a little. */
export const JWT_CLOCK_SKEW_SECONDS = 60;

/**
 * SHA-256 of the development JWT_SECRET that `npm run dev` embeds (scripts/dev/config.ts). The
 * Worker knows only this hash, so it can refuse the public secret anywhere but on a developer's
 * own machine without carrying the secret itself.
 */
const DEV_JWT_SECRET_SHA256 = "8669921b5d9a49a1181d338d53ea96296596b4ef46b6c94067d4514d8498df62";

export type TokenKeys =
  | { kind: "secret"; secret: Uint8Array; isDevelopmentSecret: boolean }
  | { kind: "jwks"; url: URL };

export interface Config {
  keys: TokenKeys;
  /** Checked when set; both are required with a JWKS. */
  issuer: string | undefined;
  audience: string | undefined;
  maxTokenTtlSeconds: number;
  /** Origins a browser may call the API from; empty means no CORS. */
  corsOrigins: string[];
  /** Days the changes feed keeps tombstones; a cursor older than that answers 410. */
  syncRetentionDays: number;
  /** Seconds an isolate trusts the directory's answer for an organisation. */
  directoryCacheSeconds: number;
  /** The databases organisations live on, and where new ones go (SPEC §13). */
  databases: Databases;
  /** Whether Durable Object jurisdictions are ignored (workerd has none; never in a deployment). */
  ignoreJurisdictions: boolean;
  /** The quotas of the two limiters, as their RateLimit headers state them. */
  /** Under `npm run dev`: a client's `CF-Connecting-IP` is not trusted (src/http/request-actor.ts). */
  localDevelopment: boolean;
  rateLimits: { caller: RateQuota; anonymous: RateQuota };
  /** The audit log's keys, as its objects read them from their own bindings. */
  audit: AuditKeys;
}

/** Requests per period of a `[[ratelimits]]` binding. */
export interface RateQuota {
  requests: number;
  periodSeconds: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** The values wrangler.toml ships with for the limiters' numbers, used when they are unset. */
const DEFAULT_RATE_LIMIT_REQUESTS = 100;
const DEFAULT_RATE_LIMIT_PERIOD_SECONDS = 60;
const DEFAULT_ANONYMOUS_REQUESTS = 30;

/** The identity provider's key set: an https URL. */
const httpsUrl: VarReader<URL | undefined> = (name) =>
  text(name).transform((value, ctx) => {
    if (value === undefined) return undefined;
    const url = URL.parse(value);
    if (url === null || url.protocol !== "https:") {
      ctx.addIssue({
        code: "custom",
        message: url ? `${name} must be an https URL` : `${name} is not a URL`,
      });
      return z.NEVER;
    }
    return url;
  });

/** Comma-separated origins (`scheme://host[:port]`, no path); blank means none. */
const origins: VarReader<string[]> = (name) =>
  text(name).transform((value, ctx) =>
    (value ?? "")
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== "")
      .flatMap((origin) => {
        const url = URL.parse(origin);
        if (url && (url.protocol === "https:" || url.protocol === "http:") && url.origin === origin) {
          return [url.origin];
        }
        ctx.addIssue({
          code: "custom",
          message: `${name}: ${JSON.stringify(origin)} is not an origin (scheme://host[:port], no path)`,
        });
        return [];
      }),
  );

/** Unset, or `ignore` where Durable Object jurisdictions do not exist: whether they are ignored. */
const ignoreJurisdictions: VarReader<boolean> = (name) =>
  text(name).transform((value, ctx) => {
    if (value === undefined || value === "ignore") return value === "ignore";
    ctx.addIssue({
      code: "custom",
      message: `${name} must be unset, or "ignore" where jurisdictions do not exist`,
    });
    return z.NEVER;
  });

/** Unset, or `true`: whether the flag is raised. */
const flag: VarReader<boolean> = (name) =>
  text(name).transform((value, ctx) => {
    if (value === undefined || value === "true") return value === "true";
    ctx.addIssue({ code: "custom", message: `${name} must be unset, or "true"` });
    return z.NEVER;
  });

/**
 * Every var of the Worker's configuration, a line each; adding one is a line here and its field
 * in `Config`. The audit log's key vars come with the audit log's part of the schema.
 */
const CONFIG_VARS = {
  /** HS256 secret for bearer tokens (local dev and tests). */
  JWT_SECRET: text,
  /** JWKS endpoint of the identity provider (production, RS256/ES256). */
  JWKS_URL: httpsUrl,
  /** Expected `iss` and `aud`; both required with JWKS_URL. */
  JWT_ISSUER: text,
  JWT_AUDIENCE: text,
  /** Longest token lifetime accepted. */
  JWT_MAX_TTL_SECONDS: wholeNumber("seconds", DEFAULT_JWT_MAX_TTL_SECONDS),
  /** How long the changes feed keeps tombstones. */
  SYNC_RETENTION_DAYS: wholeNumber("days", DEFAULT_SYNC_RETENTION_DAYS),
  /** How long an isolate trusts the directory's answer for an organisation. */
  DIRECTORY_CACHE_SECONDS: directoryCacheSeconds,
  /** Comma-separated origins a browser may call the API from; empty means no CORS. */
  CORS_ORIGINS: origins,
  /**
   * The databases organisations live on, JSON: {"DB_1": {}, "DB_2": {"jurisdiction": "eu"}}
   * (src/db/databases.ts); checked against the Worker's D1 bindings, below.
   */
  D1_DATABASES: text,
  /**
   * `ignore` where Durable Object jurisdictions do not exist (workerd: `npm run dev`, the tests):
   * an organisation in a jurisdiction then gets its audit object from the plain namespace.
   * Never set in a deployment; refused beside JWKS_URL.
   */
  AUDIT_LOG_JURISDICTIONS: ignoreJurisdictions,
  /**
   * `true` under `npm run dev`, which sets it: no edge stands in front of the Worker, so
   * `CF-Connecting-IP` is whatever the client wrote and names no one. Never set in a deployment;
   * refused beside JWKS_URL.
   */
  LOCAL_DEVELOPMENT: flag,
  /** The limiters' `simple.limit` and `simple.period`, repeated for their RateLimit headers; a wrong one shows the default. */
  RATE_LIMIT_REQUESTS: wholeNumberOr("requests", DEFAULT_RATE_LIMIT_REQUESTS),
  RATE_LIMIT_PERIOD_SECONDS: wholeNumberOr("seconds", DEFAULT_RATE_LIMIT_PERIOD_SECONDS),
  IP_RATE_LIMIT_REQUESTS: wholeNumberOr("requests", DEFAULT_ANONYMOUS_REQUESTS),
  IP_RATE_LIMIT_PERIOD_SECONDS: wholeNumberOr("seconds", DEFAULT_RATE_LIMIT_PERIOD_SECONDS),
  /** The signing key, the key name and origin prefix, the retired keys, the key's start (src/audit/keys.ts). */
  ...AUDIT_KEY_VARS,
} satisfies VarReaders;

/** The configuration vars as bindings: text, or unset. */
export type ConfigVarBindings = { [K in keyof typeof CONFIG_VARS]?: string };

type ConfigVars = z.output<ReturnType<typeof varsSchema<typeof CONFIG_VARS>>>;

/** The databases D1_DATABASES names, checked against the bindings the Worker has. */
const databasesOf = (vars: ConfigVars, problems: string[]) =>
  parseDatabases(typeof vars.D1_DATABASES === "string" ? vars.D1_DATABASES : undefined, vars, problems);

/**
 * What one var cannot say alone: the token keys come from exactly one source, a JWKS with the
 * issuer and audience it must check; the databases exist; jurisdictions are ignored only in
 * workerd. Checked even when a var failed on its own, so every problem is listed at once.
 */
function checkTogether(vars: ConfigVars, ctx: z.RefinementCtx): void {
  const problem = (message: string) => ctx.addIssue({ code: "custom", message });
  const secret = vars.JWT_SECRET;
  const jwks = vars.JWKS_URL;
  if (secret !== undefined && jwks !== undefined) {
    problem("JWT_SECRET and JWKS_URL are both set: tokens must come from one source; remove JWT_SECRET");
  } else if (jwks !== undefined) {
    if (vars.JWT_ISSUER === undefined)
      problem("JWKS_URL is set but JWT_ISSUER is not: the issuer must be checked");
    if (vars.JWT_AUDIENCE === undefined) {
      problem("JWKS_URL is set but JWT_AUDIENCE is not: the audience must be checked");
    }
  } else if (secret === undefined) {
    problem("Neither JWKS_URL nor JWT_SECRET is set: no token can be verified");
  }
  const problems: string[] = [];
  databasesOf(vars, problems);
  problems.forEach(problem);
  // A var that failed on its own still holds the text sent: only a flag read as raised counts here.
  if (vars.LOCAL_DEVELOPMENT === true && jwks !== undefined) {
    problem("LOCAL_DEVELOPMENT is for npm run dev only, and JWKS_URL says this is a deployment");
  }
  if (vars.AUDIT_LOG_JURISDICTIONS === true && jwks !== undefined) {
    problem(
      "AUDIT_LOG_JURISDICTIONS=ignore is for local workerd only, and JWKS_URL says this is a deployment",
    );
  }
}

function tokenKeys(secret: string | undefined, jwks: URL | undefined): TokenKeys {
  if (jwks !== undefined) return { kind: "jwks", url: jwks };
  if (secret === undefined) throw new Error("The configuration was checked to have a token key");
  const digest = createHash("sha256").update(secret, "utf8").digest("hex");
  return {
    kind: "secret",
    secret: new TextEncoder().encode(secret),
    isDevelopmentSecret: digest === DEV_JWT_SECRET_SHA256,
  };
}

/** The Worker's configuration: one schema over its vars, its checks, and the typed `Config`. */
const configSchema = varsSchema(CONFIG_VARS)
  .superRefine(checkTogether, { when: () => true })
  .transform((vars): Config => {
    const databases = databasesOf(vars, []);
    if (databases === null) throw new Error("The configuration was checked to name its databases");
    return {
      keys: tokenKeys(vars.JWT_SECRET, vars.JWKS_URL),
      issuer: vars.JWT_ISSUER,
      audience: vars.JWT_AUDIENCE,
      maxTokenTtlSeconds: vars.JWT_MAX_TTL_SECONDS,
      corsOrigins: vars.CORS_ORIGINS,
      syncRetentionDays: vars.SYNC_RETENTION_DAYS,
      directoryCacheSeconds: vars.DIRECTORY_CACHE_SECONDS,
      databases,
      ignoreJurisdictions: vars.AUDIT_LOG_JURISDICTIONS,
      localDevelopment: vars.LOCAL_DEVELOPMENT,
      rateLimits: {
        caller: { requests: vars.RATE_LIMIT_REQUESTS, periodSeconds: vars.RATE_LIMIT_PERIOD_SECONDS },
        anonymous: {
          requests: vars.IP_RATE_LIMIT_REQUESTS,
          periodSeconds: vars.IP_RATE_LIMIT_PERIOD_SECONDS,
        },
      },
      audit: auditKeysFrom(vars),
    };
  });

export function parseConfig(env: Env): ConfigResult {
  const read = configSchema.safeParse(env);
  return read.success ? { ok: true, config: read.data } : { ok: false, problems: problemsOf(read.error) };
}

const parsed = new WeakMap<Env, ConfigResult>();

/** The configuration of a set of bindings, parsed on first use and kept for the isolate's life. */
export function configOf(env: Env): ConfigResult {
  let result = parsed.get(env);
  if (result === undefined) {
    result = parseConfig(env);
    parsed.set(env, result);
  }
  return result;
}

/** Whether a request's host is this machine: the one place the development secret is accepted. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host);
}
