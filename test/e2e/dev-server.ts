import { type ChildProcess, spawn } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const READY_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 250;
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");

/** The server's local secrets, so that tests can sign tokens and check checkpoints. */
export const E2E_JWT_SECRET = "e2e-secret-with-enough-entropy-for-hs256";
/** The e2e server's own Ed25519 signing key (PKCS#8, base64); tests check its public half. */
export const E2E_AUDIT_SIGNING_KEY = "MC4CAQAwBQYDK2VwBCIEIDG5ZiNYl5mFKWrk2XnHPP8SLc8q+QVe88Ptyo0uoYxJ";

/** The state directory global-setup.ts migrated, for every new server to start from. */
function migratedTemplate(): string {
  const template = process.env.E2E_TEMPLATE_STATE;
  if (template === undefined)
    throw new Error("E2E_TEMPLATE_STATE is unset: run the e2e tests with vitest.e2e.config.ts");
  return template;
}

export interface DevServer {
  base: string;
  stop(): Promise<void>;
}

/** A port the OS has just handed out and released, so no other server holds it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

async function waitForHealth(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, READY_POLL_MS));
  }
  throw new Error(`wrangler dev did not answer ${base}/health within ${READY_TIMEOUT_MS} ms`);
}

/**
 * `wrangler dev` on a free loopback port with its own state directory, so it shares nothing
 * with a developer's `npm run dev`. Request.cf is not fetched, so nothing leaves the machine.
 * Given `state`, it persists there and leaves the directory behind when stopped (a test that
 * restarts the server on a copy of its storage owns that directory); given `signingKey`, it signs
 * the audit log's checkpoints with that key instead of E2E_AUDIT_SIGNING_KEY; `vars` are more
 * `--var`s, overriding wrangler.toml's.
 */
export async function startDevServer(
  options: { state?: string; signingKey?: string; vars?: Record<string, string> } = {},
): Promise<DevServer> {
  const port = await freePort();
  const state = options.state ?? mkdtempSync(join(tmpdir(), "mentor-e2e-state-"));
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  // A new state starts as a copy of the migrated template (global-setup.ts); a state a test
  // restarts the server on was migrated when it was new.
  if (!existsSync(join(state, "v3"))) cpSync(migratedTemplate(), state, { recursive: true });
  const child = spawn(
    WRANGLER,
    [
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      state,
      "--show-interactive-dev-session=false",
      "--var",
      `JWT_SECRET:${E2E_JWT_SECRET}`,
      "--var",
      `AUDIT_SIGNING_KEY:${options.signingKey ?? E2E_AUDIT_SIGNING_KEY}`,
      ...Object.entries(options.vars ?? {}).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ],
    {
      cwd: ROOT,
      env,
      stdio: ["ignore", "ignore", "inherit"],
      // Its own process group, so that stopping it also stops the workerd it starts.
      detached: true,
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.pid !== undefined) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(-child.pid, "SIGTERM");
      await exited;
    }
    if (options.state === undefined) rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForHealth(base, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, stop };
}

/**
 * A C2SP verifier key of the log's name for a fresh Ed25519 key the service never held: key ID
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ key)[:4], then base64(0x01 ‖ key).
 */
export function strangerVerifierKey(name: string): string {
  const publicKey = generateKeyPairSync("ed25519")
    .publicKey.export({ format: "der", type: "spki" })
    .subarray(-32);
  const typed = Buffer.concat([Buffer.from([1]), publicKey]);
  const keyId = createHash("sha256")
    .update(Buffer.concat([Buffer.from(`${name}\n`), typed]))
    .digest()
    .subarray(0, 4)
    .toString("hex");
  return `${name}+${keyId}+${typed.toString("base64")}`;
}
