// The measuring end of `npm run bench:audit`: a Worker bound to the API Worker's AuditLog
// objects that appends from inside workerd, as the API does. Its clock only advances across
// I/O, and every append awaits the object, so the elapsed time of a run is wall time.
import { WorkerEntrypoint } from "cloudflare:workers";
import type { AuditLog } from "../../src/audit/audit-log.do.ts";
import type { AuditEventInput } from "../../src/audit/types.ts";
import type { AuditAppendBenchRpc, AuditAppendRun } from "./rpc.ts";

interface Env {
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

const WARM_UP_CALLS = 20;

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

    const { valid, entries_checked } = await stub.verify();
    return { calls, events: calls * batchSize, milliseconds, valid, entries: entries_checked, next };
  }
}
