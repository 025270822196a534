/**
 * A witness of transparency logs (C2SP tlog-witness) as a Worker: it cosigns a log's checkpoint
 * only when the log's own key signed it and it extends, by a verified consistency proof, the
 * checkpoint the witness cosigned before for that log. The stateless checks (the body, the log's
 * signature) run here; the checks against what it holds, and the signing, run in the log's
 * Durable Object (witnessed-log.do.ts).
 *
 * - `POST /add-checkpoint`: 200 with the cosignature line; 400 malformed (or old size above the
 *   checkpoint's); 403 not signed by a key trusted for the origin; 404 unknown origin; 409 with
 *   the held size (`text/x.tlog.size`) when `old` is not it; 413 too large; 422 bad proof, or a
 *   different root for a size it cosigned; 503 while its configuration is incomplete.
 * - `GET /<hex SHA-256 of an origin>/checkpoint`: the latest checkpoint it cosigned for that log.
 * - `GET /`: its name, verifier key and the logs it knows, as JSON.
 */
import { createHash } from "node:crypto";
import { cosignerVerifierKey } from "../../src/audit/cosignature.ts";
import { toBase64 } from "../../src/audit/merkle.ts";
import { parseCheckpoint, verifyCheckpoint } from "../../src/audit/signed-note.ts";
import {
  ADD_CHECKPOINT_PATH,
  encodeSizeBody,
  parseAddCheckpoint,
  parseTreeSize,
  TLOG_SIZE_CONTENT_TYPE,
} from "../../src/audit/tlog-witness.ts";
import { logLine } from "../../src/lib/log.ts";
import { keysFor, witnessConfig } from "./config.ts";
import type { WitnessEnv } from "./env.ts";

export { WitnessedLog } from "./witnessed-log.do.ts";

/** Far above any real request: 63 proof lines and a note with 16 post-quantum signatures fit. */
const MAX_BODY_BYTES = 128 * 1024;

const TEXT = "text/plain; charset=utf-8";

function answer(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "Content-Type": TEXT, "Cache-Control": "no-store", ...headers },
  });
}

const refuse = (status: number, detail: string, headers: Record<string, string> = {}) =>
  answer(status, `${detail}\n`, headers);

/** The SHA-256 of an origin, hex: the name of its object and its path for monitors. */
export const originHash = (origin: string): string =>
  createHash("sha256").update(origin, "utf8").digest("hex");

/** The body, or null when it is larger than `limit` bytes (read no further than that). */
async function readBody(request: Request, limit: number): Promise<Uint8Array | null> {
  if (Number(request.headers.get("Content-Length") ?? 0) > limit) return null;
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** Signed notes are UTF-8 with no control character but the newline (c2sp.org/signed-note). */
function noteText(bytes: Uint8Array): string | null {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return null;
  }
  return text;
}

async function addCheckpoint(request: Request, env: WitnessEnv): Promise<Response> {
  const config = witnessConfig(env);
  if (config.cosigner === null) {
    return refuse(503, `The witness is not configured: ${config.problems.join("; ")}`);
  }
  const bytes = await readBody(request, MAX_BODY_BYTES);
  if (bytes === null) return refuse(413, `The body is larger than ${MAX_BODY_BYTES} bytes`);
  const body = noteText(bytes);
  if (body === null) return refuse(400, "The body must be UTF-8 text with no control character but newlines");
  const parsed = parseAddCheckpoint(body);
  if ("error" in parsed) return refuse(400, parsed.error);
  const note = parseCheckpoint(parsed.checkpoint);
  const sizeLine = parsed.checkpoint.split("\n", 2)[1] ?? "";
  if (note === null || parseTreeSize(sizeLine) === null) {
    return refuse(400, "The checkpoint is not a signed note of <origin>, <size>, <base64 root hash>");
  }
  const keys = keysFor(config, note.origin);
  if (keys === null) return refuse(404, `The witness does not know the log ${note.origin}`);
  if (verifyCheckpoint(note, keys) === null) {
    return refuse(403, `The checkpoint carries no valid signature of a key trusted for ${note.origin}`);
  }
  if (parsed.oldSize > note.treeSize) {
    return refuse(400, `The old size ${parsed.oldSize} is above the checkpoint's size ${note.treeSize}`);
  }
  const logSignatures = note.signatures
    .filter((sig) => keys.some((key) => key.name === sig.name && key.keyId === sig.keyId))
    .map(
      (sig) =>
        `\u2014 ${sig.name} ${toBase64(Uint8Array.from([...Buffer.from(sig.keyId, "hex"), ...sig.signature]))}\n`,
    )
    .join("");
  const log = env.WITNESSED_LOG.get(env.WITNESSED_LOG.idFromName(originHash(note.origin)));
  const outcome = await log.add({
    origin: note.origin,
    oldSize: parsed.oldSize,
    proof: parsed.proof,
    treeSize: note.treeSize,
    root: note.root,
    text: note.text,
    logSignatures,
  });
  switch (outcome.status) {
    case 200:
      return answer(200, outcome.cosignature);
    case 409:
      return answer(409, encodeSizeBody(outcome.size), { "Content-Type": TLOG_SIZE_CONTENT_TYPE });
    case 422:
      // The log's key signed a tree the witness will not cosign: kept in the logs, as it may be
      // the evidence of a rewritten history.
      logLine("error", "checkpoint refused", {
        origin: note.origin,
        old_size: parsed.oldSize,
        tree_size: note.treeSize,
        detail: outcome.detail,
        checkpoint: parsed.checkpoint,
      });
      return refuse(422, outcome.detail);
    default:
      return refuse(outcome.status, outcome.detail);
  }
}

async function latestCheckpoint(env: WitnessEnv, hash: string): Promise<Response> {
  const note = await env.WITNESSED_LOG.get(env.WITNESSED_LOG.idFromName(hash)).latest();
  return note === null
    ? refuse(404, "The witness has cosigned no checkpoint of that log")
    : answer(200, note);
}

function about(env: WitnessEnv): Response {
  const config = witnessConfig(env);
  const body = {
    name: config.cosigner?.name ?? null,
    verifier_key: config.cosigner ? cosignerVerifierKey(config.cosigner) : null,
    logs: config.logs.map((log) => ({
      [log.prefix ? "origin_prefix" : "origin"]: log.origin,
      verifier_key: log.verifierKey,
    })),
    problems: config.problems,
  };
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    headers: { "Content-Type": "application/json", "Cache-Control": "no-store" },
  });
}

export default {
  async fetch(request, env): Promise<Response> {
    const { pathname } = new URL(request.url);
    const read = request.method === "GET" || request.method === "HEAD";
    if (pathname === ADD_CHECKPOINT_PATH) {
      return request.method === "POST"
        ? addCheckpoint(request, env)
        : refuse(405, "add-checkpoint takes a POST", { Allow: "POST" });
    }
    const monitored = /^\/([0-9a-f]{64})\/checkpoint$/.exec(pathname);
    if (monitored?.[1] !== undefined || pathname === "/") {
      if (!read) return refuse(405, "Only GET here", { Allow: "GET, HEAD" });
      return monitored?.[1] !== undefined ? latestCheckpoint(env, monitored[1]) : about(env);
    }
    return refuse(404, "Not found");
  },
} satisfies ExportedHandler<WitnessEnv>;
