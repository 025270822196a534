// `npm run bench [-- --sizes 10k,100k,1m --requests 2000 --connections 1 --duration 20 --compare-wrangler]`
// Serves the Worker in workerd through miniflare's own API (the bundle `wrangler deploy --dry-run`
// builds, bindings from wrangler.toml, no wrangler proxy in front) on its own local state, seeds
// one organisation (wrangler d1 execute --local), and drives each endpoint with autocannon for a
// fixed number of requests, reading the workerd process's CPU time before and after. Prints
// tables and writes them as JSON under bench/results/. See bench/README.md for how to read both.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon, {
  type Options as LoadOptions,
  type Request as LoadRequest,
  type Result as LoadResult,
} from "autocannon";
import { SignJWT } from "jose";
import { encodeSyncCursor } from "../../src/lib/sync-cursor.ts";
import budgets from "../../test/perf/round-trip-budgets.json" with { type: "json" };
import { ROOT } from "../dev/config.ts";
import { migrateAll } from "../dev/d1.ts";
import { activitiesSql, BENCH_ORG, BULK_MENTORS, bulkMentorId, membersSql } from "./endpoints-seed.ts";
import { BENCH_AUDIT_SIGNING_KEY } from "./keys.ts";
import {
  benchConfig,
  bundleWorker,
  QUIET_ENV,
  startMiniflareWorker,
  startProbeWorker,
  startWithWrangler,
} from "./miniflare-worker.ts";
import {
  cpuMsBetween,
  descendantsCpuMs,
  holdsFileUnder,
  machineBusyMs,
  settledSnapshot,
  workerdPids,
} from "./workerd-cpu.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10k" },
    requests: { type: "string", default: "2000" },
    "warm-up": { type: "string", default: "200" },
    connections: { type: "string", default: "1" },
    duration: { type: "string", default: "20" },
    "compare-wrangler": { type: "boolean", default: false },
  },
});
const UNITS: Readonly<Record<string, number>> = { k: 1e3, m: 1e6 };
const SIZES = values.sizes.split(",").map((s) => {
  const m = /^(\d+)(k|m)?$/i.exec(s.trim());
  if (!m) throw new Error(`--sizes: cannot read ${s}`);
  return Number(m[1]) * (UNITS[m[2]?.toLowerCase() ?? ""] ?? 1);
});
// split() answers one item at least, and each item is a size or has thrown.
const FIRST_SIZE = SIZES[0] ?? 0;
const CONNECTIONS = Math.max(1, Math.min(Number(values.connections), 100));
/** Measured requests per row; a row also ends after DURATION seconds, whichever comes first. */
const REQUESTS = Math.max(CONNECTIONS, Math.min(Number(values.requests), 100_000));
const WARM_UP = Math.max(CONNECTIONS, Number(values["warm-up"]));
const DURATION = Math.min(Number(values.duration), 120);
const WARM_UP_SECONDS = 5;
const PAGE_SIZE = 20;
const TMP = join(ROOT, "bench", "results", "tmp");
const SECRET = "bench-secret-with-enough-entropy-for-hs256";
const SECRETS = { JWT_SECRET: SECRET, AUDIT_SIGNING_KEY: BENCH_AUDIT_SIGNING_KEY };
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");

interface Measured {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  /** workerd CPU (user + system, all threads) over the measured requests, per request completed. */
  cpu_ms_per_request: number;
  /** Cores' worth of CPU that other processes on the machine used during the kept attempt. */
  others_cores: number;
  /** How many times the row was measured (again while others_cores was above QUIET_OTHERS_CORES). */
  attempts: number;
  /** With more than one workerd process: the same for each (in Target.pids() order). */
  cpu_ms_by_process?: number[];
  requests: number;
  non_2xx: number;
  errors: number;
}

interface Row extends Measured {
  endpoint: string;
  round_trips: string;
  /** cpu_ms_per_request over /health's in the same table. */
  cpu_x_health: number;
}

interface ComparisonRow extends Measured {
  via: string;
  /** What each workerd process of the path runs ("Worker", or wrangler's "proxy"), in cpu_ms_by_process order; CPU is their sum. */
  workerd_processes: string[];
  endpoint: string;
  cpu_x_health: number;
}

