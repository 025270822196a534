// Prints one signed development token on stdout, and nothing else.
// Usage: npm run token -- --sub coord-007 --org org-demo --roles coordinator [--name "Jordan Lee"] [--ttl 3600]
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { devValue } from "./config.ts";

const ROLES = new Set(["mentor", "coordinator", "admin", "compliance", "system"]);
/** The Worker's default JWT_MAX_TTL_SECONDS (src/config.ts). */
const DEFAULT_MAX_TTL_SECONDS = 86_400;

function fail(message: string): never {
  process.stderr.write(
    `token: ${message}\nusage: npm run token -- --sub ID --org ORG --roles r1[,r2] [--name NAME] [--ttl SECONDS]\n`,
  );
  process.exit(2);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        sub: { type: "string" },
        org: { type: "string" },
        roles: { type: "string" },
        name: { type: "string" },
        ttl: { type: "string", default: "3600" },
      },
      strict: true,
    }).values;
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}

const values = parseOptions();

if (!values.sub) fail("--sub is required");
if (!values.org) fail("--org is required");
if (!values.roles) fail("--roles is required");
const roles = values.roles
  .split(",")
  .map((r) => r.trim())
  .filter(Boolean);
const unknown = roles.filter((r) => !ROLES.has(r));
if (roles.length === 0 || unknown.length > 0) fail(`unknown role(s): ${unknown.join(", ") || "none given"}`);
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl <= 0) fail("--ttl must be a positive number of seconds");
// The Worker refuses tokens that live longer than JWT_MAX_TTL_SECONDS, so none is minted.
const maxTtl = Number(devValue("JWT_MAX_TTL_SECONDS") ?? DEFAULT_MAX_TTL_SECONDS);
if (ttl > maxTtl)
  fail(`--ttl may be at most ${maxTtl} seconds (JWT_MAX_TTL_SECONDS); the API refuses longer-lived tokens`);

const claims: { org: string; roles: string[]; name?: string } = { org: values.org, roles };
if (values.name) claims.name = values.name;
const issuer = devValue("JWT_ISSUER");
const audience = devValue("JWT_AUDIENCE");
let jwt = new SignJWT(claims)
  .setProtectedHeader({ alg: "HS256", typ: "JWT" })
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(`${ttl}s`);
if (issuer) jwt = jwt.setIssuer(issuer);
if (audience) jwt = jwt.setAudience(audience);
const token = await jwt.sign(new TextEncoder().encode(devValue("JWT_SECRET")));
process.stdout.write(`${token}\n`);
