// Local-development defaults shared by `npm run dev` and `npm run token`.
// These values are for a developer's machine only; production uses JWKS_URL
// and secrets set with `wrangler secret put`.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");

export const DEV_DEFAULTS = {
  JWT_SECRET: "local-dev-secret-change-me-0123456789abcdef",
  // The development signing key of the audit log (base64 PKCS#8 Ed25519): public by design, like
  // the secret above; a deployment sets its own with `wrangler secret put AUDIT_SIGNING_KEY`.
  AUDIT_SIGNING_KEY: "MC4CAQAwBQYDK2VwBCIEIFuwdbVuU/egk8euwmmi3dmI4A+fobtpOhkLW9qrU5mE",
};

/**
 * Local defaults of `npm run witness:dev` (the witness Worker, witness/). The development witness
 * key is public by design, like the keys above; a deployed witness gets its own with
 * `npm run audit:keygen -- --witness`. WITNESS_LOGS is derived from the development log key.
 */
export const WITNESS_DEV_DEFAULTS = {
  WITNESS_NAME: "localhost/mentor-activity-witness",
  WITNESS_SIGNING_KEY: "MC4CAQAwBQYDK2VwBCIEIIHg0E7/4HBd98pwiquJoIF2ySMaimXMKcffyIAGfsUw",
};

/** Reads KEY=VALUE lines of a .dev.vars (the API's, or another Worker's beside its wrangler.toml), if there is one. */
export function readDevVars(dir = ROOT): Record<string, string> {
  const file = join(dir, ".dev.vars");
  if (!existsSync(file)) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) vars[match[1]] = match[2];
  }
  return vars;
}

/** A `[vars]` value of wrangler.toml (a quoted string on one line), or undefined. */
export function wranglerVar(name: string): string | undefined {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const match = new RegExp(`^${name}\\s*=\\s*"(.*)"\\s*$`, "m").exec(toml);
  return match?.[1] || undefined;
}

/** The value in force locally: .dev.vars first, then the embedded default. */
export function devValue(name: keyof typeof DEV_DEFAULTS): string;
export function devValue(name: string): string | undefined;
export function devValue(name: string): string | undefined {
  const defaults: Readonly<Record<string, string>> = DEV_DEFAULTS;
  return readDevVars()[name] || defaults[name];
}
