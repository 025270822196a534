// The seeding end of `npm run bench:export`: a Worker bound to the API Worker's AuditLog
// objects that appends entries over RPC in batches of 500, as many as the run asks for.
import { WorkerEntrypoint } from "cloudflare:workers";
import type { AuditLog } from "../../src/audit/audit-log.do.ts";
import type { AuditEventInput } from "../../src/audit/types.ts";
import type { ExportBenchSeederRpc } from "./rpc.ts";

interface Env {
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

const BATCH = 500;

function event(n: number): AuditEventInput {
  return {
    event_id: `export-bench-${n}`,
    action: "proxy_created",
    actor_id: "coord-119",
    actor_name: "Jordan Lee",
    coordinator_id: "coord-119",
    mentor_id: `mentor-${n % 500}`,
    mentor_name: "Sam Rivera",
    activity_id: `pact-20260324-${n}`,
    attribution_id: `attr-20260324-${n}`,
    activity_type_id: "one-on-one",
    activity_date: "2026-03-24T14:00:00Z",
    ip_address: "192.168.1.42",
    user_agent: "EircodexApp/2.1 Android",
  };
}

export default class ExportBenchSeeder extends WorkerEntrypoint<Env> implements ExportBenchSeederRpc {
  override fetch(): Response {
    return new Response("Call seed() over RPC");
  }

  async seed(org: string, entries: number): Promise<number> {
    const stub = this.env.AUDIT_LOG.get(this.env.AUDIT_LOG.idFromName(org));
    for (let n = 0; n < entries; n += BATCH) {
      await stub.append(Array.from({ length: Math.min(BATCH, entries - n) }, (_, i) => event(n + i)));
    }
    return (await stub.verify()).tree_size;
  }
}
