/**
 * The audit log's signing key and the keys that verify its checkpoints, from the bindings:
 * `AUDIT_SIGNING_KEY` (base64 PKCS#8 Ed25519, a secret), `AUDIT_LOG_ORIGIN` (the key name and
 * the prefix of every organisation's origin), `AUDIT_PUBLIC_KEYS` (retired keys, JSON) and
 * `AUDIT_SIGNING_KEY_NOT_BEFORE`. Parsed once per set of bindings.
 */
import type { KeyObject } from "node:crypto";
import { fromBase64, toBase64 } from "./merkle.ts";
import { keyIdOf, type NoteKey, signingKey, verifierKey } from "./signed-note.ts";

export const DEFAULT_AUDIT_LOG_ORIGIN = "mentor-activity-api";

export interface AuditKeyBindings {
  AUDIT_SIGNING_KEY?: string;
  AUDIT_LOG_ORIGIN?: string;
  AUDIT_PUBLIC_KEYS?: string;
  AUDIT_SIGNING_KEY_NOT_BEFORE?: string;
}

/** A key as `/.well-known/audit-log-keys` lists it. */
export interface PublishedKey {
  key_id: string;
  name: string;
  algorithm: "Ed25519";
  public_key: string;
  verifier_key: string;
  not_before: string | null;
  not_after: string | null;
}

export interface AuditKeys {
  /** The key name, also the first part of every origin. */
  name: string;
  /** The key the object signs with; null when none is configured (appends are then refused). */
  signer: (NoteKey & { privateKey: KeyObject }) | null;
  /** Every key a checkpoint of this deployment may carry: the current one and the retired ones. */
  known: NoteKey[];
  published: PublishedKey[];
  /** What is wrong with the configuration, if anything. */
  problems: string[];
}

/** Origins and key names hold no space, `+` or line break. */
const ORIGIN_NAME = /^[^\s+]{1,200}$/;

interface RetiredKey {
  public_key: string;
  not_before: string | null;
  not_after: string | null;
}

function parseRetired(text: string | undefined, problems: string[]): RetiredKey[] {
  if (!text?.trim()) return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    problems.push("AUDIT_PUBLIC_KEYS is not JSON");
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push("AUDIT_PUBLIC_KEYS must be a JSON list of {public_key, not_before, not_after}");
    return [];
  }
  return value.flatMap((item: unknown, i): RetiredKey[] => {
    const entry = item as Partial<Record<keyof RetiredKey, unknown>>;
    const key = typeof entry?.public_key === "string" ? fromBase64(entry.public_key) : null;
    const date = (v: unknown) => (typeof v === "string" && !Number.isNaN(Date.parse(v)) ? v : null);
    if (key === null || key.length !== 32) {
      problems.push(`AUDIT_PUBLIC_KEYS[${i}].public_key is not the base64 of a 32-byte Ed25519 key`);
      return [];
    }
    return [
      { public_key: toBase64(key), not_before: date(entry.not_before), not_after: date(entry.not_after) },
    ];
  });
}

function parseKeys(env: AuditKeyBindings): AuditKeys {
  const problems: string[] = [];
  const name = env.AUDIT_LOG_ORIGIN?.trim() || DEFAULT_AUDIT_LOG_ORIGIN;
  if (!ORIGIN_NAME.test(name)) problems.push("AUDIT_LOG_ORIGIN must hold no space, '+' or line break");
  const publish = (key: NoteKey, notBefore: string | null, notAfter: string | null): PublishedKey => ({
    key_id: key.keyId,
    name: key.name,
    algorithm: "Ed25519",
    public_key: toBase64(key.publicKey),
    verifier_key: verifierKey(key),
    not_before: notBefore,
    not_after: notAfter,
  });
  let signer: AuditKeys["signer"] = null;
  const published: PublishedKey[] = [];
  const secret = env.AUDIT_SIGNING_KEY?.trim();
  if (secret) {
    try {
      const { privateKey, publicKey } = signingKey(secret);
      signer = { name, keyId: keyIdOf(name, publicKey), publicKey, privateKey };
      published.push(publish(signer, env.AUDIT_SIGNING_KEY_NOT_BEFORE?.trim() || null, null));
    } catch {
      problems.push("AUDIT_SIGNING_KEY is not a base64 PKCS#8 Ed25519 private key");
    }
  }
  const known: NoteKey[] = signer ? [{ name, keyId: signer.keyId, publicKey: signer.publicKey }] : [];
  for (const retired of parseRetired(env.AUDIT_PUBLIC_KEYS, problems)) {
    const publicKey = fromBase64(retired.public_key);
    const key = { name, keyId: keyIdOf(name, publicKey), publicKey };
    if (known.some((k) => k.keyId === key.keyId)) continue;
    known.push(key);
    published.push(publish(key, retired.not_before, retired.not_after));
  }
  return { name, signer: problems.length === 0 ? signer : null, known, published, problems };
}

const parsed = new WeakMap<object, AuditKeys>();

export function auditKeys(env: AuditKeyBindings): AuditKeys {
  let keys = parsed.get(env);
  if (keys === undefined) {
    keys = parseKeys(env);
    parsed.set(env, keys);
  }
  return keys;
}

/** The origin of an organisation's log: `<key name>/<org>`. */
export const originOf = (keys: Pick<AuditKeys, "name">, org: string): string => `${keys.name}/${org}`;
