// `npm run bench:capacity [-- --rows 100k --duration 5 --connections 10]`: the figures of
// docs/scaling.md. On its own local state under bench/results/tmp-capacity/ (wiped first):
//
//   1. fills DB_1 with one organisation's `--rows` self-entered activities, then as many
//      registrations (an attribution and its activity each), generated inside SQLite, and reads
//      the database file with SQLite's dbstat: the bytes of each table and of each of its
//      indexes, per row;
//   2. starts the Worker (wrangler's unstable_startWorker, rate limit lifted) and drives two
//      writes with autocannon: a mentor's activity log (one D1 batch) and a coordinator's
//      registration (one D1 batch and one audit-object call), and /health for scale.
//
// Prints both and writes them to bench/results/capacity-<time>.json.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { parseArgs } from "node:util";
import autocannon, { type Request as LoadRequest } from "autocannon";
import { SignJWT } from "jose";
import { ROOT } from "../dev/config.ts";
import { migrateAll } from "../dev/d1.ts";
import { BENCH_AUDIT_SIGNING_KEY } from "./keys.ts";
import { benchConfig, startWithWrangler } from "./miniflare-worker.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "100k" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "10" },
  },
});
const ROWS = Number(/^(\d+)k$/i.exec(values.rows)?.[1] ?? Number.NaN) * 1000 || Number(values.rows);
if (!Number.isInteger(ROWS) || ROWS < 1000)
  throw new Error("--rows: a whole number of at least 1000 (or 100k)");
const DURATION = Math.min(Number(values.duration), 30);
const CONNECTIONS = Math.min(Number(values.connections), 100);

