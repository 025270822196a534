/**
 * The witness's configuration, parsed once per set of bindings and failing closed: a witness with
 * any problem in it cosigns nothing.
 *
 * - `WITNESS_NAME`: the witness's key name, a schema-less URL (`witness.example.org/mentor`).
 * - `WITNESS_SIGNING_KEY`: base64 PKCS#8 Ed25519 private key (a secret).
 * - `WITNESS_LOGS`: JSON list of the logs it witnesses, each `{"origin": …, "verifier_key": …}`
 *   for one log or `{"origin_prefix": …, "verifier_key": …}` for every log whose origin starts
 *   with the prefix: every organisation of a Mentor Activity API deployment is its own log,
 *   `<AUDIT_LOG_ORIGIN>/<org>`, signed by the one key, so `"origin_prefix": "<AUDIT_LOG_ORIGIN>/"`
 *   covers the organisations to come. Several entries may match an origin (a key rotation lists
 *   the old key and the new); a checkpoint then needs a valid signature by any of their keys.
 */
import type { Cosigner } from "../../src/audit/cosigner.ts";
import { cosignerOf } from "../../src/audit/cosigner.ts";
import { type NoteKey, parseVerifierKey } from "../../src/audit/signed-note.ts";
import type { WitnessEnv } from "./env.ts";

export interface KnownLog {
  /** An origin, or an origin prefix when `prefix`. */
  origin: string;
  prefix: boolean;
  key: NoteKey;
  /** The verifier key as configured. */
  verifierKey: string;
}

export interface WitnessConfig {
  cosigner: Cosigner | null;
  logs: KnownLog[];
  /** What is wrong with the configuration; while anything is, the witness cosigns nothing. */
  problems: string[];
}

/** An origin is one non-empty line of a note: no control character. */
function isOriginText(text: string): boolean {
  if (text === "") return false;
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) < 0x20) return false;
  return true;
}

function parseLogs(text: string | undefined, problems: string[]): KnownLog[] {
  if (!text?.trim()) {
    problems.push("WITNESS_LOGS is empty: the witness knows no log");
    return [];
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push("WITNESS_LOGS is not JSON");
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push('WITNESS_LOGS must be a JSON list of {"origin" or "origin_prefix", "verifier_key"}');
    return [];
  }
  return value.flatMap((item: unknown, i): KnownLog[] => {
    const entry = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const { origin, origin_prefix: prefix, verifier_key: verifierKey } = entry;
    const named = [origin, prefix].filter((v) => v !== undefined);
    const where = named.length === 1 ? named[0] : undefined;
    if (typeof where !== "string" || !isOriginText(where)) {
      problems.push(`WITNESS_LOGS[${i}] needs exactly one of "origin" and "origin_prefix", a non-empty line`);
      return [];
    }
    if (typeof verifierKey !== "string") {
      problems.push(`WITNESS_LOGS[${i}].verifier_key is missing`);
      return [];
    }
    try {
      return [
        { origin: where, prefix: prefix !== undefined, key: parseVerifierKey(verifierKey), verifierKey },
      ];
    } catch (err) {
      problems.push(`WITNESS_LOGS[${i}].verifier_key: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  });
}

function parseConfig(env: WitnessEnv): WitnessConfig {
  const problems: string[] = [];
  const logs = parseLogs(env.WITNESS_LOGS, problems);
  let cosigner: Cosigner | null = null;
  const name = env.WITNESS_NAME?.trim() ?? "";
  const secret = env.WITNESS_SIGNING_KEY?.trim() ?? "";
  if (!name) problems.push("WITNESS_NAME is not set");
  if (!secret) problems.push("WITNESS_SIGNING_KEY is not set");
  if (name && secret) {
    try {
      cosigner = cosignerOf(name, secret);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { cosigner: problems.length === 0 ? cosigner : null, logs, problems };
}

const parsed = new WeakMap<object, WitnessConfig>();

export function witnessConfig(env: WitnessEnv): WitnessConfig {
  let config = parsed.get(env);
  if (config === undefined) {
    config = parseConfig(env);
    parsed.set(env, config);
  }
  return config;
}

/** The keys trusted for `origin`, or null when the witness does not know the log. */
export function keysFor(config: WitnessConfig, origin: string): NoteKey[] | null {
  const matching = config.logs.filter((log) =>
    log.prefix ? origin.startsWith(log.origin) && origin.length > log.origin.length : origin === log.origin,
  );
  return matching.length === 0 ? null : matching.map((log) => log.key);
}
