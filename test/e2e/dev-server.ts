import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
const READY_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 250;
const WRANGLER = join(ROOT, "node_modules/.bin/wrangler");

/** The server's local secrets, so that tests can sign tokens and check checkpoints. */
export const E2E_JWT_SECRET = "e2e-secret-with-enough-entropy-for-hs256";
export const E2E_AUDIT_CHAIN_KEY = "e2e-audit-chain-key";

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
 */
export async function startDevServer(): Promise<DevServer> {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "mentor-e2e-state-"));
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
  const migrate = spawnSync(WRANGLER, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    cwd: ROOT,
    env: { ...env, CI: "true" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (migrate.status !== 0) throw new Error(`applying the D1 migrations failed (${migrate.status})`);
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
      `AUDIT_CHAIN_KEY:${E2E_AUDIT_CHAIN_KEY}`,
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
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForHealth(base, child);
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, stop };
}