interface Budget {
  d1: number;
  object: number;
  deferred_d1?: number;
}

/** Where the load goes, and the workerd processes whose CPU it costs. */
interface Target {
  base: string;
  /** Looked up again at each reading: a workerd that restarts mid-row makes the row measured again. */
  pids: () => number[];
}

const BUDGETS: Readonly<Record<string, Budget>> = budgets.budgets;

async function token(sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ org: BENCH_ORG, roles, name: sub })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(SECRET));
}

const auth = (jwt: string): Record<string, string> => ({
  authorization: `Bearer ${jwt}`,
  "content-type": "application/json",
});

/** One bounded autocannon run; answers its result and the seconds from start to the last answer. */
function drive(
  options: LoadOptions,
  onResponse: (answered: number) => void = () => {},
): Promise<{ result: LoadResult; seconds: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let last = start;
    let answered = 0;
    autocannon(options, (error, result) => {
      if (error) reject(error);
      else resolve({ result, seconds: (last - start) / 1000 });
    }).on("response", () => {
      last = performance.now();
      answered += 1;
      onResponse(answered);
    });
  });
}

const round = (n: number, digits: number): number => Number(n.toFixed(digits));
const seconds = (from: number): string => ((performance.now() - from) / 1000).toFixed(1);

/** Other work on the machine above this many cores during a row makes it measured again. */
const QUIET_OTHERS_CORES = 0.15;
const ATTEMPTS = 2;

/** CPU the machine spent outside this process and its descendants, so far (ms). */
const othersCpuMs = (): number => {
  const self = process.cpuUsage();
  return machineBusyMs() - descendantsCpuMs() - (self.user + self.system) / 1000;
};

/**
 * WARM_UP requests, then REQUESTS more (or DURATION seconds) at CONNECTIONS in flight; the
 * workerd CPU is read once the processes are quiet before and after the measured requests.
 * Other processes on the machine inflate a request's CPU (shared caches, the same two cores),
 * so a row during which they used more than QUIET_OTHERS_CORES is measured again, up to
 * ATTEMPTS times, and the quietest attempt is kept.
 */
async function measure(target: Target, request: LoadRequest): Promise<Measured> {
  const options = { url: target.base, connections: CONNECTIONS, requests: [request] };
  await drive({ ...options, maxOverallRequests: WARM_UP, duration: WARM_UP_SECONDS });
  let kept: Measured | undefined;
  let restarts = 0;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt += 1) {
    const pids = target.pids();
    const before = await settledSnapshot(pids);
    const [othersBefore, wallBefore] = [othersCpuMs(), performance.now()];
    const { result, seconds } = await drive({ ...options, maxOverallRequests: REQUESTS, duration: DURATION });
    const after = await settledSnapshot(pids);
    if (target.pids().join() !== pids.join()) {
      restarts += 1;
      if (restarts > ATTEMPTS)
        throw new Error(`workerd kept restarting during ${request.method} ${request.path}`);
      console.log(`  (workerd restarted during ${request.method} ${request.path}: measuring again)`);
      attempt -= 1;
      continue;
    }
    const others = round((othersCpuMs() - othersBefore) / (performance.now() - wallBefore), 2);
    const completed = Math.max(result.requests.total, 1);
    const measured: Measured = {
      cpu_ms_per_request: round(cpuMsBetween(before, after) / completed, 2),
      ...(pids.length > 1
        ? {
            cpu_ms_by_process: pids.map((pid) => round(cpuMsBetween(before, after, [pid]) / completed, 2)),
          }
        : {}),
      others_cores: Math.max(others, 0),
      attempts: attempt,
      rps: Math.round(result.requests.total / Math.max(seconds, 1e-3)),
      p50_ms: result.latency.p50,
      p99_ms: result.latency.p99,
      requests: result.requests.total,
      non_2xx: result.non2xx,
      errors: result.errors + result.timeouts,
    };
    if (!kept || measured.others_cores < kept.others_cores) kept = { ...measured };
    kept.attempts = attempt;
    if (measured.others_cores <= QUIET_OTHERS_CORES) break;
  }
  // ATTEMPTS >= 1, so the loop has kept one.
  return kept as Measured;
}

