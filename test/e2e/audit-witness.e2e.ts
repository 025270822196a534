import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_JWT_SECRET, startDevServer, strangerVerifierKey } from "./dev-server";

const ROOT = join(import.meta.dirname, "../..");
const ORG = "org-e2e-witness";
const run = promisify(execFile);

let dir: string;
let server: DevServer | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mentor-e2e-witness-"));
});

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function token(sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ org: ORG, roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(E2E_JWT_SECRET));
}

async function append(base: string, count: number): Promise<void> {
  const system = await token("svc-e2e", ["system"]);
  for (let i = 0; i < count; i += 1) {
    const res = await fetch(`${base}/api/v1/proxy-audit-logs`, {
      method: "POST",
      headers: { Authorization: `Bearer ${system}`, "Content-Type": "application/json" },
      body: JSON.stringify({ action: "proxy_created", coordinator_id: "coord-007", mentor_id: "mentor-042" }),
    });
    expect(res.status).toBe(201);
  }
}

/** `npm run audit:witness` as cron runs it: its exit code and its one line. */
async function witness(
  base: string,
  publicKey: string,
  state: string,
): Promise<{ code: number; out: string }> {
  const args = [
    "cli/audit-witness.ts",
    "--base",
    base,
    "--token",
    await token("compliance-001", ["compliance"]),
  ];
  args.push("--public-key", publicKey, "--state", state);
  try {
    const { stdout } = await run(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
    return { code: 0, out: stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string };
    return { code: failed.code, out: failed.stdout };
  }
}

describe("npm run audit:witness against a running service", () => {
  it("passes a log that grows, fails another key's checkpoint and catches storage restored to an earlier state", async () => {
    const storage = join(dir, "storage");
    const earlier = join(dir, "storage-earlier");
    const state = join(dir, "witness.json");
    // A deployment's key, made as the README says: the private key on stdout, the verifier key on stderr.
    const keygen = await run(process.execPath, ["cli/audit-keygen.ts"], { cwd: ROOT, encoding: "utf8" });
    const verifier = /verifier key: (\S+)/.exec(keygen.stderr)?.[1] ?? "";
    const signingKey = keygen.stdout.trim();
    server = await startDevServer({ state: storage, signingKey });
    const { keys } = (await (await fetch(`${server.base}/.well-known/audit-log-keys`)).json()) as {
      keys: { verifier_key: string }[];
    };
    expect(keys.map((key) => key.verifier_key)).toEqual([verifier]);

    await append(server.base, 3);
    const origin = `mentor-activity-api/${ORG}`;
    expect(await witness(server.base, verifier, state)).toEqual({
      code: 0,
      out: `OK: ${origin} at size 3, first checkpoint witnessed\n`,
    });
    expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({
      origin: `mentor-activity-api/${ORG}`,
      tree_size: 3,
    });

    // The operator's backup of this moment; the log then grows and the witness sees it grow.
    await server.stop();
    cpSync(storage, earlier, { recursive: true });
    server = await startDevServer({ state: storage, signingKey });
    await append(server.base, 4);
    expect(await witness(server.base, verifier, state)).toEqual({
      code: 0,
      out: `OK: ${origin} grew from 3 to 7, consistently\n`,
    });
    expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({ tree_size: 7 });

    // A key the log never signed with: the checkpoint fails, and the stored state is kept.
    const strangerKey = strangerVerifierKey("mentor-activity-api");
    expect(await witness(server.base, strangerKey, state)).toEqual({
      code: 10,
      out: "BAD_SIGNATURE: the checkpoint of size 7 is not signed by any given key\n",
    });

    // Storage restored from the backup: the log is back at 3 entries, behind what the witness saw.
    await server.stop();
    rmSync(storage, { recursive: true, force: true });
    cpSync(earlier, storage, { recursive: true });
    server = await startDevServer({ state: storage, signingKey });
    expect(await witness(server.base, verifier, state)).toEqual({
      code: 12,
      out: expect.stringMatching(
        new RegExp(`^ROLLBACK: ${origin} now signs size 3, smaller than the 7 witnessed on `),
      ),
    });
    expect(JSON.parse(readFileSync(state, "utf8"))).toMatchObject({ tree_size: 7 });

    // The service gone: the cron job is told to try again later, not that the log is bad.
    const base = server.base;
    await server.stop();
    server = undefined;
    expect(await witness(base, verifier, state)).toEqual({
      code: 4,
      out: expect.stringMatching(/^UNAVAILABLE: /),
    });
  });
});
