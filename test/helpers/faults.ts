import { env } from "cloudflare:workers";
import { databaseBinding } from "../../src/db/databases";
import type { Env } from "../../src/env";
import { instrumentD1, type RecordedStatement } from "./instrumented-d1";

/**
 * Faults around the write batch of a request with an Idempotency-Key (the batch that checks the
 * key's lease and stores its answer), as a crash or an outage would leave them:
 * - `fail-before`: the binding throws before the batch reaches D1;
 * - `fail-after`: the batch commits, then the binding throws (the response is lost);
 * - `hold-before`: the request stops before the batch until released (a Worker that stalls, or
 *   died, while holding its key), then the batch runs;
 * - `hold-after`: the batch commits and the request stops until released, then fails (a Worker
 *   that died right after the commit, before answering or storing anything else).
 */
export type WriteFault = "fail-before" | "fail-after" | "hold-before" | "hold-after";

export interface FaultyBindings {
  bindings: Env;
  /** Settles when the write batch met its fault: before it ran, or once it committed. */
  reached: Promise<void>;
  /** Lets a held request go on. */
  release: () => void;
}

/** Whether a batch is the write batch of a keyed request: it checks the key's lease. */
const checksLease = (statements: RecordedStatement[]) =>
  statements.some((s) => /insert into "?idempotency_leases"?/i.test(s.sql));

/**
 * The Worker's bindings (the test environment's by default), with `fault` on the answering write
 * batch of `database`, the binding the organisation under test lives on.
 */
export function faultyWrites(fault: WriteFault, database: string, base: Env = env): FaultyBindings {
  let reach = () => {};
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const faulty = instrumentD1(databaseBinding(base as unknown as Record<string, unknown>, database), {
    batch: async (statements, run) => {
      if (!checksLease(statements)) return run();
      switch (fault) {
        case "fail-before":
          reach();
          throw new Error("D1 unreachable (injected before the write batch)");
        case "fail-after":
          await run();
          reach();
          throw new Error("connection lost (injected after the write batch committed)");
        case "hold-before":
          reach();
          await released;
          return run();
        case "hold-after":
          await run();
          reach();
          await released;
          throw new Error("the Worker died (injected after the write batch committed)");
      }
    },
  });
  return { bindings: { ...base, [database]: faulty }, reached, release };
}

/** An RPC method of the audit object as a test stands between it and the Worker. */
type Call = (...args: unknown[]) => Promise<unknown>;

/** The Worker's bindings with the audit object's `method` replaced by `around(the real call)`. */
function auditCallWrapped(method: string, around: (call: Call) => Call, base: Env): Env {
  const namespace = base.AUDIT_LOG;
  const wrapped = new Proxy(namespace, {
    get(obj, prop, receiver) {
      if (prop !== "get") {
        const value: unknown = Reflect.get(obj, prop, receiver);
        return typeof value === "function" ? value.bind(obj) : value;
      }
      return (...args: Parameters<Env["AUDIT_LOG"]["get"]>) => {
        const stub = obj.get(...args);
        return new Proxy(stub, {
          get(s, name) {
            const value: unknown = Reflect.get(s, name);
            if (name !== method || typeof value !== "function") return value;
            // Called directly: `.apply` on an RPC method would itself be sent as a method name.
            return around(value as Call);
          },
        });
      };
    },
  });
  return { ...base, AUDIT_LOG: wrapped };
}

/**
 * The Worker's bindings with an audit object whose answer to `method` is lost after the object
 * ran it: the call's transaction commits, then the Worker sees it fail.
 */
export function auditAnswerLost(method: string, base: Env = env): Env {
  return auditCallWrapped(
    method,
    (call) =>
      async (...args) => {
        await call(...args);
        throw new Error(`the answer of ${method} was lost (injected after the object committed)`);
      },
    base,
  );
}

/**
 * The Worker's bindings with `meanwhile` run once, after the audit object first answered `method`
 * and before the Worker sees that answer: another request's write landing between two calls of
 * this one.
 */
export function auditWriteAfter(method: string, meanwhile: () => Promise<void>, base: Env = env): Env {
  let landed = false;
  return auditCallWrapped(
    method,
    (call) =>
      async (...args) => {
        const answer = await call(...args);
        if (!landed) {
          landed = true;
          await meanwhile();
        }
        return answer;
      },
    base,
  );
}
