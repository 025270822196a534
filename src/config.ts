import { createHash } from "node:crypto";
import { type Databases, parseDatabases } from "./db/databases";
import { directoryCacheSecondsOf } from "./db/placement";
import type { Env } from "./env";

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
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const blank = (value: string | undefined): string | undefined => (value?.trim() ? value.trim() : undefined);

function parseOrigin(value: string, problems: string[]): string | null {
  try {
    const url = new URL(value);
    if ((url.protocol === "https:" || url.protocol === "http:") && url.origin === value) return url.origin;
  } catch {
    // reported below
  }
  problems.push(`CORS_ORIGINS: ${JSON.stringify(value)} is not an origin (scheme://host[:port], no path)`);
  return null;
}

/** A whole number above 0 from a var, its default when unset; a problem when it is anything else. */
function wholeNumber(
  value: string | undefined,
  fallback: number,
  problems: string[],
  what: { name: string; unit: string },
): number {
  const text = blank(value);
  if (text === undefined) return fallback;
  const parsed = Number(text);
  if (Number.isInteger(parsed) && parsed > 0) return parsed;
  problems.push(`${what.name} must be a whole number of ${what.unit} above 0`);
  return fallback;
}

export function parseConfig(env: Env): ConfigResult {
  const problems: string[] = [];
  const secret = blank(env.JWT_SECRET);
  const jwksUrl = blank(env.JWKS_URL);
  const issuer = blank(env.JWT_ISSUER);
  const audience = blank(env.JWT_AUDIENCE);

  let keys: TokenKeys | null = null;
  if (secret !== undefined && jwksUrl !== undefined) {
    problems.push(
      "JWT_SECRET and JWKS_URL are both set: tokens must come from one source; remove JWT_SECRET",
    );
  } else if (jwksUrl !== undefined) {
    let url: URL | null = null;
    try {
      url = new URL(jwksUrl);
    } catch {
      problems.push("JWKS_URL is not a URL");
    }
    if (url && url.protocol !== "https:") problems.push("JWKS_URL must be an https URL");
    if (issuer === undefined)
      problems.push("JWKS_URL is set but JWT_ISSUER is not: the issuer must be checked");
    if (audience === undefined) {
      problems.push("JWKS_URL is set but JWT_AUDIENCE is not: the audience must be checked");
    }
    if (url) keys = { kind: "jwks", url };
  } else if (secret !== undefined) {
    const digest = createHash("sha256").update(secret, "utf8").digest("hex");
    keys = {
      kind: "secret",
      secret: new TextEncoder().encode(secret),
      isDevelopmentSecret: digest === DEV_JWT_SECRET_SHA256,
    };
  } else {
    problems.push("Neither JWKS_URL nor JWT_SECRET is set: no token can be verified");
  }

  const maxTokenTtlSeconds = wholeNumber(env.JWT_MAX_TTL_SECONDS, DEFAULT_JWT_MAX_TTL_SECONDS, problems, {
    name: "JWT_MAX_TTL_SECONDS",
    unit: "seconds",
  });

  const syncRetentionDays = wholeNumber(env.SYNC_RETENTION_DAYS, DEFAULT_SYNC_RETENTION_DAYS, problems, {
    name: "SYNC_RETENTION_DAYS",
    unit: "days",
  });

  const directoryCacheSeconds = directoryCacheSecondsOf(env.DIRECTORY_CACHE_SECONDS, problems);

  const corsOrigins = (env.CORS_ORIGINS ?? "")
    .split(",")
    .map((origin) => origin.trim())
    .filter((origin) => origin !== "")
    .flatMap((origin) => parseOrigin(origin, problems) ?? []);

  const databases = parseDatabases(env.D1_DATABASES, env as unknown as Record<string, unknown>, problems);

  const jurisdictions = blank(env.AUDIT_LOG_JURISDICTIONS);
  if (jurisdictions !== undefined && jurisdictions !== "ignore") {
    problems.push('AUDIT_LOG_JURISDICTIONS must be unset, or "ignore" where jurisdictions do not exist');
  }
  const ignoreJurisdictions = jurisdictions === "ignore";
  if (ignoreJurisdictions && jwksUrl !== undefined) {
    problems.push(
      "AUDIT_LOG_JURISDICTIONS=ignore is for local workerd only, and JWKS_URL says this is a deployment",
    );
  }

  if (problems.length > 0 || keys === null || databases === null) return { ok: false, problems };
  return {
    ok: true,
    config: {
      keys,
      issuer,
      audience,
      maxTokenTtlSeconds,
      corsOrigins,
      syncRetentionDays,
      directoryCacheSeconds,
      databases,
      ignoreJurisdictions,
    },
  };
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