/** cpu_x_health for each row, against the first row's figure, which is /health's. */
function withCpuRatio<R extends Measured>(rows: R[]): (R & { cpu_x_health: number })[] {
  const health = rows[0]?.cpu_ms_per_request ?? 0;
  return rows.map((r) => ({ ...r, cpu_x_health: health > 0 ? round(r.cpu_ms_per_request / health, 2) : 0 }));
}

const STATE = join(TMP, "state");

/** Runs `wrangler d1 …` on the bench's local state and answers its stdout. */
function d1(args: string[]): string {
  const r = spawnSync(wrangler, ["d1", ...args, "--local", "--persist-to", STATE], {
    cwd: ROOT,
    env: QUIET_ENV,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`wrangler d1 ${args[0]} failed:\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** The database the bench organisation is placed on (the directory says so before the Worker starts). */
const BENCH_DATABASE = "DB_1";

function executeSql(name: string, text: string, binding = BENCH_DATABASE): void {
  const file = join(TMP, `${name}.sql`);
  writeFileSync(file, text);
  d1(["execute", binding, "--file", file]);
}

/** The rows of one statement; `wrangler d1 execute --json` answers one result per statement. */
function query<R>(sql: string): R[] {
  const results: { results: R[] }[] = JSON.parse(d1(["execute", BENCH_DATABASE, "--json", "--command", sql]));
  const [result] = results;
  if (!result) throw new Error(`wrangler d1 execute answered no result for: ${sql}`);
  return result.results;
}

interface Served extends Target {
  stop(): Promise<void>;
}

/** The Worker through miniflare's API on the bench's state: the figures of every table. */
async function startWorker(assets = false): Promise<Served & { direct: string }> {
  const { mf, base, direct, pids } = await startMiniflareWorker({
    config: CONFIG,
    script: SCRIPT,
    persist: STATE,
    secrets: SECRETS,
    assets,
  });
  return { base, direct, pids, stop: () => mf.dispose() };
}

/** The Worker through wrangler's unstable_startWorker (its proxy Worker in front), for --compare-wrangler. */
async function startWorkerViaWrangler(): Promise<Served> {
  const before = new Set(workerdPids());
  const worker = await startWithWrangler(CONFIG, STATE, {
    JWT_SECRET: SECRET,
    AUDIT_SIGNING_KEY: BENCH_AUDIT_SIGNING_KEY,
  });
  const url = await worker.url;
  // The user Worker's workerd may start after the proxy's: one answered request means both run.
  const res = await fetch(`${url.origin}/health`);
  if (!res.ok) throw new Error(`unstable_startWorker answered /health with ${res.status}`);
  const pids = () => workerdPids().filter((pid) => !before.has(pid));
  return { base: url.origin, pids, stop: () => worker.dispose() };
}

/** The Worker through `wrangler dev` in a child process, for --compare-wrangler. */
async function startWranglerDev(): Promise<Served> {
  const port = await freePort();
  const child = spawn(
    wrangler,
    [
      "dev",
      "--config",
      CONFIG,
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      STATE,
      "--var",
      `JWT_SECRET:${SECRET}`,
      `AUDIT_SIGNING_KEY:${BENCH_AUDIT_SIGNING_KEY}`,
    ],
    { cwd: ROOT, env: QUIET_ENV, stdio: "ignore" },
  );
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    child.kill("SIGINT");
    await exited;
  };
  const base = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 60 && !up; i += 1) {
    up = await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (!up) await new Promise((r) => setTimeout(r, 500));
  }
  if (!up || child.pid === undefined) {
    await stop();
    throw new Error("wrangler dev did not answer /health within 30 s");
  }
  const root = child.pid;
  return { base, pids: () => workerdPids(root), stop };
}

async function post(base: string, path: string, jwt: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: auth(jwt),
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`seeding ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Opaque to clients; built here the way the API builds it, to start at a deep position at once. */
interface Position {
  occurred_at: string;
  activity_id: string;
}

const cursorOf = (row: Position): string =>
  Buffer.from(JSON.stringify([row.occurred_at, row.activity_id])).toString("base64url");

function deepPosition(total: number): { page: number; cursor: string | null } {
  const page = Math.max(1, Math.floor(total / PAGE_SIZE / 2));
  const [row] = query<Position>(
    `select occurred_at, activity_id from activities where org_id = '${BENCH_ORG}'
     order by occurred_at desc, activity_id desc limit 1 offset ${(page - 1) * PAGE_SIZE - 1}`,
  );
  return { page, cursor: row ? cursorOf(row) : null };
}

/**
 * A changes-feed cursor halfway through the organisation's feed (its records), built the way the
 * API builds it, for the coordinator the bench reads as: a later page of a long feed.
 */
function deepSyncCursor(): string {
  const [counter] = query<{ seq: number }>(`select seq from sync_counters where org_id = '${BENCH_ORG}'`);
  const seq = counter?.seq ?? 0;
  const caller = { org: BENCH_ORG, sub: "coord-007", roles: ["coordinator"] };
  return encodeSyncCursor(caller, { records: Math.floor(seq / 2), members: seq, snapshotUntil: null });
}

function countsOf(name: string | null): string {
  const b = name === null ? undefined : BUDGETS[name];
  return b ? `${b.d1}+${b.object}${b.deferred_d1 ? ` (+${b.deferred_d1})` : ""}` : "0+0";
}

interface UploadComparison {
  entries: number;
  runs: number;
  /** Wall time to send `entries` queued entries, mean over the runs, and the D1 round trips it costs. */
  batch: { wall_ms: number; d1_round_trips: number };
  single: { wall_ms: number; d1_round_trips: number };
}

/**
 * 100 queued entries sent as one batch upload against the same sent as 100 single POSTs, one
 * after the other as an app would without the batch route, in the same run (SPEC §10).
 */
async function uploadComparison(base: string, jwt: string): Promise<UploadComparison> {
  const entries = 100;
  const runs = 10;
  const send = async (path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: auth(jwt),
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  };
  let batchMs = 0;
  let singleMs = 0;
  for (let run = 0; run < runs; run += 1) {
    let t = performance.now();
    await send("/api/v1/activity-logs/batch", { entries: queuedEntries(entries) });
    batchMs += performance.now() - t;
    const singles = queuedEntries(entries);
    t = performance.now();
    for (const entry of singles) await send("/api/v1/activity-logs", entry);
    singleMs += performance.now() - t;
  }
  const d1Of = (name: string) => BUDGETS[name]?.d1 ?? 0;
  const result = {
    entries,
    runs,
    batch: {
      wall_ms: round(batchMs / runs, 1),
      d1_round_trips: d1Of("activity-log batch upload (100 entries)"),
    },
    single: { wall_ms: round(singleMs / runs, 1), d1_round_trips: entries * d1Of("activity-log create") },
  };
  console.log(
    `\nUpload of ${entries} queued entries (mean of ${runs}): one batch ${result.batch.wall_ms} ms ` +
      `(${result.batch.d1_round_trips} D1 round trip) against ${entries} single POSTs ${result.single.wall_ms} ms ` +
      `(${result.single.d1_round_trips} D1 round trips)`,
  );
  return result;
}

/** Prints cells in columns: the first left-aligned, the others right-aligned. */
function printColumns(header: string[], lines: (string | number)[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells: (string | number)[]) =>
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0)))
      .join("  ");
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}

