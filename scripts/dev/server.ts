// `npm run dev [-- wrangler dev flags]`: applies local D1 migrations (to every database), starts
// `wrangler dev` (port 8787 unless --port is given), and seeds the demo
// organisation through the API the first time it finds it empty.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { SignJWT } from "jose";
import { DEV_DEFAULTS, devValue, ROOT, readDevVars, wranglerVar } from "./config.ts";
import { migrateAll } from "./d1.ts";
import { seedDemo, type TokenFor } from "./demo-seed.ts";
import { listenRefusals } from "./listen-address.ts";

const args = process.argv.slice(2);
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

const devVars = readDevVars();
const usesJwks = Boolean(devVars.JWKS_URL || wranglerVar("JWKS_URL"));

// Before anything starts: the published development secret stays on this machine.
const configIndex = args.findIndex((a) => a === "--config" || a === "-c" || a.startsWith("--config="));
const configArg = args[configIndex] ?? "";
const configFile =
  configIndex === -1
    ? join(ROOT, "wrangler.toml")
    : resolve(
        configArg.includes("=") ? configArg.slice(configArg.indexOf("=") + 1) : (args[configIndex + 1] ?? ""),
      );
const refusals = listenRefusals(args, {
  wranglerToml: readFileSync(configFile, "utf8"),
  developmentSecret: !usesJwks && devValue("JWT_SECRET") === DEV_DEFAULTS.JWT_SECRET,
});
if (refusals.length > 0) {
  for (const refusal of refusals) console.error(`[dev] ${refusal}`);
  process.exit(1);
}

// The directory and every database organisations live on, each its own local file.
const migrated = migrateAll("--local");
if (migrated !== 0) process.exit(migrated);

const portIndex = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
let port = 8787;
if (portIndex === -1) args.push("--port", String(port));
else {
  const flag = args[portIndex] ?? "";
  port = Number(flag.includes("=") ? flag.split("=")[1] : args[portIndex + 1]);
}

// Secrets the developer has not put in .dev.vars get the embedded local defaults, except the
// development JWT_SECRET when tokens come from an identity provider (JWKS_URL): both at once
// is a configuration the Worker refuses.
for (const [name, value] of Object.entries(DEV_DEFAULTS)) {
  if (name === "JWT_SECRET" && usesJwks) continue;
  if (!devVars[name]) args.push("--var", `${name}:${value}`);
}
// workerd has no Durable Object jurisdictions: an organisation placed on the EU database gets its
// audit object from the plain namespace here. The Worker refuses this beside JWKS_URL.
if (!usesJwks && !devVars.AUDIT_LOG_JURISDICTIONS) args.push("--var", "AUDIT_LOG_JURISDICTIONS:ignore");
// Tells the Worker no edge stands in front of it: wrangler dev passes on a CF-Connecting-IP the
// client wrote itself, so the Worker records and counts no client address.
args.push("--var", "LOCAL_DEVELOPMENT:true");

const child = spawn(wrangler, ["dev", ...args], { cwd: ROOT, env, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));

const token: TokenFor = async (sub, roles, name) => {
  let jwt = new SignJWT({ org: "org-demo", roles, name })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("10m");
  const issuer = devValue("JWT_ISSUER");
  const audience = devValue("JWT_AUDIENCE");
  if (issuer) jwt = jwt.setIssuer(issuer);
  if (audience) jwt = jwt.setAudience(audience);
  return jwt.sign(new TextEncoder().encode(devValue("JWT_SECRET")));
};

async function waitForHealth(base: string): Promise<boolean> {
  for (let i = 0; i < 120; i += 1) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

const base = `http://127.0.0.1:${port}`;
if (await waitForHealth(base)) {
  try {
    const seeded = await seedDemo(base, token);
    if (seeded)
      console.log(
        `[dev] seeded org-demo; try: curl -H "Authorization: Bearer $(npm run token -- --sub coord-007 --org org-demo --roles coordinator)" ${base}/api/v1/activity-attributions`,
      );
  } catch (err) {
    console.error(`[dev] seeding org-demo failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
