// The measuring end of `npm run bench:audit`: a Worker bound to the API Worker's AuditLog
// objects that appends from inside workerd, as the API does. Its clock only advances across
// I/O, and every append awaits the object, so the elapsed time of a run is wall time.
import { WorkerEntrypoint } from "cloudflare:workers";
import type { AuditLog } from "../../src/audit/audit-log.do.ts";
import type { AppendOutcome, AuditEventInput } from "../../src/audit/types.ts";
import type { AuditAppendBenchRpc, AuditAppendRun, CallFigures, ProofRun, RehashRun } from "./rpc.ts";

interface Env {
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

const WARM_UP_CALLS = 20;
/** How long the re-hash run waits for the alarm to finish before it gives up. */
const REHASH_LIMIT_MS = 600_000;
/** Idle time after a seed, before anything is timed. */
const SETTLE_MS = 3000;
/** The pause between two appends of the re-hash run. */
const APPEND_PAUSE_MS = 1;
/** The largest append the object takes in one call. */
const SEED_BATCH = 500;

/** Appends `entries` events to a fresh object in calls of SEED_BATCH; each call signs a checkpoint. */
async function seeded(
  env: Env,
  entries: number,
): Promise<{ stub: DurableObjectStub<AuditLog>; seconds: number }> {
  const name = `bench-log-${entries}-${crypto.randomUUID()}`;
  const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(name));
  const started = performance.now();
  for (let next = 0; next < entries; ) {
    const size = Math.min(SEED_BATCH, entries - next);
    const outcome = (await stub.append(
      Array.from({ length: size }, () => event(name, next++)),
    )) as AppendOutcome;
    if (outcome.status !== "appended") throw new Error(`the seed append was refused: ${outcome.detail}`);
  }
  const seconds = (performance.now() - started) / 1000;
  // Right after a large seed, local storage is still settling: the next call waits for it (some
  // 0.3–0.7 s after 20,000 entries, whatever the call). A pause first keeps it out of the timings.
  await scheduler.wait(SETTLE_MS);
  await stub.verify();
  return { stub, seconds };
}

/** Times `calls` calls of `call`; each answers the tree nodes it read. */
async function timed(calls: number, call: (i: number) => Promise<number>): Promise<CallFigures> {
  const times: number[] = [];
  let maxNodes = 0;
  for (let i = 0; i < calls; i += 1) {
    const started = performance.now();
    maxNodes = Math.max(maxNodes, await call(i));
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((sum, t) => sum + t, 0) / times.length;
  return {
    calls,
    mean_ms: mean,
    p99_ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? 0,
    max_nodes_read: maxNodes,
  };
}

/** A fixed pseudo-random sequence, so that runs ask for the same entries. */
function sampler(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state % below;
  };
}

function event(run: string, n: number): AuditEventInput {
  return {
    event_id: `${run}-${n}`,
    action: "proxy_created",
    actor_id: "coord-119",
    actor_name: "Jordan Lee",
    coordinator_id: "coord-119",
    mentor_id: `mentor-${n % 500}`,
    mentor_name: "Sam Rivera",
    activity_id: `pact-20260324-${n}`,
    attribution_id: `attr-20260324-${n}`,
    activity_type_id: "one-on-one",
    activity_date: "2026-03-24T09:00:00Z",
    ip_address: "192.168.1.42",
    user_agent: "EircodexApp/2.1 Android",
  };
}

export default class AuditAppendBench extends WorkerEntrypoint<Env> implements AuditAppendBenchRpc {
  override fetch(): Response {
    return new Response("Call run() over RPC");
  }

  /** Appends `events` events in batches of `batchSize`, `inFlight` calls at a time, to a fresh object. */
  async run(batchSize: number, inFlight: number, events: number): Promise<AuditAppendRun> {
    const name = `bench-${batchSize}-${inFlight}-${crypto.randomUUID()}`;
    const stub = this.env.AUDIT_LOG.get(this.env.AUDIT_LOG.idFromName(name));
    let next = 0;
    const batch = () => Array.from({ length: batchSize }, () => event(name, next++));
    for (let i = 0; i < WARM_UP_CALLS; i += 1) await stub.append(batch());

    const calls = Math.ceil(events / batchSize);
    let issued = 0;
    const caller = async () => {
      while (issued < calls) {
        issued += 1;
        await stub.append(batch());
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: inFlight }, caller));
    const milliseconds = performance.now() - started;

    const { valid, tree_size } = await stub.verify();
    return { calls, events: calls * batchSize, milliseconds, valid, entries: tree_size, next };
  }

  async proofs(entries: number, samples: number): Promise<ProofRun> {
    const { stub, seconds } = await seeded(this.env, entries);
    const pick = sampler(entries);
    const inclusion = await timed(samples, async () => {
      const proof = await stub.proof(1 + pick(entries), null);
      if (proof.status !== "ok") throw new Error(`proof: ${proof.status}`);
      return proof.nodes_read;
    });
    // Every seed call signed a checkpoint: sizes SEED_BATCH, 2·SEED_BATCH, … and the last.
    const signed = Array.from({ length: Math.ceil(entries / SEED_BATCH) }, (_, i) =>
      Math.min(entries, (i + 1) * SEED_BATCH),
    );
    const consistency = await timed(samples, async () => {
      const a = signed[pick(signed.length)] ?? 0;
      const b = signed[pick(signed.length)] ?? 0;
      const proof = await stub.consistency(Math.min(a, b), Math.max(a, b));
      if (proof.status !== "ok") throw new Error(`consistency: ${proof.status}`);
      return proof.nodes_read;
    });
    const { max_nodes_read: _, ...verify } = await timed(samples, async () => {
      const report = await stub.verify();
      if (!report.checkpoint_valid) throw new Error(`verify: ${report.checkpoint_problem}`);
      return 0;
    });
    return { entries, seed_seconds: seconds, inclusion, consistency, verify };
  }

  async rehash(entries: number): Promise<RehashRun> {
    const { stub } = await seeded(this.env, entries);
    const name = `rehash-${crypto.randomUUID()}`;
    const started = performance.now();
    const status = await stub.startVerify();
    if (status.status !== "running") throw new Error(`the re-hash did not start: ${status.status}`);
    let appends = 0;
    const gaps: number[] = [];
    let last = performance.now();
    for (;;) {
      // A client over a network leaves the object idle between calls; calls back to back from
      // the same local workerd never let its timer run, and the alarm would never start.
      await scheduler.wait(APPEND_PAUSE_MS);
      const outcome = (await stub.append([event(name, appends)])) as AppendOutcome;
      if (outcome.status !== "appended") throw new Error(`an append was refused: ${outcome.detail}`);
      const now = performance.now();
      gaps.push(now - last);
      last = now;
      appends += 1;
      // Asking every 20 appends keeps the loop mostly appends.
      if (appends % 20 === 0) {
        const { full_audit } = await stub.verify();
        if (full_audit.status === "done" || performance.now() - started > REHASH_LIMIT_MS) {
          return {
            entries,
            rehash_seconds: (performance.now() - started) / 1000,
            appends,
            longest_gap_ms: Math.max(...gaps),
            p99_gap_ms: [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length * 0.99)] ?? 0,
            mean_gap_ms: (performance.now() - started) / appends,
            found:
              full_audit.status === "done" ? full_audit.reason : `unfinished: ${JSON.stringify(full_audit)}`,
          };
        }
        last = performance.now();
      }
    }
  }
}