const ORG = "org-capacity";
const DATABASE = "DB_1";
const MENTORS = 200;
const CHUNK = 50_000;
/** Write batches timed straight against the database, per concurrency. */
const DIRECT_WRITES = 5_000;
/** D1's limit per database, 10 GB, read as 10^10 bytes (the smaller reading). */
const D1_LIMIT_BYTES = 10e9;
const TMP = join(ROOT, "bench", "results", "tmp-capacity");
const STATE = join(TMP, "state");
const SECRET = "bench-secret-with-enough-entropy-for-hs256";
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
const quiet = { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" };

/**
 * What a row holds, chosen to look like the app's: a description of 60 characters, a contact,
 * a location and notes of 14 and 15, timestamps and IDs as the API writes them.
 */
const DESCRIPTION = "Weekly check-in with the mentee about goals and the next steps";

function execute(name: string, sql: string, binding = DATABASE): void {
  const file = join(TMP, `${name}.sql`);
  writeFileSync(file, sql);
  const run = spawnSync(
    wrangler,
    ["d1", "execute", binding, "--local", "--persist-to", STATE, "--file", file],
    {
      cwd: ROOT,
      env: quiet,
      encoding: "utf8",
    },
  );
  if (run.status !== 0) throw new Error(`wrangler d1 execute ${name} failed:\n${run.stderr}\n${run.stdout}`);
}

/** `insert … with recursive` statements of CHUNK rows each over i in [0, rows). */
function generated(rows: number, statement: (start: number, end: number) => string): string {
  const out: string[] = [];
  for (let start = 0; start < rows; start += CHUNK) out.push(statement(start, Math.min(rows, start + CHUNK)));
  return `${out.join("\n")}\n`;
}

const series = (start: number, end: number) =>
  `with recursive n(i) as (select ${start} union all select i + 1 from n where i + 1 < ${end})`;

const selfActivities = (rows: number) =>
  generated(
    rows,
    (
      start,
      end,
    ) => `insert into activities (org_id, activity_id, mentor_id, activity_type, description, contact_id,
  duration_minutes, occurred_at, entry_mode, confirmation_status, created_by, created_at, updated_at)
${series(start, end)}
select '${ORG}', printf('log_%016x', i), printf('mentor-%04d', i % ${MENTORS}), 'check_in', '${DESCRIPTION}',
  printf('contact-%d', i % 5000), 30 + i % 60, strftime('%Y-%m-%dT%H:%M:%SZ', 1720000000 + i * 60, 'unixepoch'),
  'self', 'confirmed', printf('mentor-%04d', i % ${MENTORS}), '2026-06-30T00:00:00Z', '2026-06-30T00:00:00Z'
from n;`,
  );

/**
 * Registration i: numbered per day as the API numbers them (attr-/pact-YYYYMMDD-NNN), 1000 a day
 * from 2020-01-01, so a million of them end in 2022 and never take a number the timed
 * registrations of today are given.
 */
const dayOf = "strftime('%Y%m%d', 1577836800 + (i / 1000) * 86400, 'unixepoch')";
const numberOf = "printf('%03d', i % 1000 + 1)";
const registrations = (rows: number) =>
  generated(
    rows,
    (
      start,
      end,
    ) => `insert into activities (org_id, activity_id, mentor_id, activity_type, description, duration_minutes,
  location, notes, occurred_at, entry_mode, attribution_id, confirmation_status, created_by, created_at, updated_at)
${series(start, end)}
select '${ORG}', 'pact-' || ${dayOf} || '-' || ${numberOf}, printf('mentor-%04d', i % ${MENTORS}), 'workshop',
  'Resume workshop', 120, 'Innovation Lab', 'Resume workshop',
  strftime('%Y-%m-%dT%H:%M:%SZ', 1720000000 + i * 60, 'unixepoch'), 'proxy', 'attr-' || ${dayOf} || '-' || ${numberOf},
  'pending', 'coord-007', '2026-06-30T00:00:00Z', '2026-06-30T00:00:00Z'
from n;
insert into attributions (org_id, attribution_id, activity_id, mentor_id, coordinator_id, activity_type_id,
  activity_date, duration_minutes, location, notes, proxy, entry_mode, confirmation_status, created_by, last_event_id,
  created_at, updated_at)
${series(start, end)}
select '${ORG}', 'attr-' || ${dayOf} || '-' || ${numberOf}, 'pact-' || ${dayOf} || '-' || ${numberOf},
  printf('mentor-%04d', i % ${MENTORS}), 'coord-007', 'workshop',
  strftime('%Y-%m-%dT%H:%M:%SZ', 1720000000 + i * 60, 'unixepoch'), 120, 'Innovation Lab', 'Resume workshop', 1,
  'proxy', 'pending', 'coord-007', printf('%08x-0000-4000-8000-%012x', i, i), '2026-06-30T00:00:00Z',
  '2026-06-30T00:00:00Z'
from n;`,
  );

function membersSql(): string {
  const people = [
    ...Array.from({ length: MENTORS }, (_, i) => [
      `mentor-${String(i).padStart(4, "0")}`,
      `Mentor ${i}`,
      "mentor",
    ]),
    ["coord-007", "Jordan Lee", "coordinator"],
  ];
  const rows = people.map(([id, name, role]) => `('${ORG}', '${id}', '${name}', '["${role}"]', 1)`);
  return `insert into members (org_id, member_id, name, roles, active) values\n${rows.join(",\n")};\n`;
}

/** The local file of DB_1: the one of wrangler's D1 files that holds the organisation. */
function databaseFile(): string {
  const dir = join(STATE, "v3", "d1", "miniflare-D1DatabaseObject");
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".sqlite") && n !== "metadata.sqlite")) {
    const db = new DatabaseSync(join(dir, name), { readOnly: true });
    try {
      const row = db.prepare("select count(*) as n from members where org_id = ?").get(ORG) as { n: number };
      if (row.n > 0) return join(dir, name);
    } catch {
      // the directory's file has no members table
    } finally {
      db.close();
    }
  }
  throw new Error("no local D1 file holds the organisation");
}

interface Footprint {
  /** Bytes of the table and of each of its indexes, by name. */
  objects: Record<string, number>;
  bytes: number;
  rows: number;
}

