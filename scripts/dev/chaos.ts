// `npm run chaos -- --requests N [--in-flight 16] [--kills K] [--kill-after A,B,…] [--random]
// [--seed S] [--cpu-load P] [--keep-state]`: a black-box test of exactly-once answers across
// crashes, as a mobile client on a bad day sees it. Starts `wrangler dev` on a free port with a
// state directory of its own and fires N attribution registrations, each with its own
// Idempotency-Key; every client retries with its key until it gets an answer that is neither a 5xx,
// a 429 nor "in flight". Meanwhile the runtime's whole process group is SIGKILLed K times (once A, B,
// … clients have settled, by default evenly spread; with --random at counts and delays drawn from
// the seed) and restarted on the same state; P busy processes compete with it for the CPU. Between
// each kill and its restart the local D1 files are read directly: every 201 told so far must have its
// row and its key's stored answer on disk. At the end it runs the cron drain, checks what the
// database and the audit log hold against what each client was told, and sends every request once
// more: each must replay its answer and ID. Not part of CI: it takes minutes.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { DEV_DEFAULTS, ROOT } from "./config.ts";
import { migrateAll } from "./d1.ts";

const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const READY_TIMEOUT_MS = 120_000;
/** How long the clients keep retrying after the last restart before the run counts them as failed. */
const RETRY_DEADLINE_MS = 240_000;
/** A client's pause between retries (longer when the answer says Retry-After). */
const RETRY_PAUSE_MS = 1_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** The longest a random kill waits after its count is reached, so it lands at any moment of a request. */
const RANDOM_DELAY_MS = 400;
/** Registrations per coordinator, so that no caller comes near the rate limit (100 a minute). */
const PER_COORDINATOR = 10;
const MENTORS = 20;
const ORG = `org-chaos-${Date.now().toString(36)}`;
const USAGE =
  "usage: npm run chaos -- --requests N [--in-flight 16] [--kills K] [--kill-after A,B,…] [--random] [--seed S] [--cpu-load P] [--keep-state]";

function usage(message: string): never {
  process.stderr.write(`chaos: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const options = (() => {
  try {
    return parseArgs({
      options: {
        requests: { type: "string", default: "200" },
        "in-flight": { type: "string", default: "16" },
        kills: { type: "string" },
        "kill-after": { type: "string" },
        random: { type: "boolean", default: false },
        seed: { type: "string" },
        "cpu-load": { type: "string", default: "0" },
        "keep-state": { type: "boolean", default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
})();

const wholeNumber = (name: string, text: string, min: number): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) usage(`${name} must be a whole number of at least ${min}`);
  return value;
};

const N = wholeNumber("--requests", options.requests, 2);
const IN_FLIGHT = wholeNumber("--in-flight", options["in-flight"], 1);
const CPU_LOAD = wholeNumber("--cpu-load", options["cpu-load"], 0);
const SEED =
  options.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : wholeNumber("--seed", options.seed, 0);
const explicitKills = options["kill-after"]?.split(",").map((k) => wholeNumber("--kill-after", k.trim(), 1));
const KILLS =
  options.kills !== undefined ? wholeNumber("--kills", options.kills, 1) : (explicitKills?.length ?? 1);
if (explicitKills !== undefined && explicitKills.length !== KILLS)
  usage("--kill-after must name one count per kill");
if (explicitKills !== undefined && options.random) usage("--kill-after and --random exclude each other");
if (KILLS >= N) usage("--kills must be smaller than --requests");

/** mulberry32: a run's random kills follow from its seed, printed so it can be run again. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = random(SEED);

interface Kill {
  /** Killed once this many clients have settled… */
  after: number;
  /** …and this many milliseconds more have passed. */
  delayMs: number;
}

const kills: Kill[] = (() => {
  if (explicitKills !== undefined) {
    if (explicitKills.some((k) => k >= N)) usage("every --kill-after count must be smaller than --requests");
    return [...explicitKills].sort((a, b) => a - b).map((after) => ({ after, delayMs: 0 }));
  }
  if (!options.random)
    return Array.from({ length: KILLS }, (_, i) => ({
      after: Math.floor((N * (i + 1)) / (KILLS + 1)),
      delayMs: 0,
    }));
  const counts = new Set<number>();
  while (counts.size < KILLS) counts.add(1 + Math.floor(rng() * (N - 1)));
  return [...counts]
    .sort((a, b) => a - b)
    .map((after) => ({ after, delayMs: Math.floor(rng() * RANDOM_DELAY_MS) }));
})();

// ---- the machine and the server -----------------------------------------------------------

/** Busy processes beside the runtime, so that it is preempted as on a shared, loaded machine. */
const burners: ChildProcess[] = Array.from({ length: CPU_LOAD }, () =>
  spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }),
);
const stopBurners = () => {
  for (const burner of burners) if (burner.exitCode === null) burner.kill("SIGKILL");
};
process.on("exit", stopBurners);

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
  /** 0 for the first start, then one more for every restart. */
  epoch: number;
}

/** Every runtime started and not yet seen to exit, the one being started included. */
const runtimes = new Set<ChildProcess>();

async function startServer(epoch: number): Promise<Server> {
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
  runtimes.add(child);
  child.once("exit", () => runtimes.delete(child));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev exited with ${child.exitCode}; see ${state}/wrangler.log`);
    try {
      if ((await fetch(`${base}/health`)).ok) return { base, child, epoch };
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

/** What the run's organisation has on disk: its attribution rows, and the answers its keys hold. */
interface OnDisk {
  rows: Set<string>;
  /** Key → the attribution ID of the answer stored with it, or null while a request holds it. */
  answers: Map<string, string | null>;
}

/**
 * Reads the local D1 files directly (read-only, so nothing is checkpointed), between a SIGKILL and
 * the restart: what survived the crash, before the runtime opens the files again.
 */
function onDisk(): OnDisk {
  const found: OnDisk = { rows: new Set(), answers: new Map() };
  const dir = join(state, "v3", "d1", "miniflare-D1DatabaseObject");
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sqlite") && f !== "metadata.sqlite")) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      const tables = db.prepare(
        "select name from sqlite_schema where type = 'table' and name = 'attributions'",
      );
      if (tables.all().length === 0) continue;
      for (const row of db.prepare("select attribution_id from attributions where org_id = ?").all(ORG)) {
        found.rows.add(String(row.attribution_id));
      }
      const keys = db.prepare(
        "select key, response_status, response_body from idempotency_keys where org_id = ?",
      );
      for (const row of keys.all(ORG)) {
        let id: string | null = null;
        if (row.response_status !== null) {
          const body = JSON.parse(String(row.response_body)) as { attribution_id?: unknown };
          id = typeof body.attribution_id === "string" ? body.attribution_id : "";
        }
        found.answers.set(String(row.key), id);
      }
    } finally {
      db.close();
    }
  }
  return found;
}

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

