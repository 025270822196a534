import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEV_DEFAULTS } from "../../scripts/dev/config.ts";
import { isLoopbackAddress, listenRefusals } from "../../scripts/dev/listen-address.ts";

const ROOT = join(import.meta.dirname, "../..");
/** Bounds a run that does not refuse (it would serve); a refusal exits long before. */
const RUN_TIMEOUT_MS = 60_000;
const WRANGLER_TOML = readFileSync(join(ROOT, "wrangler.toml"), "utf8");

let project: string | undefined;

afterEach(() => {
  if (project) rmSync(project, { recursive: true, force: true });
  project = undefined;
});

/**
 * A copy of the project's `npm run dev` in a directory of its own, so a test chooses its
 * `.dev.vars` and `wrangler.toml` without touching the developer's, and sees whether the script
 * left any local state behind.
 */
function devProject(files: { devVars?: string; wranglerToml?: string } = {}): string {
  project = mkdtempSync(join(tmpdir(), "mentor-e2e-dev-"));
  cpSync(join(ROOT, "scripts", "dev"), join(project, "scripts", "dev"), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"), "dir");
  writeFileSync(join(project, "wrangler.toml"), files.wranglerToml ?? WRANGLER_TOML);
  if (files.devVars !== undefined) writeFileSync(join(project, ".dev.vars"), files.devVars);
  return project;
}

/** `npm run dev -- …args` in `dir`, as the project's Node runs it. */
function runDev(dir: string, args: string[]) {
  const run = spawnSync(process.execPath, [join(dir, "scripts", "dev", "server.ts"), ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    timeout: RUN_TIMEOUT_MS,
  });
  return { code: run.status, err: run.stderr };
}

/** Whether anything accepts connections on the port (a server on 0.0.0.0 or :: also takes loopback's). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A port nothing listens on now. */
async function idlePort(): Promise<number> {
  for (let port = 20_000 + Math.floor(Math.random() * 20_000); ; port += 1) {
    if (!(await listening(port))) return port;
  }
}

describe("npm run dev on an address other machines reach", () => {
  it.each([
    ["--ip 0.0.0.0, no .dev.vars", ["--ip", "0.0.0.0"], {}],
    [
      "--ip=<LAN address>, .dev.vars with the published secret",
      ["--ip=192.168.1.20"],
      {
        devVars: `JWT_SECRET="${DEV_DEFAULTS.JWT_SECRET}"\n`,
      },
    ],
    [
      "--ip ::, .dev.vars without a secret",
      ["--ip", "::"],
      { devVars: 'CORS_ORIGINS="http://localhost:5173"\n' },
    ],
    ["[dev] ip in wrangler.toml", [], { wranglerToml: `${WRANGLER_TOML}\n[dev]\nip = "0.0.0.0"\n` }],
  ] as const)("is refused before anything starts: %s", async (_case, args, files) => {
    const dir = devProject(files);
    const port = await idlePort();
    const { code, err } = runDev(dir, [...args, "--port", String(port)]);
    expect(code).toBe(1);
    expect(err).toMatch(/\[dev\] refusing to listen on .*development JWT_SECRET is public.*\.dev\.vars/);
    // Nothing was migrated or started.
    expect(existsSync(join(dir, ".wrangler"))).toBe(false);
    expect(await listening(port)).toBe(false);
  });

  it("is refused for the inspector on such an address, whatever the secret", async () => {
    const dir = devProject({ devVars: 'JWT_SECRET="a-secret-of-this-developer-only"\n' });
    const { code, err } = runDev(dir, ["--inspector-ip", "0.0.0.0"]);
    expect(code).toBe(1);
    expect(err).toMatch(/refusing to open the inspector on "0\.0\.0\.0"/);
    expect(existsSync(join(dir, ".wrangler"))).toBe(false);
  });
});

describe("the listening-address check", () => {
  it.each([
    "127.0.0.1",
    "127.1",
    "127.8.9.10",
    "0x7f.0.0.1",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    "localhost",
    "LocalHost",
  ])("takes %s for loopback", (address) => {
    expect(isLoopbackAddress(address)).toBe(true);
    expect(listenRefusals(["--ip", address], { wranglerToml: "", developmentSecret: true })).toEqual([]);
  });

  it.each([
    "0.0.0.0",
    "::",
    "192.168.1.20",
    "10.0.0.7",
    "128.0.0.1",
    "::ffff:192.168.1.20",
    "laptop.local",
    "localhost.example",
    "",
  ])("takes %j for an address other machines may reach", (address) => {
    expect(isLoopbackAddress(address)).toBe(false);
    expect(listenRefusals([`--ip=${address}`], { wranglerToml: "", developmentSecret: true })).toHaveLength(
      1,
    );
  });

  it("lets a server with a secret of its own listen anywhere, and an --ip flag override wrangler.toml", () => {
    expect(listenRefusals(["--ip", "0.0.0.0"], { wranglerToml: "", developmentSecret: false })).toEqual([]);
    const toml = '[dev]\nip = "0.0.0.0"\nport = 8787\n';
    expect(listenRefusals([], { wranglerToml: toml, developmentSecret: true })).toHaveLength(1);
    expect(listenRefusals(["--ip", "127.0.0.1"], { wranglerToml: toml, developmentSecret: true })).toEqual(
      [],
    );
  });
});