/** dbstat: bytes of a table's pages and of each index's pages. */
function footprint(file: string, table: string): Footprint {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const names = db
      .prepare(
        "select name from sqlite_master where (type = 'table' and name = ?) or (type = 'index' and tbl_name = ?)",
      )
      .all(table, table) as { name: string }[];
    const objects: Record<string, number> = {};
    for (const { name } of names) {
      const row = db
        .prepare("select coalesce(sum(pgsize), 0) as bytes from dbstat where name = ?")
        .get(name) as {
        bytes: number;
      };
      objects[name] = row.bytes;
    }
    const { n } = db.prepare(`select count(*) as n from "${table}"`).get() as { n: number };
    return { objects, bytes: Object.values(objects).reduce((a, b) => a + b, 0), rows: n };
  } finally {
    db.close();
  }
}

async function token(sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ org: ORG, roles, name: sub })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(new TextEncoder().encode(SECRET));
}

async function measure(base: string, request: LoadRequest) {
  const options = { url: base, connections: CONNECTIONS, requests: [request] };
  await autocannon({ ...options, duration: 1 });
  const r = await autocannon({ ...options, duration: DURATION });
  return {
    per_second: Math.round(r.requests.total / r.duration),
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    requests: r.requests.total,
    non_2xx: r.non2xx + r.errors + r.timeouts,
  };
}

rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
if (migrateAll("--local", ["--persist-to", STATE], true) !== 0)
  throw new Error("applying the D1 migrations failed");
execute(
  "directory",
  `insert into organisations (org_id, database, placed_at) values ('${ORG}', '${DATABASE}', '2026-01-01T00:00:00Z');`,
  "DIRECTORY",
);
execute("members", membersSql());
const file = databaseFile();
/** The organisation's tables that grow with its records: each record and its rows in the changes feed. */
const GROWING = ["activities", "attributions", "sync_changes"] as const;
const measureAll = () =>
  Object.fromEntries(GROWING.map((t) => [t, footprint(file, t)])) as Record<
    (typeof GROWING)[number],
    Footprint
  >;
const empty = measureAll();
execute("activities", selfActivities(ROWS));
const afterSelf = measureAll();
execute("registrations", registrations(ROWS));
const afterRegistrations = measureAll();

const grew = (from: typeof empty, to: typeof empty, table: (typeof GROWING)[number]) =>
  (to[table].bytes - from[table].bytes) / ROWS;
const perActivity = grew(empty, afterSelf, "activities");
const perActivityFeed = grew(empty, afterSelf, "sync_changes");
const perProxyActivity = grew(afterSelf, afterRegistrations, "activities");
const perAttribution = grew(afterSelf, afterRegistrations, "attributions");
const perRegistrationFeed = grew(afterSelf, afterRegistrations, "sync_changes");
const selfBytes = perActivity + perActivityFeed;
const registrationBytes = perProxyActivity + perAttribution + perRegistrationFeed;
const sizes = {
  rows: ROWS,
  self_activity_bytes: Math.round(perActivity),
  self_activity_feed_bytes: Math.round(perActivityFeed),
  attribution_bytes: Math.round(perAttribution),
  registered_activity_bytes: Math.round(perProxyActivity),
  registration_feed_bytes: Math.round(perRegistrationFeed),
  self_entry_bytes: Math.round(selfBytes),
  registration_bytes: Math.round(registrationBytes),
  objects: Object.assign({}, ...GROWING.map((t) => afterRegistrations[t].objects)) as Record<string, number>,
  self_entries_per_10_gb: Math.floor(D1_LIMIT_BYTES / selfBytes),
  registrations_per_10_gb: Math.floor(D1_LIMIT_BYTES / registrationBytes),
};
console.log(`\n${ROWS} rows each, bytes per row with every index (dbstat, ${DATABASE}):`);
console.log(
  `  a self-entered activity    ${sizes.self_activity_bytes} B + its feed rows ${sizes.self_activity_feed_bytes} B`,
);
console.log(`    = ${sizes.self_entry_bytes} B  → ${sizes.self_entries_per_10_gb} per 10 GB`);
console.log(`  an attribution             ${sizes.attribution_bytes} B`);
console.log(`  its registered activity    ${sizes.registered_activity_bytes} B`);
console.log(`  their feed rows            ${sizes.registration_feed_bytes} B`);
console.log(`    = ${sizes.registration_bytes} B  → ${sizes.registrations_per_10_gb} per 10 GB`);
for (const [name, bytes] of Object.entries(sizes.objects)) {
  console.log(`    ${name.padEnd(40)} ${(bytes / 1024 ** 2).toFixed(1)} MiB`);
}