/** Other processes' CPU during the row, starred when the row never had a quiet attempt. */
const othersOf = (r: Measured): string =>
  `${r.others_cores.toFixed(2)}${r.others_cores > QUIET_OTHERS_CORES ? "*" : ""}`;

/** Prints the rows with their ratios to the first, which is /health's. */
function printTable(title: string, rows: Row[]): void {
  const [health] = rows;
  if (!health) return;
  console.log(`\n${title}`);
  printColumns(
    [
      "endpoint",
      "CPU ms",
      "x CPU",
      "req/s",
      "p50 ms",
      "p99 ms",
      "x rps",
      "x p50",
      "x p99",
      "D1+DO (later)",
      "others",
      "non-2xx",
    ],
    rows.map((r) => [
      r.endpoint,
      r.cpu_ms_per_request.toFixed(2),
      r.cpu_x_health.toFixed(2),
      r.rps,
      r.p50_ms,
      r.p99_ms,
      (r.rps / health.rps).toFixed(2),
      (r.p50_ms / Math.max(health.p50_ms, 1)).toFixed(1),
      (r.p99_ms / Math.max(health.p99_ms, 1)).toFixed(1),
      r.round_trips,
      othersOf(r),
      r.non_2xx + r.errors,
    ]),
  );
}

/**
 * The same endpoints through each way of serving the Worker, one after the other on the same
 * state: miniflare as in the tables, miniflare's direct socket (no entry Worker), miniflare with
 * the [assets] router in front, wrangler's unstable_startWorker and `wrangler dev` (both with
 * wrangler's proxy Worker in front, in a workerd process of its own).
 */
