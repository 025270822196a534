import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createMentorActivityClient, type MentorActivityClient } from "../../clients/typescript/index";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { signToken, type TokenClaims } from "./auth";
import { TEST_ORIGIN } from "./client";
import { shardBindings } from "./databases";
import { instrumentD1 } from "./instrumented-d1";

/** Network round trips one request made, as production would pay for them. */
export interface RoundTrips {
  /** D1 calls to the organisation's database: a statement's first/all/run/raw, a batch, or an exec. */
  d1: number;
  /** D1 calls to the directory (which database holds the organisation). */
  directory: number;
  /** RPC calls on audit-object stubs. */
  object: number;
  /** D1 sessions opened (free in themselves; every D1 call of the request should go through one). */
  sessions: number;
}

export interface CountedCall {
  /** The method the request was sent with. */
  method: string;
  /** The URL it was sent to. */
  url: string;
  response: Response;
  /** Calls the response waited for: settled by the time the Worker answered. */
  inline: RoundTrips;
  /** What each D1 session of the request was opened with: a bookmark or a constraint. */
  sessionStarts: (string | undefined)[];
  /**
   * Calls still in flight when the Worker answered, left to ctx.waitUntil (the outbox
   * clear after an audit append): they cost no latency, only work.
   */
  deferred: RoundTrips;
}

type Kind = "d1" | "directory" | "object";

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  (typeof value === "object" || typeof value === "function") &&
  value !== null &&
  typeof (value as { then?: unknown }).then === "function";

/** Every call made so far and whether it has settled. */
class Tally {
  readonly calls: { kind: Kind; settled: boolean }[] = [];
  sessions = 0;
  /** What each session was opened with: a bookmark or a constraint. */
  readonly sessionStarts: (string | undefined)[] = [];

  track<R>(kind: Kind, run: () => R): R {
    const call = { kind, settled: false };
    this.calls.push(call);
    const result = run();
    const mark = () => {
      call.settled = true;
    };
    // Attached before the caller can await it, so an awaited call is marked settled before its caller resumes.
    if (isThenable(result)) Promise.resolve(result).then(mark, mark);
    else mark();
    return result;
  }

  snapshot(settled: boolean): RoundTrips {
    const of = (kind: Kind) => this.calls.filter((c) => c.kind === kind && c.settled === settled).length;
    return {
      d1: of("d1"),
      directory: of("directory"),
      object: of("object"),
      sessions: settled ? this.sessions : 0,
    };
  }
}

/** Wraps the audit namespace so every RPC call on a stub it hands out is counted. */
function countingNamespace(namespace: Env["AUDIT_LOG"], tally: Tally): Env["AUDIT_LOG"] {
  return new Proxy(namespace, {
    get(obj, prop, receiver) {
      if (prop === "get") {
        return (...args: Parameters<Env["AUDIT_LOG"]["get"]>) => {
          const stub = obj.get(...args);
          return new Proxy(stub, {
            get(s, method) {
              const value: unknown = Reflect.get(s, method);
              if (typeof method !== "string" || method === "then" || typeof value !== "function")
                return value;
              // Called directly: `.apply` on an RPC method would itself be sent as a method name.
              return (...callArgs: unknown[]) =>
                tally.track("object", () => (value as (...a: unknown[]) => unknown)(...callArgs));
            },
          });
        };
      }
      const value: unknown = Reflect.get(obj, prop, receiver);
      return typeof value === "function" ? value.bind(obj) : value;
    },
  });
}

/**
 * Sends one request through the Worker's fetch with counting bindings and reports the
 * round trips it made before answering, and those it left to ctx.waitUntil.
 */
async function countRequest(request: Request): Promise<CountedCall> {
  const tally = new Tally();
  const shards = Object.fromEntries(
    shardBindings().map(({ name, d1 }) => [
      name,
      instrumentD1(d1, {
        call: (run) => tally.track("d1", run),
        session: (start) => {
          tally.sessions += 1;
          tally.sessionStarts.push(start);
        },
      }),
    ]),
  );
  const bindings: Env = {
    ...env,
    ...shards,
    DIRECTORY: instrumentD1(env.DIRECTORY, { call: (run) => tally.track("directory", run) }),
    AUDIT_LOG: countingNamespace(env.AUDIT_LOG, tally),
  };
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, bindings, ctx);
  const inline = tally.snapshot(true);
  const deferred = tally.snapshot(false);
  await waitOnExecutionContext(ctx);
  return {
    method: request.method,
    url: request.url,
    response,
    inline,
    deferred,
    sessionStarts: tally.sessionStarts,
  };
}

/**
 * One call of the typed client signed in as `claims`, counted: what `send` answered, and the
 * round trips of the one request it made (with `options.headers` besides its own).
 */
export async function countCall<T>(
  claims: TokenClaims,
  send: (client: MentorActivityClient) => Promise<T>,
  options: { headers?: Record<string, string> } = {},
): Promise<CountedCall & { sent: T }> {
  const counted: CountedCall[] = [];
  const client = createMentorActivityClient(TEST_ORIGIN, () => signToken(claims), {
    fetch: async (request) => {
      for (const [name, value] of Object.entries(options.headers ?? {})) request.headers.set(name, value);
      const call = await countRequest(request);
      counted.push(call);
      return call.response;
    },
  });
  const sent = await send(client);
  const [only, ...more] = counted;
  if (only === undefined || more.length > 0) throw new Error(`Counted ${counted.length} requests, not one`);
  return { ...only, sent };
}

export interface CountOptions {
  as?: TokenClaims;
  body?: unknown;
  headers?: Record<string, string>;
}

/** `countCall` for a request written out by hand (a header or body outside the contract). */
export async function countRoundTrips(
  method: string,
  path: string,
  options: CountOptions = {},
): Promise<CountedCall> {
  const headers = new Headers(options.headers);
  if (options.as) headers.set("Authorization", `Bearer ${await signToken(options.as)}`);
  let body: string | undefined;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers.set("Content-Type", "application/json");
  }
  return countRequest(new Request(`${TEST_ORIGIN}${path}`, { method, headers, body }));
}
