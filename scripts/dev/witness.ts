// `npm run witness:dev [-- --port N] [-- wrangler dev flags]`: the witness Worker (witness/) under
// `wrangler dev`, on port 8788 unless --port is given, so it runs beside `npm run dev` (8787).
// Variables witness/.dev.vars does not set get the embedded local defaults: the development
// witness key and name, and WITNESS_LOGS trusting the API's local development log key for every
// origin under `<AUDIT_LOG_ORIGIN>/` (each organisation's log).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { DEFAULT_AUDIT_LOG_ORIGIN } from "../../src/audit/keys.ts";
import { keyIdOf, signingKey, verifierKey } from "../../src/audit/signed-note.ts";
import { devValue, ROOT, readDevVars, WITNESS_DEV_DEFAULTS, wranglerVar } from "./config.ts";

const DEFAULT_PORT = 8788;

const args = process.argv.slice(2);
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

const portIndex = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
let port = DEFAULT_PORT;
if (portIndex === -1) args.push("--port", String(port));
else {
  const flag = args[portIndex] ?? "";
  port = Number(flag.includes("=") ? flag.split("=")[1] : args[portIndex + 1]);
}

/** The verifier key of the log `npm run dev` signs with, under the key name it uses. */
function devLogVerifierKey(): { name: string; key: string } {
  const name = devValue("AUDIT_LOG_ORIGIN") || wranglerVar("AUDIT_LOG_ORIGIN") || DEFAULT_AUDIT_LOG_ORIGIN;
  const { publicKey } = signingKey(devValue("AUDIT_SIGNING_KEY"));
  return { name, key: verifierKey({ name, keyId: keyIdOf(name, publicKey), publicKey }) };
}

const log = devLogVerifierKey();
const defaults: Record<string, string> = {
  ...WITNESS_DEV_DEFAULTS,
  WITNESS_LOGS: JSON.stringify([{ origin_prefix: `${log.name}/`, verifier_key: log.key }]),
};
const devVars = readDevVars(join(ROOT, "witness"));
for (const [name, value] of Object.entries(defaults)) {
  if (!devVars[name]) args.push("--var", `${name}:${value}`);
}

const child = spawn(wrangler, ["dev", "-c", join(ROOT, "witness", "wrangler.toml"), ...args], {
  cwd: ROOT,
  env,
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));

console.log(
  `[witness:dev] http://127.0.0.1:${port}: cosigns checkpoints of ${log.name}/<org> signed by ${log.key}; GET / names its verifier key`,
);
