// `npm run bench [-- --sizes 10k,100k,1m --duration 3 --connections 10 --compare-wrangler]`
// Serves the Worker in workerd with wrangler's unstable_startWorker on its own local state, seeds
// one organisation (wrangler d1 execute --local), and drives the hot endpoints with autocannon at
// a fixed concurrency. Prints tables and writes them as JSON under bench/results/. See
// bench/README.md for how to read both, and why this path rather than wrangler dev.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon, { type Request as LoadRequest } from "autocannon";
import { SignJWT } from "jose";
import { unstable_startWorker } from "wrangler";
import budgets from "../../test/perf/round-trip-budgets.json" with { type: "json" };
import { ROOT } from "../dev/config.ts";
import { migrateAll } from "../dev/d1.ts";
import { activitiesSql, BENCH_ORG, BULK_MENTORS, bulkMentorId, membersSql } from "./endpoints-seed.ts";
import { BENCH_AUDIT_SIGNING_KEY } from "./keys.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10k" },
    duration: { type: "string", default: "3" },
    connections: { type: "string", default: "10" },
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
const DURATION = Math.min(Number(values.duration), 30);
const CONNECTIONS = Math.min(Number(values.connections), 100);
const WARM_UP_SECONDS = 1;
const PAGE_SIZE = 20;
const TMP = join(ROOT, "bench", "results", "tmp");
const SECRET = "bench-secret-with-enough-entropy-for-hs256";
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");

interface Measured {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non_2xx: number;
  errors: number;
}

interface Row extends Measured {
  endpoint: string;
  round_trips: string;
}

interface ComparisonRow extends Measured {
  via: string;
  endpoint: string;
}

