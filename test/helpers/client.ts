import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { createMentorActivityClient, type MentorActivityClient } from "../../clients/typescript/index";
import type { Env } from "../../src/env";
import worker from "../../src/index";
import { signToken, type TokenClaims } from "./auth";

/** The origin test requests are sent to. */
export const TEST_ORIGIN = "https://api.test";

/**
 * A fetch into the Worker. With bindings of its own (a double, an instrumented database) it
 * calls the Worker's handler with them and waits for the work it defers; without, it goes
 * through the Worker's own entrypoint.
 */
export function workerFetch(bindings?: Env): (request: Request) => Promise<Response> {
  if (bindings === undefined) return (request) => exports.default.fetch(request);
  return async (request) => {
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, bindings, ctx);
    await waitOnExecutionContext(ctx);
    return response;
  };
}

export interface ApiOptions {
  /** The Worker's bindings for this client's calls; the test environment's by default. */
  bindings?: Env;
  /** Headers every call of this client sends (Idempotency-Key, If-Match…). */
  headers?: Record<string, string>;
}

/**
 * The product's typed client (clients/typescript), signed in as `claims` and talking to the
 * Worker in this test's workerd. Paths, parameters, bodies and answers are typed by the served
 * OpenAPI document, so a contract change breaks the tests that depend on it at compile time.
 */
export function api(claims: TokenClaims, options: ApiOptions = {}): MentorActivityClient {
  const send = workerFetch(options.bindings);
  const extra = options.headers ?? {};
  return createMentorActivityClient(TEST_ORIGIN, () => signToken(claims), {
    fetch: (request) => {
      for (const [name, value] of Object.entries(extra)) request.headers.set(name, value);
      return send(request);
    },
  });
}
