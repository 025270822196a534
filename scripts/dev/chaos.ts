// `npm run chaos -- --requests N [--in-flight 16] [--kill-after K] [--keep-state]`: a black-box test of
// exactly-once answers across a crash, as a mobile client on a bad day sees it. Starts `wrangler dev`
// on a free port with a state directory of its own, fires N attribution registrations, each with its
// own Idempotency-Key, kills the runtime's whole process group (SIGKILL) once K of them have answered,
// restarts it on the same state, retries every request with its key until it gets an answer that is
// neither a 5xx nor "in flight", runs the cron drain, and checks what the database and the audit log
// hold against what each client was told. Not part of CI: it takes a minute or more.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { DEV_DEFAULTS, ROOT } from "./config.ts";
import { migrateAll } from "./d1.ts";

const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const READY_TIMEOUT_MS = 120_000;
/** How long the clients keep retrying after the restart before the run counts them as failed. */
const RETRY_DEADLINE_MS = 240_000;
/** A client's pause between retries (longer when the answer says Retry-After). */
const RETRY_PAUSE_MS = 1_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** Registrations per coordinator, so that no caller comes near the rate limit (100 a minute). */
const PER_COORDINATOR = 10;
const MENTORS = 20;
const ORG = `org-chaos-${Date.now().toString(36)}`;

function usage(message: string): never {
  process.stderr.write(
    `chaos: ${message}\nusage: npm run chaos -- --requests N [--in-flight 16] [--kill-after K] [--keep-state]\n`,
  );
  process.exit(2);
}