interface Budget {
  d1: number;
  object: number;
  deferred_d1?: number;
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

/** One autocannon run against 127.0.0.1, bounded by DURATION, after a short warm-up. */
async function measure(base: string, request: LoadRequest): Promise<Measured> {
  const options = { url: base, connections: CONNECTIONS, requests: [request] };
  await autocannon({ ...options, duration: WARM_UP_SECONDS });
  const r = await autocannon({ ...options, duration: DURATION });
  return {
    // From the total rather than autocannon's per-second samples, which a short run may leave empty.
    rps: Math.round(r.requests.total / r.duration),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    requests: r.requests.total,
    non_2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

const STATE = join(TMP, "state");
const quiet = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

/** Runs `wrangler d1 …` on the bench's local state and answers its stdout. */
function d1(args: string[]): string {
  const r = spawnSync(wrangler, ["d1", ...args, "--local", "--persist-to", STATE], {
    cwd: ROOT,
    env: quiet,
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

/**
 * wrangler.toml with the per-caller rate limit lifted: the bench drives each endpoint as one
 * caller far past the production quota, and would otherwise measure 429s. Written next to
 * wrangler.toml (git-ignored) so its relative paths still resolve.
 */
function benchConfig(): string {
  const file = join(ROOT, ".wrangler-bench.toml");
  const source = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const lifted = source.replace(
    /simple = \{ limit = \d+, period = (\d+) \}/,
    "simple = { limit = 1000000000, period = $1 }",
  );
  if (lifted === source) throw new Error("wrangler.toml has no [[ratelimits]] simple limit to lift");
  writeFileSync(file, lifted);
  return file;
}

/** The Worker from wrangler.toml (rate limit lifted) on the bench's state, answering on 127.0.0.1. */
async function startWorker() {
  const worker = await unstable_startWorker({
    config: benchConfig(),
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist: STATE,
      watch: false,
      logLevel: "none",
    },
    bindings: {
      JWT_SECRET: { type: "plain_text", value: SECRET },
      AUDIT_SIGNING_KEY: { type: "plain_text", value: BENCH_AUDIT_SIGNING_KEY },
    },
  });
  const url = await worker.url;
  return { worker, base: url.origin };
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

const seconds = (from: number): string => ((performance.now() - from) / 1000).toFixed(1);

function countsOf(name: string | null): string {
  const b = name === null ? undefined : BUDGETS[name];
  return b ? `${b.d1}+${b.object}${b.deferred_d1 ? ` (+${b.deferred_d1})` : ""}` : "0+0";
}

/** Prints the rows with their ratios to the first, which is /health's. */
function printTable(title: string, rows: Row[]): void {
  const [health] = rows;
  if (!health) return;
  console.log(`\n${title}`);
  const header = [
    "endpoint",
    "req/s",
    "p50 ms",
    "p99 ms",
    "x rps",
    "x p50",
    "x p99",
    "D1+DO (later)",
    "non-2xx",
  ];
  const lines = rows.map((r) => [
    r.endpoint,
    r.rps,
    r.p50_ms,
    r.p99_ms,
    (r.rps / health.rps).toFixed(2),
    (r.p50_ms / Math.max(health.p50_ms, 1)).toFixed(1),
    (r.p99_ms / Math.max(health.p99_ms, 1)).toFixed(1),
    r.round_trips,
    r.non_2xx + r.errors,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => String(l[i]).length)));
  const fmt = (cells: (string | number)[]) =>
    cells
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0)))
      .join("  ");
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
}

/** /health and a one-D1-call read through unstable_startWorker and through `wrangler dev`, on the same state. */
async function compareWrangler(jwt: string): Promise<ComparisonRow[]> {
  const port = await freePort();
  const child = spawn(
    wrangler,
    [
      "dev",
      "--config",
      benchConfig(),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--persist-to",
      STATE,
      "--var",
      `JWT_SECRET:${SECRET}`,
    ],
    { cwd: ROOT, env: quiet, stdio: "ignore" },
  );
  const devBase = `http://127.0.0.1:${port}`;
  const rows: ComparisonRow[] = [];
  try {
    let up = false;
    for (let i = 0; i < 60 && !up; i += 1) {
      up = await fetch(`${devBase}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 500));
    }
    if (!up) throw new Error("wrangler dev did not answer /health within 30 s");
    const read = { method: "GET", path: "/api/v1/activity-types", headers: auth(jwt) };
    for (const [endpoint, request] of [
      ["health", { method: "GET", path: "/health" }],
      ["activity types (1 D1)", read],
    ] satisfies [string, LoadRequest][]) {
      rows.push({ via: "wrangler dev", endpoint, ...(await measure(devBase, request)) });
    }
  } finally {
    child.kill("SIGINT");
    await new Promise((r) => child.once("exit", r));
  }
  const { worker: w, base: swBase } = await startWorker();
  try {
    const read = { method: "GET", path: "/api/v1/activity-types", headers: auth(jwt) };
    for (const [endpoint, request] of [
      ["health", { method: "GET", path: "/health" }],
      ["activity types (1 D1)", read],
    ] satisfies [string, LoadRequest][]) {
      rows.push({ via: "unstable_startWorker", endpoint, ...(await measure(swBase, request)) });
    }
  } finally {
    await w.dispose();
  }
  console.log("\nThe same Worker through wrangler dev and through unstable_startWorker:");
  for (const r of rows) {
    console.log(
      `  ${r.via.padEnd(21)} ${r.endpoint.padEnd(22)} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms`,
    );
  }
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

rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
const started = performance.now();
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
const firstSeed = grow(FIRST_SIZE);
console.log(`seeded ${FIRST_SIZE} activities in ${firstSeed} s`);
let { worker, base } = await startWorker();
const report: {
  date: string;
  node: string;
  runtime: string;
  connections: number;
  duration_seconds: number;
  endpoints: Row[];
  scale: { activities: number; seed_seconds: number; rows: Row[] }[];
  path_comparison?: ComparisonRow[];
} = {
  date: new Date().toISOString(),
  node: process.version,
  runtime: "workerd via wrangler unstable_startWorker",
  connections: CONNECTIONS,
  duration_seconds: DURATION,
  endpoints: [],
  scale: [],
};
const jwt = {
  coordinator: await token("coord-007", ["coordinator"]),
  compliance: await token("compliance-001", ["compliance"]),
  system: await token("svc-ingest", ["system"]),
};
try {
  const attribution = (await post(base, "/api/v1/activity-attributions", jwt.coordinator, {
    coordinator_id: "coord-007",
    mentor_id: "mentor-0001",
    activity_type_id: "one-on-one",
    activity_date: "2026-03-24T14:00:00Z",
    duration_minutes: 45,
  })) as { attribution_id: string };

  // Writes vary per request so each one is a real insert, never a duplicate.
  let n = 0;
  const nextDate = () => new Date(Date.UTC(2020, 0, 1) + n++ * 1000).toISOString().slice(0, 19).concat("Z");
  const hot: [endpoint: string, budget: string | null, request: LoadRequest][] = [
    ["health", null, { method: "GET", path: "/health" }],
    [
      "activity-log list",
      "activity-log list",
      { method: "GET", path: `/api/v1/activity-logs?limit=${PAGE_SIZE}`, headers: auth(jwt.coordinator) },
    ],
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
      "attribution create",
      "attribution create",
      {
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
      },
    ],
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
  for (const [endpoint, budget, request] of hot) {
    report.endpoints.push({ endpoint, round_trips: countsOf(budget), ...(await measure(base, request)) });
  }
  printTable(
    `Hot endpoints, ${FIRST_SIZE} activities, ${CONNECTIONS} connections, ${DURATION} s each (x = ratio to /health)`,
    report.endpoints,
  );

  for (const size of SIZES) {
    let seeded = 0;
    if (size > seededRows) {
      // The Worker is stopped while its state grows, so only one workerd writes the database.
      await worker.dispose();
      seeded = grow(size);
      ({ worker, base } = await startWorker());
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
    ];
    const measured: Row[] = [];
    for (const [endpoint, budget, request] of rows) {
      measured.push({ endpoint, round_trips: countsOf(budget), ...(await measure(base, request)) });
    }
    report.scale.push({ activities: size, seed_seconds: seeded, rows: measured });
    printTable(`Scale: ${size} activities (grown in ${seeded} s)`, measured);
  }
} finally {
  await worker.dispose();
}
if (values["compare-wrangler"]) report.path_comparison = await compareWrangler(jwt.coordinator);
const file = join(ROOT, "bench", "results", `bench-${report.date.replaceAll(":", "-").slice(0, 19)}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nwrote ${file} (${seconds(started)} s in all)`);
