// `npm run bench:audit [-- --events N --concurrency C]`: how many appends per second one
// AuditLog object takes locally, in batches of 1 and of 50 events, one call in flight and
// several. Runs the API Worker in workerd through wrangler's test harness, next to a bench
// Worker (audit-append.worker.ts) that calls the objects over RPC and times itself.
import { parseArgs } from "node:util";
import type { Rpc } from "@cloudflare/workers-types";
import { createTestHarness } from "wrangler";
import type { AuditAppendBenchRpc } from "./rpc.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "5000" },
    concurrency: { type: "string", default: "16" },
  },
});
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
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
    { configPath: "./wrangler.toml", secrets: { AUDIT_CHAIN_KEY: "bench-chain-key" } },
  ],
});

try {
  await server.listen();
  const bench = await server
    .getWorker<unknown, { default: Rpc.WorkerEntrypointBranded & AuditAppendBenchRpc }>("audit-append-bench")
    .getExport();
  console.log(`${EVENTS} events per run, each on a fresh object after 20 warm-up calls`);
  console.log("batch  in-flight   calls   seconds   calls/s   events/s");
  for (const inFlight of [1, CONCURRENCY]) {
    for (const batchSize of BATCH_SIZES) {
      const r = await bench.run(batchSize, inFlight, EVENTS);
      if (!r.valid || r.entries !== r.next)
        throw new Error(`the chain did not verify after a run: ${JSON.stringify(r)}`);
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
} finally {
  await server.close();
}
