import {
  createRemoteJWKSet,
  type JWTPayload,
  type JWTVerifyOptions,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import type { Env } from "../env";
import { AppError } from "../lib/errors";
import { type Caller, claimsSchema } from "./caller";

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/** One key set per URL for the life of the isolate; jose caches and refreshes the keys. */
const keySets = new Map<string, RemoteKeySet>();

function remoteKeySet(url: string): RemoteKeySet {
  let set = keySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60 * 1000, cooldownDuration: 30_000 });
    keySets.set(url, set);
  }
  return set;
}

const encoder = new TextEncoder();

function unauthorized(detail: string): AppError {
  return new AppError("unauthorized", detail);
}

/** Verifies a bearer token with the configured key material and returns its caller. */
export async function verifyToken(token: string, env: Env): Promise<Caller> {
  const options: JWTVerifyOptions = { requiredClaims: ["exp", "sub"] };
  if (env.JWT_ISSUER) options.issuer = env.JWT_ISSUER;
  if (env.JWT_AUDIENCE) options.audience = env.JWT_AUDIENCE;

  let payload: JWTPayload;
  try {
    if (env.JWT_SECRET) {
      ({ payload } = await jwtVerify(token, encoder.encode(env.JWT_SECRET), {
        ...options,
        algorithms: ["HS256"],
      }));
    } else if (env.JWKS_URL) {
      ({ payload } = await jwtVerify(token, remoteKeySet(env.JWKS_URL), {
        ...options,
        algorithms: ["RS256", "ES256"],
      }));
    } else {
      throw new Error("Neither JWT_SECRET nor JWKS_URL is configured");
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw unauthorized("The token has expired");
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
      throw unauthorized(`The token's "${err.claim}" claim is not valid`);
    }
    if (err instanceof joseErrors.JOSEError) throw unauthorized("The token could not be verified");
    throw err;
  }

  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) {
    throw unauthorized("The token lacks the sub, org, roles or exp claims");
  }
  const { sub, org, roles, name } = claims.data;
  // A blank name is no name: audit records would otherwise carry an empty actor name.
  return { sub, org, roles, name: name?.trim() || null };
}