const worker = await startWithWrangler(benchConfig(), STATE, {
  JWT_SECRET: SECRET,
  AUDIT_SIGNING_KEY: BENCH_AUDIT_SIGNING_KEY,
});
const writes: Record<string, Awaited<ReturnType<typeof measure>>> = {};
try {
  const base = (await worker.url).origin;
  const mentor = await token("mentor-0001", ["mentor"]);
  const coordinator = await token("coord-007", ["coordinator"]);
  const headers = (jwt: string) => ({ authorization: `Bearer ${jwt}`, "content-type": "application/json" });
  let n = 0;
  const nextDate = () => `${new Date(Date.UTC(2030, 0, 1) + n++ * 1000).toISOString().slice(0, 19)}Z`;
  writes.health = await measure(base, { method: "GET", path: "/health" });
  writes.activity_log_create = await measure(base, {
    method: "POST",
    path: "/api/v1/activity-logs",
    headers: headers(mentor),
    body: JSON.stringify({
      activity_type: "check_in",
      description: DESCRIPTION,
      occurred_at: "2026-03-24T14:00:00Z",
    }),
  });
  writes.attribution_create = await measure(base, {
    method: "POST",
    path: "/api/v1/activity-attributions",
    headers: headers(coordinator),
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
  });
} finally {
  await worker.dispose();
}
console.log(
  `\nwrites through the Worker, ${CONNECTIONS} connections, ${DURATION} s each (one local database):`,
);
for (const [name, m] of Object.entries(writes)) {
  console.log(
    `  ${name.padEnd(22)} ${String(m.per_second).padStart(6)}/s  p50 ${m.p50_ms} ms  p99 ${m.p99_ms} ms  non-2xx ${m.non_2xx}`,
  );
}
/** A configuration of the timing Worker: DB_1's block of wrangler.toml, on the same local state. */
function databaseOnlyConfig(): string {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const block = toml
    .split(/^\[\[d1_databases\]\]\s*$/m)
    .map((b) => b.split(/^\[/m)[0] ?? "")
    .find((b) => new RegExp(`^binding\\s*=\\s*"${DATABASE}"`, "m").test(b));
  if (block === undefined) throw new Error(`wrangler.toml has no ${DATABASE}`);
  const file = join(ROOT, ".wrangler-capacity.toml");
  writeFileSync(
    file,
    `name = "capacity-bench"\nmain = "scripts/bench/capacity.worker.ts"\ncompatibility_date = "2026-11-01"\n\n[[d1_databases]]${block}`,
  );
  return file;
}

const database: Record<string, { writes: number; lanes: number; ms: number; per_second: number }> = {};
const timing = await startWithWrangler(databaseOnlyConfig(), STATE);
try {
  const base = (await timing.url).origin;
  let batch = 0;
  for (const lanes of [1, 10]) {
    batch += 1;
    const res = await fetch(`${base}/?writes=${DIRECT_WRITES}&lanes=${lanes}&org=${ORG}-direct-${batch}`);
    const timed = (await res.json()) as { writes: number; lanes: number; ms: number };
    database[`lanes_${lanes}`] = { ...timed, per_second: Math.round((timed.writes / timed.ms) * 1000) };
  }
} finally {
  await timing.dispose();
}
console.log(`\none-row write batches straight into ${DATABASE} from a Worker (no HTTP, no API):`);
for (const [name, d] of Object.entries(database)) {
  console.log(`  ${name.padEnd(10)} ${d.writes} writes in ${d.ms} ms  → ${d.per_second}/s`);
}

const out = join(ROOT, "bench", "results", `capacity-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(
  out,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, connections: CONNECTIONS, duration_seconds: DURATION, sizes, writes, database }, null, 2)}\n`,
);
console.log(`\nwritten to ${out}`);