const options = (() => {
  try {
    return parseArgs({
      options: {
        requests: { type: "string", default: "200" },
        "in-flight": { type: "string", default: "16" },
        "kill-after": { type: "string" },
        "keep-state": { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
})();
const N = Number(options.requests);
const IN_FLIGHT = Number(options["in-flight"]);
const KILL_AFTER = options["kill-after"] === undefined ? Math.floor(N / 2) : Number(options["kill-after"]);
for (const [name, value] of [
  ["--requests", N],
  ["--in-flight", IN_FLIGHT],
  ["--kill-after", KILL_AFTER],
] as const) {
  if (!Number.isInteger(value) || value < 1) usage(`${name} must be a positive whole number`);
}
if (KILL_AFTER >= N) usage("--kill-after must be smaller than --requests");

// ---- the server ---------------------------------------------------------------------------

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

const state = mkdtempSync(join(tmpdir(), "mentor-chaos-"));
const serverLog = openSync(join(state, "wrangler.log"), "a");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

interface Server {
  base: string;
  child: ChildProcess;
}

async function startServer(): Promise<Server> {
  const port = await freePort();
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
      `JWT_SECRET:${DEV_DEFAULTS.JWT_SECRET}`,
      "--var",
      `AUDIT_SIGNING_KEY:${DEV_DEFAULTS.AUDIT_SIGNING_KEY}`,
    ],
    // Its own process group: the crash kills wrangler and the workerd it runs, together.
    { cwd: ROOT, env, stdio: ["ignore", serverLog, serverLog], detached: true },
  );
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev exited with ${child.exitCode}; see ${state}/wrangler.log`);
    try {
      if ((await fetch(`${base}/health`)).ok) return { base, child };
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  throw new Error(`wrangler dev did not answer ${base}/health in time; see ${state}/wrangler.log`);
}

function signal(server: Server, name: NodeJS.Signals): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return Promise.resolve();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  process.kill(-child.pid, name);
  return exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the clients --------------------------------------------------------------------------

const tokens = new Map<string, Promise<string>>();
function token(sub: string, role: string): Promise<string> {
  const cached = tokens.get(sub);
  if (cached) return cached;
  const signed = new SignJWT({ org: ORG, roles: [role], name: sub })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(DEV_DEFAULTS.JWT_SECRET));
  tokens.set(sub, signed);
  return signed;
}

async function call(
  base: string,
  as: [string, string],
  method: string,
  path: string,
  init: RequestInit = {},
) {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${await token(...as)}`);
  return fetch(`${base}${path}`, {
    ...init,
    method,
    headers,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.url} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

const ADMIN: [string, string] = ["chaos-admin", "admin"];
const COMPLIANCE: [string, string] = ["chaos-compliance", "compliance"];
const mentorIds = Array.from({ length: MENTORS }, (_, i) => `chaos-mentor-${String(i).padStart(2, "0")}`);

interface Registration {
  index: number;
  key: string;
  coordinator: string;
  body: {
    activity_type_id: string;
    activity_date: string;
    duration_minutes: number;
    coordinator_id: string;
    mentor_id: string;
  };
  /** Sends so far. */
  attempts: number;
  /** The answer of the first send, if it got one before the crash. */
  beforeCrash: number | null;
  /** The answer the client settled on: neither a 5xx nor "in flight". */
  final: { status: number; id: string | null; replayed: boolean } | null;
}

const registrations: Registration[] = Array.from({ length: N }, (_, index) => {
  const coordinator = `chaos-coord-${String(Math.floor(index / PER_COORDINATOR)).padStart(3, "0")}`;
  const when = new Date(Date.UTC(2026, 0, 1) + index * 60_000).toISOString().slice(0, 19);
  return {
    index,
    key: crypto.randomUUID(),
    coordinator,
    body: {
      activity_type_id: "workshop",
      activity_date: `${when}Z`,
      duration_minutes: 30,
      coordinator_id: coordinator,
      mentor_id: mentorIds[index % MENTORS] ?? "chaos-mentor-00",
    },
    attempts: 0,
    beforeCrash: null,
    final: null,
  };
});

/** 409 "in flight" answers the clients met: a key still held by a request the crash killed. */
let inFlightAnswers = 0;

type Outcome =
  | { kind: "final"; status: number; id: string | null; replayed: boolean }
  | { kind: "retry"; status: number | null; waitMs: number };

/** One send of a registration with its key, and what the client makes of the answer. */
async function send(base: string, r: Registration): Promise<Outcome> {
  r.attempts += 1;
  let response: Response;
  let text: string;
  try {
    response = await call(base, [r.coordinator, "coordinator"], "POST", "/api/v1/activity-attributions", {
      headers: { "Content-Type": "application/json", "Idempotency-Key": r.key },
      body: JSON.stringify(r.body),
    });
    text = await response.text();
  } catch {
    return { kind: "retry", status: null, waitMs: RETRY_PAUSE_MS };
  }
  const retryAfter = Number(response.headers.get("Retry-After") ?? "0");
  const waitMs = Math.max(RETRY_PAUSE_MS, Math.min(retryAfter, 10) * 1000);
  if (response.status >= 500 || response.status === 429)
    return { kind: "retry", status: response.status, waitMs };
  if (response.status === 409 && /still being processed|took it over/.test(text)) {
    inFlightAnswers += 1;
    return { kind: "retry", status: 409, waitMs: RETRY_PAUSE_MS };
  }
  let id: string | null = null;
  try {
    const parsed = JSON.parse(text) as { attribution_id?: unknown };
    id = typeof parsed.attribution_id === "string" ? parsed.attribution_id : null;
  } catch {
    id = null;
  }
  return {
    kind: "final",
    status: response.status,
    id,
    replayed: response.headers.get("Idempotent-Replayed") === "true",
  };
}

/** Runs `work` over `items`, at most `limit` at once, until all are done or `stop()` says so. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>, stop: () => boolean) {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!stop()) {
      const item = items[next];
      next += 1;
      if (item === undefined) return;
      await work(item);
    }
  });
  await Promise.all(runners);
}

// ---- the run ------------------------------------------------------------------------------

const log = (line: string) => process.stdout.write(`${line}\n`);
let server: Server | null = null;

async function main(): Promise<boolean> {
  log(
    `chaos: ${N} keyed attribution registrations, ${IN_FLIGHT} in flight, SIGKILL after ${KILL_AFTER} answers`,
  );
  if (migrateAll("--local", ["--persist-to", state], true) !== 0) {
    throw new Error("applying the D1 migrations failed");
  }
  server = await startServer();
  for (const id of mentorIds) {
    await json(
      await call(server.base, ADMIN, "PUT", `/api/v1/members/${id}`, {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: `Chaos ${id}`, roles: ["mentor"], active: true }),
      }),
    );
  }

  // Phase 1: fire until KILL_AFTER have answered, then kill the runtime with the rest in flight.
  const first = server;
  let answered = 0;
  let crashed = false;
  let killing: Promise<void> | null = null;
  const started = Date.now();
  await pool(
    registrations,
    IN_FLIGHT,
    async (r) => {
      const outcome = await send(first.base, r);
      if (crashed || outcome.status === null) return;
      r.beforeCrash = outcome.status;
      if (outcome.kind === "final") r.final = outcome;
      answered += 1;
      if (answered >= KILL_AFTER && !crashed) {
        crashed = true;
        killing = signal(first, "SIGKILL");
      }
    },
    () => crashed,
  );
  await killing;
  const crashMs = Date.now() - started;
  const before = registrations.filter((r) => r.beforeCrash !== null);
  const sentUnanswered = registrations.filter((r) => r.beforeCrash === null && r.attempts > 0).length;
  log(
    `answered before the crash: ${before.length} (${histogram(before.map((r) => r.beforeCrash ?? 0))}) in ${(crashMs / 1000).toFixed(1)} s`,
  );
  log(
    `cut off: ${N - before.length} (in flight when killed: ${sentUnanswered}, not yet sent: ${N - before.length - sentUnanswered})`,
  );

  // Phase 2: restart on the same state; every client without a final answer retries with its key.
  const restarting = Date.now();
  server = await startServer();
  const second = server;
  log(`restarted on the same state in ${((Date.now() - restarting) / 1000).toFixed(1)} s`);
  const cutOff = registrations.filter((r) => r.final === null);
  const deadline = Date.now() + RETRY_DEADLINE_MS;
  await pool(
    cutOff,
    IN_FLIGHT,
    async (r) => {
      while (Date.now() < deadline) {
        const outcome = await send(second.base, r);
        if (outcome.kind === "final") {
          r.final = outcome;
          return;
        }
        await sleep(outcome.waitMs);
      }
    },
    () => false,
  );
  const unanswered = registrations.filter((r) => r.final === null).length;
  log(
    `final answers: ${histogram(registrations.map((r) => r.final?.status ?? 0))}${unanswered ? ` (no answer by the deadline: ${unanswered})` : ""}`,
  );
  const replayedAfter = cutOff.filter((r) => r.final?.replayed).length;
  log(
    `of the ${cutOff.length} cut off: ${replayedAfter} replayed a write that committed before the crash, ` +
      `${cutOff.length - replayedAfter - unanswered} were written after the restart`,
  );
  // A client cut off mid-request retries from its first send; one never sent starts after the restart.
  const retriesOf = cutOff.map((r) => Math.max(0, r.attempts - 1));
  const max = Math.max(0, ...retriesOf);
  const mean = retriesOf.length === 0 ? 0 : retriesOf.reduce((a, b) => a + b, 0) / retriesOf.length;
  log(
    `retries needed (the ${cutOff.length} cut off; sends after the first): max ${max}, mean ${mean.toFixed(2)}; ` +
      `409 "in flight" answers met: ${inFlightAnswers}`,
  );

  // Phase 3: the cron drain delivers what the crash left in the outbox, until nothing more lands.
  let entries = -1;
  for (let run = 0; run < 10; run += 1) {
    await triggerCron(second.base);
    const now = await proxyCreatedEntries(second.base);
    if (now === entries) break;
    entries = now;
  }

  // What the database holds for the run, against what each client was told.
  const rows = await allAttributions(second.base);
  const byId = new Map(rows.map((row) => [row.attribution_id, row]));
  const named = new Map<string, number>();
  let mismatched = 0;
  let missing = 0;
  for (const r of registrations) {
    const id = r.final?.id;
    if (!id) continue;
    named.set(id, (named.get(id) ?? 0) + 1);
    const row = byId.get(id);
    if (!row) missing += 1;
    else if (row.attributed_to_mentor_id !== r.body.mentor_id || row.activity_date !== r.body.activity_date) {
      mismatched += 1;
    }
  }
  const shared = [...named.values()].filter((n) => n > 1).length;
  const orphans = rows.filter((row) => !named.has(row.attribution_id)).length;
  const sameSlot =
    rows.length - new Set(rows.map((row) => `${row.attributed_to_mentor_id} ${row.activity_date}`)).size;
  log(`attribution rows in D1 for the run: ${rows.length}`);
  log(`audit entries (proxy_created) for the run: ${entries}`);
  log(
    `duplicates: ${shared + sameSlot} (IDs answered to two clients: ${shared}, rows for one registration twice: ${sameSlot}); ` +
      `rows no client was told of: ${orphans}; answers naming a missing row: ${missing}, another request's row: ${mismatched}`,
  );

  // One more retry of every request: each must replay its answer, with the same ID.
  let replayedSame = 0;
  await pool(
    registrations,
    IN_FLIGHT,
    async (r) => {
      const outcome = await send(second.base, r);
      if (
        outcome.kind === "final" &&
        outcome.replayed &&
        outcome.status === r.final?.status &&
        outcome.id === r.final.id
      ) {
        replayedSame += 1;
      }
    },
    () => false,
  );
  log(`one more retry of every request: ${replayedSame} of ${N} replayed the same answer and ID`);

  const verify = await json<{
    valid: boolean;
    tree_size: number;
    checkpoint_valid: boolean;
    checkpoint_problem: string | null;
  }>(await call(second.base, COMPLIANCE, "GET", "/api/v1/proxy-audit-logs/verify"));
  log(
    `/verify: ${verify.valid ? "valid" : "NOT valid"} (tree size ${verify.tree_size}, checkpoint ${verify.checkpoint_valid ? "valid" : `invalid: ${verify.checkpoint_problem}`})`,
  );

  const created = registrations.filter((r) => r.final?.status === 201 && r.final.id !== null).length;
  const ok =
    created === N &&
    rows.length === N &&
    entries === N &&
    shared + sameSlot + orphans + missing + mismatched === 0 &&
    replayedSame === N &&
    verify.valid;
  log(ok ? "OK: every client got its 201 with the ID of the one row written for it" : "FAILED");
  return ok;
}

function histogram(statuses: number[]): string {
  const counts = new Map<number, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status === 0 ? "none" : status} × ${n}`)
    .join(", ");
}

/** The cron trigger, through wrangler's local scheduled-event endpoint. */
async function triggerCron(base: string): Promise<void> {
  const response = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("*/5 * * * *")}`);
  if (!response.ok) throw new Error(`the scheduled trigger answered ${response.status}`);
  await response.text();
}

async function proxyCreatedEntries(base: string): Promise<number> {
  const page = await json<{ pagination: { total: number } }>(
    await call(base, COMPLIANCE, "GET", "/api/v1/proxy-audit-logs?action=proxy_created&limit=1"),
  );
  return page.pagination.total;
}

interface Row {
  attribution_id: string;
  attributed_to_mentor_id: string;
  activity_date: string;
}

async function allAttributions(base: string): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? "limit=100" : `limit=100&cursor=${encodeURIComponent(cursor)}`;
    const page: { data: Row[]; next_cursor: string | null } = await json(
      await call(base, ADMIN, "GET", `/api/v1/activity-attributions?${query}`),
    );
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor !== null);
  return rows;
}

let passed = false;
try {
  passed = await main();
} catch (err) {
  log(`chaos: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  if (server) await signal(server, "SIGTERM");
  if (options["keep-state"] || !passed) log(`state and server log kept in ${state}`);
  else rmSync(state, { recursive: true, force: true });
}
process.exit(passed ? 0 : 1);