/** One answer a client got: from which run of the server, what it said. */
interface Answer {
  epoch: number;
  status: number;
  id: string | null;
  replayed: boolean;
  /** The problem's title, or the body's start, of an answer that is not a 201. */
  detail: string;
}

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
  /** Sends so far; a send cut off by a crash (or never answered) records no answer. */
  attempts: number;
  answers: Answer[];
  /** The answer the client settled on: neither a 5xx, a 429 nor "in flight". */
  final: Answer | null;
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
    answers: [],
    final: null,
  };
});

/** 409 "in flight" answers the clients met: a key still held by a request a crash killed. */
let inFlightAnswers = 0;
/** Sends without an answer yet: what a crash cuts off. */
let outstanding = 0;

type Outcome = { kind: "final"; answer: Answer } | { kind: "retry"; answer: Answer | null; waitMs: number };

function detailOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as { title?: unknown; detail?: unknown };
    if (typeof parsed.detail === "string") return parsed.detail;
    if (typeof parsed.title === "string") return parsed.title;
  } catch {
    // not JSON
  }
  return text.slice(0, 120);
}

/** One send of a registration with its key, and what the client makes of the answer. */
async function send(server: Server, r: Registration): Promise<Outcome> {
  r.attempts += 1;
  outstanding += 1;
  let response: Response;
  let text: string;
  try {
    response = await call(
      server.base,
      [r.coordinator, "coordinator"],
      "POST",
      "/api/v1/activity-attributions",
      {
        headers: { "Content-Type": "application/json", "Idempotency-Key": r.key },
        body: JSON.stringify(r.body),
      },
    );
    text = await response.text();
  } catch {
    return { kind: "retry", answer: null, waitMs: RETRY_PAUSE_MS };
  } finally {
    outstanding -= 1;
  }
  let id: string | null = null;
  try {
    const parsed = JSON.parse(text) as { attribution_id?: unknown };
    id = typeof parsed.attribution_id === "string" ? parsed.attribution_id : null;
  } catch {
    id = null;
  }
  const answer: Answer = {
    epoch: server.epoch,
    status: response.status,
    id,
    replayed: response.headers.get("Idempotent-Replayed") === "true",
    detail: response.status === 201 ? "" : detailOf(text),
  };
  r.answers.push(answer);
  const retryAfter = Number(response.headers.get("Retry-After") ?? "0");
  const waitMs = Math.max(RETRY_PAUSE_MS, Math.min(retryAfter, 10) * 1000);
  if (response.status >= 500 || response.status === 429) return { kind: "retry", answer, waitMs };
  if (response.status === 409 && /still being processed|took it over/.test(text)) {
    inFlightAnswers += 1;
    return { kind: "retry", answer, waitMs: RETRY_PAUSE_MS };
  }
  return { kind: "final", answer };
}

