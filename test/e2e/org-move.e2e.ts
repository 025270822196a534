import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_JWT_SECRET, startDevServer } from "./dev-server";

const ROOT = join(import.meta.dirname, "../..");
const ORG = "org-e2e-move";
const BOOKMARK = "X-D1-Bookmark";
/** The move waits out the directory cache (CACHE_SECONDS and 5 s) for real here: wrangler dev's isolate holds one. */
const MOVE_TIMEOUT_MS = 180_000;
/**
 * The server's directory cache, shorter than wrangler.toml's minute so the move's real wait is
 * seconds; the CLI is told the same value, as an operator would pass the deployed Worker's.
 */
const CACHE_SECONDS = 3;

let server: DevServer;
let state: string;

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), "mentor-e2e-move-"));
  server = await startDevServer({ state, vars: { DIRECTORY_CACHE_SECONDS: String(CACHE_SECONDS) } });
});

afterAll(async () => {
  await server?.stop();
  if (state) rmSync(state, { recursive: true, force: true });
});

/** `npm run org:…`'s program, as the project's Node runs it, on the server's local state. */
function org(...args: string[]): { code: number; out: string; err: string } {
  const run = spawnSync(process.execPath, ["cli/org.ts", ...args, "--persist-to", state], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  return { code: run.status ?? -1, out: run.stdout, err: run.stderr };
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const jwt = await new SignJWT({ org: ORG, roles: ["mentor"], name: "Sam Rivera" })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("mentor-042")
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(E2E_JWT_SECRET));
  return fetch(`${server.base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${jwt}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const entry = (description: string) => ({
  activity_type: "check_in",
  description,
  occurred_at: "2026-03-24T14:00:00Z",
});

describe("npm run org:place and org:move against the databases of a running wrangler dev", () => {
  it("places an organisation, refuses a move out of its jurisdiction, and moves it while the server runs", {
    timeout: MOVE_TIMEOUT_MS,
  }, async () => {
    expect(org("place", "--org", ORG, "--db", "DB_1")).toMatchObject({
      code: 0,
      out: `${ORG} placed on DB_1 (no jurisdiction)\n`,
    });
    const written = await send("POST", "/api/v1/activity-logs", entry("Before the move"));
    expect(written.status).toBe(201);
    expect(written.headers.get(BOOKMARK)).toMatch(/^DB_1:/);

    const refused = org("move", "--org", ORG, "--to", "DB_3");
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/moves between jurisdictions are refused/);

    const moved = org("move", "--org", ORG, "--to", "DB_2", "--cache-seconds", String(CACHE_SECONDS));
    expect(moved.out).toContain(
      `waiting ${CACHE_SECONDS + 5} s for every isolate's directory cache to expire`,
    );
    expect(moved.code, moved.err).toBe(0);
    expect(moved.out).toMatch(/^ +activities +1 +[0-9a-f]{16}$/m);
    expect(moved.out).toContain(`${ORG}: DB_1 → DB_2`);

    // The server's cached placement has expired by now: it reads and writes the new database.
    const read = await send("GET", "/api/v1/activity-logs");
    expect(read.status).toBe(200);
    expect(read.headers.get(BOOKMARK)).toMatch(/^DB_2:/);
    const listed = (await read.json()) as { data: { description: string }[] };
    expect(listed.data.map((log) => log.description)).toEqual(["Before the move"]);
    expect((await send("POST", "/api/v1/activity-logs", entry("After the move"))).status).toBe(201);

    const list = org("list");
    expect(list.out).toMatch(new RegExp(`^${ORG}\\tDB_2\\t-\\tplaced \\S+\\tmoved \\S+$`, "m"));
    expect(list.out).toContain(`  ${ORG} moved (to DB_2`);
  });

  it("answers a usage error with exit code 2", () => {
    expect(org("move", "--org", ORG).code).toBe(2);
    expect(org("teleport").code).toBe(2);
  });
});