async function compareWrangler(
  requests: [endpoint: string, request: LoadRequest][],
): Promise<ComparisonRow[]> {
  const paths: [via: string, start: () => Promise<Served>][] = [
    ["miniflare", () => startWorker()],
    [
      "miniflare direct socket",
      async () => {
        const served = await startWorker();
        return { ...served, base: served.direct };
      },
    ],
    ["miniflare + assets router", () => startWorker(true)],
    ["unstable_startWorker", startWorkerViaWrangler],
    ["wrangler dev", startWranglerDev],
  ];
  const rows: ComparisonRow[] = [];
  for (const [via, start] of paths) {
    const served = await start();
    const measured: Omit<ComparisonRow, "cpu_x_health" | "workerd_processes">[] = [];
    let roles: string[] = [];
    try {
      for (const [endpoint, request] of requests) {
        measured.push({ via, endpoint, ...(await measure(served, request)) });
      }
      // After the D1 rows the workerd that runs the Worker holds the database files open; another is the proxy.
      const pids = served.pids();
      roles = pids.map((pid) => (pids.length === 1 || holdsFileUnder(pid, STATE) ? "Worker" : "proxy"));
    } finally {
      await served.stop();
    }
    rows.push(...withCpuRatio(measured).map((r) => ({ ...r, workerd_processes: roles })));
  }
  console.log(
    "\nThe same Worker served five ways (CPU: every workerd process of the path; x CPU: to its /health)",
  );
  printColumns(
    ["via", "endpoint", "CPU ms", "by workerd", "x CPU", "req/s", "p50 ms", "p99 ms", "others", "non-2xx"],
    rows.map((r) => [
      r.via,
      r.endpoint,
      r.cpu_ms_per_request.toFixed(2),
      (r.cpu_ms_by_process ?? []).map((ms, i) => `${r.workerd_processes[i]} ${ms.toFixed(2)}`).join(" + ") ||
        "Worker",
      r.cpu_x_health.toFixed(2),
      r.rps,
      r.p50_ms,
      r.p99_ms,
      othersOf(r),
      r.non_2xx + r.errors,
    ]),
  );
  return rows;
}

interface FloorRow extends Measured {
  probe: string;
}

/**
 * What the local machinery costs workerd by itself, measured on a Worker that does nothing
 * else: miniflare's entry Worker, and one call to each local simulator the API calls (D1, the
 * rate limiter, a Durable Object). Production bills none of these to the Worker's CPU.
 */
