import { SignJWT } from "jose";
import type { Role } from "../../src/auth/caller";

export const TEST_SECRET = "test-secret-with-enough-entropy-for-hs256";

export interface TokenClaims {
  sub: string;
  org: string;
  roles: Role[];
  name?: string;
  /** Seconds from now until expiry; negative for an expired token. */
  ttl?: number;
}

export async function signToken(claims: TokenClaims, secret = TEST_SECRET): Promise<string> {
  const { ttl = 3600, ...rest } = claims;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(new TextEncoder().encode(secret));
}
