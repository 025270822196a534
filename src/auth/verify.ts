import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyOptions,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import { type Config, JWT_CLOCK_SKEW_SECONDS } from "../config";
import { AppError, unauthorized } from "../lib/errors";
import { type Caller, claimsSchema } from "./caller";

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/**
 * The HS256 key, imported once per secret (the configuration is parsed once per isolate): given
 * the raw bytes, jose would import them again on every request.
 */
const hmacKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
function hmacKey(secret: Uint8Array): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (key === undefined) {
    key = crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/** One key set per URL for the life of the isolate; jose caches and refreshes the keys. */
const keySets = new Map<string, RemoteKeySet>();

function remoteKeySet(url: URL): RemoteKeySet {
  let set = keySets.get(url.href);
  if (!set) {
    set = createRemoteJWKSet(url, { cacheMaxAge: 10 * 60 * 1000, cooldownDuration: 30_000 });
    keySets.set(url.href, set);
  }
  return set;
}

/**
 * Refuses a token that lives longer than the deployment allows, however validly it was
 * signed: a leaked long-lived token would otherwise outlast every deactivation and rotation.
 */
function checkLifetime(payload: JWTPayload, maxTtlSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat } = payload;
  if (typeof exp !== "number") throw unauthorized("The token has no exp claim");
  if (iat !== undefined && (typeof iat !== "number" || iat > now + JWT_CLOCK_SKEW_SECONDS)) {
    throw unauthorized("The token's iat claim is in the future");
  }
  if (exp - now > maxTtlSeconds || (typeof iat === "number" && exp - iat > maxTtlSeconds)) {
    throw unauthorized(`The token lives longer than the ${maxTtlSeconds} seconds this deployment allows`);
  }
}

/** Verifies a bearer token with the configured key material and returns its caller. */
export async function verifyToken(token: string, config: Config): Promise<Caller> {
  const options: JWTVerifyOptions = { requiredClaims: ["exp", "sub"] };
  if (config.issuer) options.issuer = config.issuer;
  if (config.audience) options.audience = config.audience;

  let payload: JWTPayload;
  try {
    ({ payload } =
      config.keys.kind === "secret"
        ? await jwtVerify(token, await hmacKey(config.keys.secret), { ...options, algorithms: ["HS256"] })
        : await jwtVerify(token, remoteKeySet(config.keys.url), {
            ...options,
            algorithms: ["RS256", "ES256"],
          }));
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw unauthorized("The token has expired");
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      throw unauthorized(`The token's "${err.claim}" claim is not valid`);
    }
    if (err instanceof joseErrors.JOSEError) throw unauthorized("The token could not be verified");
    throw err;
  }
  checkLifetime(payload, config.maxTokenTtlSeconds);

  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) {
    throw unauthorized("The token lacks the sub, org, roles or exp claims, or one is malformed");
  }
  const { sub, org, roles, name } = claims.data;
  // A blank name is no name: audit records would otherwise carry an empty actor name.
  return { sub, org, roles, name: name?.trim() || null };
}