async function localFloor(): Promise<FloorRow[]> {
  const probe = await startProbeWorker(STATE);
  const rows: FloorRow[] = [];
  try {
    for (const [name, base, path] of [
      ["empty Worker, through the entry Worker", probe.base, "/"],
      ["empty Worker, direct socket", probe.direct, "/"],
      ["one D1 query (select 1), direct", probe.direct, "/d1"],
      ["one rate-limit call, direct", probe.direct, "/rate-limit"],
      ["one Durable Object RPC call, direct", probe.direct, "/object"],
    ] as const) {
      rows.push({ probe: name, ...(await measure({ base, pids: probe.pids }, { method: "GET", path })) });
    }
  } finally {
    await probe.mf.dispose();
  }
  console.log("\nLocal floor: a probe Worker that only makes the one call (workerd CPU per request)");
  printColumns(
    ["probe", "CPU ms", "req/s", "p50 ms", "p99 ms", "others", "non-2xx"],
    rows.map((r) => [
      r.probe,
      r.cpu_ms_per_request.toFixed(2),
      r.rps,
      r.p50_ms,
      r.p99_ms,
      othersOf(r),
      r.non_2xx + r.errors,
    ]),
  );
  return rows;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

const version = (name: string): string =>
  JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")).version;

/** Fails the run unless the Worker sees the seeded organisation: miniflare reads wrangler's state layout. */
async function checkState(base: string, jwt: string, size: number): Promise<void> {
  const res = await fetch(`${base}/api/v1/activity-logs?limit=1`, { headers: auth(jwt) });
  const body = (await res.json()) as { pagination?: { total?: number } };
  const total = body.pagination?.total ?? -1;
  if (!res.ok || total < size) {
    throw new Error(`the Worker sees ${total} activities, not the ${size} seeded (${res.status})`);
  }
}

const LOAD_AT_START = round(loadavg()[0] ?? 0, 2);
if (LOAD_AT_START > 0.5) {
  console.log(`note: the machine is busy (load ${LOAD_AT_START}); CPU per request rises with contention`);
}
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
const started = performance.now();
const CONFIG = benchConfig();
const SCRIPT = bundleWorker(CONFIG, join(TMP, "bundle"));
if (migrateAll("--local", ["--persist-to", STATE], true) !== 0)
  throw new Error("applying the D1 migrations failed");
executeSql(
  "directory",
  `insert into organisations (org_id, database, placed_at) values ('${BENCH_ORG}', '${BENCH_DATABASE}', '2026-01-01T00:00:00Z');`,
  "DIRECTORY",
);
executeSql("members", membersSql());
let seededRows = 0;
/** Grows the organisation to `size` activities and answers how long it took. */
function grow(size: number): number {
  const t = performance.now();
  if (size > seededRows) executeSql(`activities-${size}`, activitiesSql(seededRows, size));
  seededRows = Math.max(seededRows, size);
  return Number(seconds(t));
}
grow(FIRST_SIZE);
console.log(`bundled and seeded ${FIRST_SIZE} activities in ${seconds(started)} s`);
let served = await startWorker();
const { base } = served;
const report: {
  date: string;
  node: string;
  runtime: string;
  cpu: string;
  connections: number;
  requests_per_row: number;
  warm_up_requests: number;
  max_seconds_per_row: number;
  /** 1-minute load average of the machine when the run started and ended: other work inflates CPU figures too. */
  load_average: { start: number; end?: number };
  endpoints: Row[];
  scale: { activities: number; seed_seconds: number; rows: Row[] }[];
  local_floor: FloorRow[];
  path_comparison?: ComparisonRow[];
  upload?: UploadComparison;
} = {
  date: new Date().toISOString(),
  node: process.version,
  runtime: `workerd ${version("workerd")} via miniflare ${version("miniflare")} (no wrangler proxy), bundle of wrangler ${version("wrangler")} deploy --dry-run`,
  cpu: "workerd CPU time (all threads, /proc/<pid>/task/*/schedstat) over the measured requests, read once quiet before and after, per request completed",
  connections: CONNECTIONS,
  requests_per_row: REQUESTS,
  warm_up_requests: WARM_UP,
  max_seconds_per_row: DURATION,
  load_average: { start: LOAD_AT_START },
  endpoints: [],
  scale: [],
  local_floor: [],
};
const jwt = {
  coordinator: await token("coord-007", ["coordinator"]),
  compliance: await token("compliance-001", ["compliance"]),
  system: await token("svc-ingest", ["system"]),
  mentor: await token("mentor-0004", ["mentor"]),
};
// Writes vary per request so each one is a real insert, never a duplicate.
let n = 0;
const nextDate = () => new Date(Date.UTC(2020, 0, 1) + n++ * 1000).toISOString().slice(0, 19).concat("Z");
const health: LoadRequest = { method: "GET", path: "/health" };
/** `count` entries as an app queues them offline, each under a client_ref never sent before. */
let queuedSerial = 0;
const queuedEntries = (count: number) =>
  Array.from({ length: count }, () => ({
    activity_type: "check_in",
    description: "Queued offline",
    duration_minutes: 20,
    occurred_at: nextDate(),
    client_ref: `bench:${queuedSerial++}`,
  }));
const attributionCreate: LoadRequest = {
  method: "POST",
  path: "/api/v1/activity-attributions",
  headers: auth(jwt.coordinator),
  setupRequest: (req) => ({
    ...req,
    body: JSON.stringify({
      coordinator_id: "coord-007",
      mentor_id: "mentor-0002",
      activity_type_id: "one-on-one",
      activity_date: nextDate(),
      duration_minutes: 30,
    }),
  }),
};
const firstPage: LoadRequest = {
  method: "GET",
  path: `/api/v1/activity-logs?limit=${PAGE_SIZE}`,
  headers: auth(jwt.coordinator),
};
try {
  await checkState(base, jwt.coordinator, FIRST_SIZE);
  const attribution = (await post(base, "/api/v1/activity-attributions", jwt.coordinator, {
    coordinator_id: "coord-007",
    mentor_id: "mentor-0001",
    activity_type_id: "one-on-one",
    activity_date: "2026-03-24T14:00:00Z",
    duration_minutes: 45,
  })) as { attribution_id: string };

  const hot: [endpoint: string, budget: string | null, request: LoadRequest][] = [
    ["health", null, health],
    ["activity-log list", "activity-log list", firstPage],
    [
      "activity-log summary",
      "activity-log summary",
      {
        method: "GET",
        path: "/api/v1/activity-logs/mentor/mentor-0007/summary?period=year&date=2026-03-01",
        headers: auth(jwt.coordinator),
      },
    ],
    [
      "activity-log create",
      "activity-log create",
      {
        method: "POST",
        path: "/api/v1/activity-logs",
        headers: auth(jwt.mentor),
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            activity_type: "check_in",
            description: "Bench check-in",
            duration_minutes: 15,
            occurred_at: nextDate(),
          }),
        }),
      },
    ],
    ["attribution create", "attribution create", attributionCreate],
    [
      "attribution get",
      "attribution get",
      {
        method: "GET",
        path: `/api/v1/activity-attributions/${attribution.attribution_id}`,
        headers: auth(jwt.coordinator),
      },
    ],
    [
      "attribution list",
      "attribution list",
      { method: "GET", path: "/api/v1/activity-attributions", headers: auth(jwt.coordinator) },
    ],
    [
      "bulk confirm (50 mentors)",
      "bulk confirm (50 mentors)",
      {
        method: "POST",
        path: "/api/v1/activity-attributions/batches",
        headers: auth(jwt.coordinator),
        setupRequest: (req) => ({
          ...req,
          body: JSON.stringify({
            coordinator_id: "coord-007",
            activity_type_id: "workshop",
            activity_date: nextDate(),
            mentor_ids: Array.from({ length: BULK_MENTORS }, (_, i) => bulkMentorId(i)),
            confirm: true,
          }),
        }),
      },
    ],
    [
      "activity-log batch upload (100 entries)",
      "activity-log batch upload (100 entries)",
      {
        method: "POST",
        path: "/api/v1/activity-logs/batch",
        headers: auth(jwt.mentor),
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ entries: queuedEntries(100) }) }),
      },
    ],
    [
      "sync changes, first page (100)",
      "sync changes page",
      { method: "GET", path: "/api/v1/sync/changes?limit=100", headers: auth(jwt.coordinator) },
    ],
    [
      "proxy-audit list",
      "proxy-audit list",
      { method: "GET", path: "/api/v1/proxy-audit-logs", headers: auth(jwt.compliance) },
    ],
    [
      "audit append",
      "proxy-audit append",
      {
        method: "POST",
        path: "/api/v1/proxy-audit-logs",
        headers: auth(jwt.system),
        body: JSON.stringify({
          action: "proxy_created",
          coordinator_id: "coord-007",
          mentor_id: "mentor-0003",
          activity_id: "pact-bench",
        }),
      },
    ],
  ];
  const hotRows: Measured[] = [];
  for (const [, , request] of hot) hotRows.push(await measure(served, request));
  report.endpoints = withCpuRatio(hotRows).map((r, i) => ({
    endpoint: hot[i]?.[0] ?? "",
    round_trips: countsOf(hot[i]?.[1] ?? null),
    ...r,
  }));
  printTable(
    `Hot endpoints, ${FIRST_SIZE} activities, ${CONNECTIONS} connection(s), ${REQUESTS} requests each ` +
      `(CPU ms = workerd CPU per request; x = ratio to /health)`,
    report.endpoints,
  );

  report.upload = await uploadComparison(served.base, jwt.mentor);

  for (const size of SIZES) {
    let seeded = 0;
    if (size > seededRows) {
      // The Worker is stopped while its state grows, so only one workerd writes the database.
      await served.stop();
      seeded = grow(size);
      served = await startWorker();
      await checkState(served.base, jwt.coordinator, size);
    }
    const deep = deepPosition(size);
    const rows: [endpoint: string, budget: string | null, request: LoadRequest][] = [
      ["health", null, { method: "GET", path: "/health" }],
      [
        "summary (year)",
        "activity-log summary",
        {
          method: "GET",
          path: "/api/v1/activity-logs/mentor/mentor-0007/summary?period=year&date=2026-03-01",
          headers: auth(jwt.coordinator),
        },
      ],
      [
        "filtered list (mentor)",
        "activity-log list",
        {
          method: "GET",
          path: `/api/v1/activity-logs?mentor_id=mentor-0007&limit=${PAGE_SIZE}`,
          headers: auth(jwt.coordinator),
        },
      ],
      [
        "first page",
        "activity-log list",
        { method: "GET", path: `/api/v1/activity-logs?limit=${PAGE_SIZE}`, headers: auth(jwt.coordinator) },
      ],
      [
        `deep page ?page=${deep.page}`,
        "activity-log list",
        {
          method: "GET",
          path: `/api/v1/activity-logs?limit=${PAGE_SIZE}&page=${deep.page}`,
          headers: auth(jwt.coordinator),
        },
      ],
      [
        "deep page ?cursor=",
        "activity-log list",
        {
          method: "GET",
          path: `/api/v1/activity-logs?limit=${PAGE_SIZE}&cursor=${deep.cursor}`,
          headers: auth(jwt.coordinator),
        },
      ],
      [
        "sync changes page (100), halfway",
        "sync changes page",
        {
          method: "GET",
          path: `/api/v1/sync/changes?limit=100&cursor=${deepSyncCursor()}`,
          headers: auth(jwt.coordinator),
        },
      ],
    ];
    const measured: Measured[] = [];
    for (const [, , request] of rows) measured.push(await measure(served, request));
    const tableRows = withCpuRatio(measured).map((r, i) => ({
      endpoint: rows[i]?.[0] ?? "",
      round_trips: countsOf(rows[i]?.[1] ?? null),
      ...r,
    }));
    report.scale.push({ activities: size, seed_seconds: seeded, rows: tableRows });
    printTable(`Scale: ${size} activities (grown in ${seeded} s)`, tableRows);
  }
} finally {
  await served.stop();
}
report.local_floor = await localFloor();
if (values["compare-wrangler"]) {
  report.path_comparison = await compareWrangler([
    ["health", health],
    [
      "activity types (1 D1)",
      { method: "GET", path: "/api/v1/activity-types", headers: auth(jwt.coordinator) },
    ],
    ["activity-log list", firstPage],
    ["attribution create", attributionCreate],
  ]);
}
report.load_average.end = round(loadavg()[0] ?? 0, 2);
const file = join(ROOT, "bench", "results", `bench-${report.date.replaceAll(":", "-").slice(0, 19)}.json`);
// Arrays of numbers and strings on one line, as Biome formats JSON (npm run lint checks results too).
const json = JSON.stringify(report, null, 2).replace(
  /\[\s+([^[\]{}]*?)\s+\]/g,
  (_, items: string) => `[${items.split(/,\s+/).join(", ")}]`,
);
writeFileSync(file, `${json}\n`);
console.log(`\nwrote ${file} (${seconds(started)} s in all)`);
