// `npm run bench:export [-- --entries N --format ndjson|csv --out FILE]`: how fast one
// organisation's audit log streams out of GET /api/v1/proxy-audit-logs/export. Runs the API
// Worker in workerd through wrangler's test harness, seeds N entries (default 100,000) through
// the object's append in batches of 500, reads the export as a client would, and samples the
// resident memory of the workerd it started while the export streams. With --out the file is kept, for
// `npm run verify-export -- FILE --key bench-chain-key`.
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { parseArgs } from "node:util";
import type { Rpc } from "@cloudflare/workers-types";
import { SignJWT } from "jose";
import { createTestHarness } from "wrangler";
import { ROOT } from "../dev/config.ts";
import { d1Bindings } from "../dev/d1.ts";
import { BENCH_AUDIT_SIGNING_KEY } from "./keys.ts";
import type { ExportBenchSeederRpc } from "./rpc.ts";

const { values } = parseArgs({
  options: {
    entries: { type: "string", default: "100000" },
    format: { type: "string", default: "ndjson" },
    out: { type: "string" },
  },
});
const ENTRIES = Number(values.entries);
const ORG = "org-export-bench";
const JWT_SECRET = "bench-jwt-secret-with-enough-entropy";
const MEMORY_SAMPLE_MS = 50;

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

/**
 * Resident memory of the workerd processes this run started, in MiB (Linux `ps`): the
 * descendants of this process, so other workerd on the machine do not count.
 */
function workerdRssMiB(): number {
  const out = execFileSync("ps", ["-e", "-o", "pid=,ppid=,rss=,comm="], { encoding: "utf8" });
  const processes = out
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, rss, comm]) => ({ pid: Number(pid), ppid: Number(ppid), rss: Number(rss), comm }));
  const ours = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) {
      if (!ours.has(p.pid) && ours.has(p.ppid)) {
        ours.add(p.pid);
        grew = true;
      }
    }
  }
  const kib = processes
    .filter((p) => ours.has(p.pid) && p.comm === "workerd")
    .reduce((sum, p) => sum + p.rss, 0);
  return kib / 1024;
}

const server = createTestHarness({
  root: ROOT,
  workers: [
    { configPath: "./wrangler.toml", secrets: { AUDIT_SIGNING_KEY: BENCH_AUDIT_SIGNING_KEY, JWT_SECRET } },
    {
      config: {
        name: "export-bench-seeder",
        main: "./scripts/bench/export.worker.ts",
        compatibility_date: "2026-11-01",
        durable_objects: {
          bindings: [{ name: "AUDIT_LOG", class_name: "AuditLog", script_name: "mentor-activity-api" }],
        },
      },
    },
  ],
});

try {
  await server.listen();
  for (const binding of d1Bindings()) await server.getWorker().applyD1Migrations(binding);
  const seeder = await server
    .getWorker<unknown, { default: Rpc.WorkerEntrypointBranded & ExportBenchSeederRpc }>(
      "export-bench-seeder",
    )
    .getExport();
  const seedStarted = performance.now();
  const seeded = await seeder.seed(ORG, ENTRIES);
  console.log(`seeded ${seeded} entries in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const token = await new SignJWT({ org: ORG, roles: ["compliance"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("compliance-001")
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(JWT_SECRET));

  const baseline = workerdRssMiB();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, workerdRssMiB());
  }, MEMORY_SAMPLE_MS);
  const out = values.out ? createWriteStream(values.out) : null;
  const started = performance.now();
  const response = await server.fetch(
    `http://localhost/api/v1/proxy-audit-logs/export?format=${values.format}`,
    { headers: { Authorization: `Bearer ${token}` } },
  );
  if (!response.ok) throw new Error(`the export answered ${response.status}: ${await response.text()}`);
  if (response.body === null) throw new Error("the export answered without a body");
  const body: ReadableStream<Uint8Array> = response.body;
  let bytes = 0;
  let lines = 0;
  for await (const chunk of body) {
    bytes += chunk.byteLength;
    for (const byte of chunk) if (byte === 10) lines += 1;
    if (out && !out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, workerdRssMiB());
  if (out) await new Promise<void>((resolve) => out.end(resolve));

  console.log(
    `exported ${lines} lines (${(bytes / 2 ** 20).toFixed(1)} MiB of ${values.format}) in ${seconds.toFixed(2)} s`,
  );
  console.log(`${Math.round(seeded / seconds)} rows/s, ${(bytes / 2 ** 20 / seconds).toFixed(1)} MiB/s`);
  console.log(
    `workerd resident memory: ${baseline.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak while streaming`,
  );
} finally {
  await server.close();
}
