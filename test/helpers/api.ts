import { exports } from "cloudflare:workers";
import { signToken, type TokenClaims } from "./auth";

const ORIGIN = "https://api.test";

export interface CallOptions {
  token?: string | null;
  as?: TokenClaims;
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

/** Sends a request through the Worker's own fetch handler. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  const token = options.as ? await signToken(options.as) : options.token;
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let body: BodyInit | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body }));
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

let counter = 0;
/** A fresh organisation ID, so each test owns its rows. */
export function newOrg(label = "org"): string {
  counter += 1;
  return `${label}-${crypto.randomUUID().slice(0, 8)}-${counter}`;
}
