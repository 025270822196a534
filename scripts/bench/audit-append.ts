// `npm run bench:audit [-- --events N --concurrency C --sizes 1k,100k,1m --samples S --rehash N]`:
// one AuditLog object, locally: appends per second in batches of 1 and of 50 events (each call
// checks the last checkpoint against the stored tree and signs a new one), inclusion and
// consistency proof latency and the tree nodes they read at each size, GET /verify's latency,
// and the full re-hash of POST /verify with appends running alongside it (the longest wait an
// append saw). Runs the API Worker in workerd through wrangler's test harness, next to a bench
// Worker (audit-append.worker.ts) that calls the objects over RPC and times itself.
import { parseArgs } from "node:util";
import type { Rpc } from "@cloudflare/workers-types";
import { createTestHarness } from "wrangler";
import { BENCH_AUDIT_SIGNING_KEY } from "./keys.ts";
import type { AuditAppendBenchRpc } from "./rpc.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "16" },
    sizes: { type: "string", default: "1k,100k" },
    samples: { type: "string", default: "200" },
    rehash: { type: "string", default: "20000" },
    "skip-appends": { type: "boolean", default: false },
  },
});
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const SAMPLES = Number(values.samples);
const REHASH = Number(values.rehash);

/** `1k`, `100k`, `1m` or a plain number. */
function count(text: string): number {
  const match = /^(\d+)([km]?)$/i.exec(text.trim());
  if (!match) throw new Error(`not a size: ${text}`);
  const unit = { "": 1, k: 1_000, m: 1_000_000 }[(match[2] ?? "").toLowerCase()] ?? 1;
  return Number(match[1]) * unit;
}
const SIZES = (values.sizes ?? "").split(",").filter(Boolean).map(count);
const ms = (value: number) => value.toFixed(2).padStart(8);
const BATCH_SIZES = [1, 50];

const server = createTestHarness({
  workers: [
    {
      config: {
        name: "audit-append-bench",
        main: "./scripts/bench/audit-append.worker.ts",
        compatibility_date: "2026-11-01",
        compatibility_flags: ["nodejs_compat"],
        durable_objects: {
          bindings: [{ name: "AUDIT_LOG", class_name: "AuditLog", script_name: "mentor-activity-api" }],
        },
      },
    },
    { configPath: "./wrangler.toml", secrets: { AUDIT_SIGNING_KEY: BENCH_AUDIT_SIGNING_KEY } },
  ],
});

try {
  await server.listen();
  const bench = await server
    .getWorker<unknown, { default: Rpc.WorkerEntrypointBranded & AuditAppendBenchRpc }>("audit-append-bench")
    .getExport();
  if (!values["skip-appends"]) {
    console.log(`${EVENTS} events per run, each on a fresh object after 20 warm-up calls`);
    console.log("batch  in-flight   calls   seconds   calls/s   events/s");
    for (const inFlight of [1, CONCURRENCY]) {
      for (const batchSize of BATCH_SIZES) {
        const r = await bench.run(batchSize, inFlight, EVENTS);
        if (!r.valid || r.entries !== r.next)
          throw new Error(`the log did not verify after a run: ${JSON.stringify(r)}`);
        const seconds = r.milliseconds / 1000;
        console.log(
          [
            String(batchSize).padStart(5),
            String(inFlight).padStart(10),
            String(r.calls).padStart(7),
            seconds.toFixed(2).padStart(9),
            (r.calls / seconds).toFixed(0).padStart(9),
            (r.events / seconds).toFixed(0).padStart(10),
          ].join(" "),
        );
      }
    }
  }

  if (SIZES.length > 0) {
    console.log(
      `\nProofs and GET /verify, ${SAMPLES} calls each, one at a time (ms; nodes = most tree rows one call read)`,
    );
    console.log(
      "  entries  seed s  incl mean  incl p99  nodes  cons mean  cons p99  nodes  verify mean  verify p99",
    );
    for (const size of SIZES) {
      const r = await bench.proofs(size, SAMPLES);
      console.log(
        [
          String(r.entries).padStart(9),
          r.seed_seconds.toFixed(0).padStart(7),
          ms(r.inclusion.mean_ms).padStart(10),
          ms(r.inclusion.p99_ms).padStart(9),
          String(r.inclusion.max_nodes_read).padStart(6),
          ms(r.consistency.mean_ms).padStart(10),
          ms(r.consistency.p99_ms).padStart(9),
          String(r.consistency.max_nodes_read).padStart(6),
          ms(r.verify.mean_ms).padStart(12),
          ms(r.verify.p99_ms).padStart(11),
        ].join(" "),
      );
    }
  }

  if (REHASH > 0) {
    const r = await bench.rehash(REHASH);
    console.log(
      `\nPOST /verify on ${r.entries} entries: the re-hash took ${r.rehash_seconds.toFixed(2)} s with ${r.appends} ` +
        `appends answered meanwhile (one at a time); wait between two appends: longest ${r.longest_gap_ms.toFixed(0)} ms, ` +
        `p99 ${r.p99_gap_ms.toFixed(0)} ms, mean ${r.mean_gap_ms.toFixed(1)} ms; found: ${r.found ?? "nothing wrong"}`,
    );
  }
} finally {
  await server.close();
}