/** Runs `work` over `items`, at most `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
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
/** The server the clients send to; replaced on every restart, while the clients keep sending. */
let server: Server | null = null;

// Interrupted, the run still leaves no runtime and no busy process behind, also mid-restart.
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    stopBurners();
    for (const child of runtimes) {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Its group is gone already.
      }
    }
    process.stdout.write(`chaos: interrupted; state and server log kept in ${state}\n`);
    process.exit(130);
  });
}

async function main(): Promise<boolean> {
  const killPlan = kills
    .map((k) => (k.delayMs ? `${k.after} (+${k.delayMs} ms)` : String(k.after)))
    .join(", ");
  log(
    `chaos: ${N} keyed attribution registrations, ${IN_FLIGHT} in flight, SIGKILL ${KILLS}× once ${killPlan} have settled` +
      `${options.random ? ` (random, seed ${SEED})` : ""}, ${CPU_LOAD} busy process${CPU_LOAD === 1 ? "" : "es"} beside`,
  );
  if (migrateAll("--local", ["--persist-to", state], true) !== 0) {
    throw new Error("applying the D1 migrations failed");
  }
  server = await startServer(0);
  for (const id of mentorIds) {
    await json(
      await call(server.base, ADMIN, "PUT", `/api/v1/members/${id}`, {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: `Chaos ${id}`, roles: ["mentor"], active: true }),
      }),
    );
  }

  const started = Date.now();
  let settled = 0;
  // A bound even if the kills never come (clients that cannot settle); the last restart shortens it.
  let deadline = started + 4 * RETRY_DEADLINE_MS;
  // Resolved by the client whose answer reaches the next kill's count, so the kill follows at once.
  let waiter: { after: number; resolve: () => void } | null = null;
  const reached = (after: number) =>
    settled >= after
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          waiter = { after, resolve };
        });
  /** Per crash: the 201s told before it, and how many of them the restarted runtime still holds. */
  const crashes: {
    told: Registration[];
    inFlight: number;
    settled: number;
    restartMs: number;
    atMs: number;
    disk: OnDisk;
  }[] = [];

  const clients = pool(registrations, IN_FLIGHT, async (r) => {
    while (Date.now() < deadline) {
      const current = server;
      if (current === null) return;
      const outcome = await send(current, r);
      if (outcome.kind === "final") {
        r.final = outcome.answer;
        settled += 1;
        if (waiter !== null && settled >= waiter.after) {
          waiter.resolve();
          waiter = null;
        }
        return;
      }
      await sleep(outcome.waitMs);
    }
  });

  const killer = (async () => {
    for (const kill of kills) {
      await Promise.race([reached(kill.after), sleep(Math.max(0, deadline - Date.now()))]);
      if (kill.delayMs > 0) await sleep(kill.delayMs);
      const victim = server;
      if (victim === null) return;
      const inFlight = outstanding;
      const atSettled = settled;
      const atMs = Date.now() - started;
      await signal(victim, "SIGKILL");
      const told = registrations.filter((r) => r.final?.status === 201 && r.final.epoch <= victim.epoch);
      const disk = onDisk();
      const restarting = Date.now();
      server = await startServer(victim.epoch + 1);
      crashes.push({ told, inFlight, settled: atSettled, restartMs: Date.now() - restarting, atMs, disk });
    }
    deadline = Math.min(deadline, Date.now() + RETRY_DEADLINE_MS);
  })();

  await killer;
  await clients;
  const second = server;
  if (second === null) throw new Error("no server left");
  const firingMs = Date.now() - started;

  for (const [i, crash] of crashes.entries()) {
    log(
      `kill ${i + 1} at ${(crash.atMs / 1000).toFixed(1)} s with ${crash.settled} settled and ${crash.inFlight} in flight; ` +
        `restarted on the same state in ${(crash.restartMs / 1000).toFixed(1)} s`,
    );
  }
  const unanswered = registrations.filter((r) => r.final === null).length;
  log(
    `final answers after ${(firingMs / 1000).toFixed(1)} s: ${histogram(registrations.map((r) => r.final?.status ?? 0))}` +
      `${unanswered ? ` (no answer by the deadline: ${unanswered})` : ""}`,
  );
  const cutOff = registrations.filter((r) => r.attempts > 1);
  const replayedAfter = cutOff.filter((r) => r.final?.replayed).length;
  log(
    `of the ${cutOff.length} that had to retry: ${replayedAfter} replayed a write an earlier send committed, ` +
      `${cutOff.length - replayedAfter - cutOff.filter((r) => r.final === null).length} were written by their settling send`,
  );
  const retriesOf = cutOff.map((r) => r.attempts - 1);
  const max = Math.max(0, ...retriesOf);
  const mean = retriesOf.length === 0 ? 0 : retriesOf.reduce((a, b) => a + b, 0) / retriesOf.length;
  log(
    `retries needed (sends after the first): max ${max}, mean ${mean.toFixed(2)}; ` +
      `409 "in flight" answers met: ${inFlightAnswers}; other answers retried: ${
        histogram(
          registrations.flatMap((r) =>
            r.answers.filter((a) => a !== r.final && a.status !== 409).map((a) => a.status),
          ),
        ) || "none"
      }`,
  );

  // Phase 3: the cron drain delivers what the crashes left in the outbox, until nothing more lands.
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
  /** 201s told before a crash whose row or stored answer was not on disk right after it. */
  let lost = 0;
  for (const [i, crash] of crashes.entries()) {
    const { rows: diskRows, answers } = crash.disk;
    const rowsKept = crash.told.filter((r) => r.final?.id && diskRows.has(r.final.id)).length;
    const answersKept = crash.told.filter((r) => answers.get(r.key) === r.final?.id).length;
    const held = [...answers.values()].filter((id) => id === null).length;
    const kept = crash.told.filter((r) => r.final?.id && byId.has(r.final.id)).length;
    lost += crash.told.length - Math.min(rowsKept, answersKept);
    log(
      `201s told before kill ${i + 1}: ${crash.told.length}; on disk right after it: their rows ${rowsKept}, ` +
        `their keys' stored answers ${answersKept}, keys held by a request it cut off ${held}; their rows in D1 now: ${kept}`,
    );
  }
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

  // One more retry of every request: each must replay its answer, with the same ID. Like any client
  // it waits out what is not an answer (a 429 of the caller's quota, which the retries above may
  // have used up within the minute; a 5xx; no answer at all) and reports what it met.
  const differing: { r: Registration; answer: Answer | null }[] = [];
  const waitedOut: number[] = [];
  const finalDeadline = Date.now() + RETRY_DEADLINE_MS;
  await pool(registrations, IN_FLIGHT, async (r) => {
    let outcome: Outcome = await send(second, r);
    while (outcome.kind === "retry" && Date.now() < finalDeadline) {
      waitedOut.push(outcome.answer?.status ?? 0);
      await sleep(outcome.waitMs);
      outcome = await send(second, r);
    }
    const answer = outcome.answer;
    if (
      outcome.kind !== "final" ||
      answer === null ||
      !answer.replayed ||
      answer.status !== r.final?.status ||
      answer.id !== r.final.id
    ) {
      differing.push({ r, answer });
    }
  });
  log(
    `one more retry of every request: ${N - differing.length} of ${N} replayed the same answer and ID` +
      (waitedOut.length > 0 ? ` (waited out on the way: ${histogram(waitedOut)})` : ""),
  );
  for (const { r, answer } of differing.slice(0, 20)) {
    const told = r.final ? `${r.final.status} ${r.final.id ?? "-"} (run ${r.final.epoch})` : "nothing";
    const now = answer
      ? `${answer.status} ${answer.id ?? "-"}${answer.replayed ? " replayed" : ""} ${answer.detail}`.trim()
      : "no answer";
    log(`  #${r.index} ${r.coordinator} key ${r.key}: told ${told}, now ${now}`);
  }
  const rowsAfter = (await allAttributions(second.base)).length;
  if (rowsAfter !== rows.length) log(`attribution rows after the retry of every request: ${rowsAfter}`);

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
    rowsAfter === N &&
    entries === N &&
    shared + sameSlot + orphans + missing + mismatched + lost === 0 &&
    differing.length === 0 &&
    verify.valid;
  log(ok ? "OK: every client got its 201 with the ID of the one row written for it" : "FAILED");
  log(
    `summary: requests ${N}, in flight ${IN_FLIGHT}, kills ${crashes.length} at ${crashes.map((c) => c.settled).join("/")} settled, ` +
      `cpu load ${CPU_LOAD}${options.random ? `, seed ${SEED}` : ""}, created ${created}, rows ${rows.length}, audit ${entries}, ` +
      `replayed ${N - differing.length}/${N}, 409s ${inFlightAnswers}, ${ok ? "OK" : "FAILED"}`,
  );
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
  const last: Server | null = server;
  if (last !== null) await signal(last, "SIGTERM");
  stopBurners();
  if (options["keep-state"] || !passed) log(`state and server log kept in ${state}`);
  else rmSync(state, { recursive: true, force: true });
}
process.exit(passed ? 0 : 1);
