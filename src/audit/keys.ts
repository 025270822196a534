/**
 * The audit log's signing key and the keys that verify its checkpoints, from its vars:
 * `AUDIT_SIGNING_KEY` (base64 PKCS#8 Ed25519, a secret), `AUDIT_LOG_ORIGIN` (the key name and
 * the prefix of every organisation's origin), `AUDIT_PUBLIC_KEYS` (retired keys, JSON) and
 * `AUDIT_SIGNING_KEY_NOT_BEFORE`. Parsed once per set of bindings, by the object from its own
 * and by the Worker as part of its configuration (src/config.ts).
 */
import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { problemsOf, text, type VarReaders, varsSchema } from "../lib/vars.ts";
import { fromBase64, toBase64 } from "./merkle.ts";
import { keyIdOf, type NoteKey, signingKey, verifierKey } from "./signed-note.ts";

export const DEFAULT_AUDIT_LOG_ORIGIN = "mentor-activity-api";

/** The audit log's vars, as fields of a configuration schema: the object's own, and the Worker's. */
export const AUDIT_KEY_VARS = {
  AUDIT_SIGNING_KEY: text,
  AUDIT_LOG_ORIGIN: text,
  AUDIT_PUBLIC_KEYS: text,
  AUDIT_SIGNING_KEY_NOT_BEFORE: text,
} satisfies VarReaders;

export type AuditKeyBindings = { [K in keyof typeof AUDIT_KEY_VARS]?: string };
export type AuditKeyVars = { [K in keyof typeof AUDIT_KEY_VARS]: string | undefined };

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

const dateOrNull = z
  .unknown()
  .transform((v) => (typeof v === "string" && !Number.isNaN(Date.parse(v)) ? v : null));

/** A retired key of AUDIT_PUBLIC_KEYS, its public key read back to base64. */
const retiredKey = z.object({
  public_key: z
    .string()
    .transform(fromBase64)
    .refine((key) => key.length === 32)
    .transform(toBase64),
  not_before: dateOrNull,
  not_after: dateOrNull,
});
type RetiredKey = z.output<typeof retiredKey>;

/** The retired keys that parse; each one that does not is a problem. */
function parseRetired(json: string | undefined, problems: string[]): RetiredKey[] {
  if (json === undefined) return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    problems.push("AUDIT_PUBLIC_KEYS is not JSON");
    return [];
  }
  if (!Array.isArray(value)) {
    problems.push("AUDIT_PUBLIC_KEYS must be a JSON list of {public_key, not_before, not_after}");
    return [];
  }
  return value.flatMap((item: unknown, i): RetiredKey[] => {
    const read = retiredKey.safeParse(item);
    if (read.success) return [read.data];
    problems.push(`AUDIT_PUBLIC_KEYS[${i}].public_key is not the base64 of a 32-byte Ed25519 key`);
    return [];
  });
}

/**
 * The keys the audit vars give. A problem with them is the log's rather than the Worker's: the
 * log refuses appends and says why, while reads and the keys listing go on with the keys that
 * parsed (SPEC §9). So this never fails; what is wrong is in `problems`.
 */
export function auditKeysFrom(vars: AuditKeyVars): AuditKeys {
  const problems: string[] = [];
  const name = vars.AUDIT_LOG_ORIGIN ?? DEFAULT_AUDIT_LOG_ORIGIN;
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
  const secret = vars.AUDIT_SIGNING_KEY;
  if (secret) {
    try {
      const { privateKey, publicKey } = signingKey(secret);
      signer = { name, keyId: keyIdOf(name, publicKey), publicKey, privateKey };
      published.push(publish(signer, vars.AUDIT_SIGNING_KEY_NOT_BEFORE ?? null, null));
    } catch {
      problems.push("AUDIT_SIGNING_KEY is not a base64 PKCS#8 Ed25519 private key");
    }
  }
  const known: NoteKey[] = signer ? [{ name, keyId: signer.keyId, publicKey: signer.publicKey }] : [];
  for (const retired of parseRetired(vars.AUDIT_PUBLIC_KEYS, problems)) {
    const publicKey = fromBase64(retired.public_key);
    const key = { name, keyId: keyIdOf(name, publicKey), publicKey };
    if (known.some((k) => k.keyId === key.keyId)) continue;
    known.push(key);
    published.push(publish(key, retired.not_before, retired.not_after));
  }
  return { name, signer: problems.length === 0 ? signer : null, known, published, problems };
}

const auditKeysSchema = varsSchema(AUDIT_KEY_VARS).transform(auditKeysFrom);

const parsed = new WeakMap<object, AuditKeys>();

/** The keys of a set of bindings, parsed on first use and kept for the isolate's life. */
export function auditKeys(env: AuditKeyBindings): AuditKeys {
  let keys = parsed.get(env);
  if (keys === undefined) {
    const read = auditKeysSchema.safeParse(env);
    keys = read.success
      ? read.data
      : {
          name: DEFAULT_AUDIT_LOG_ORIGIN,
          signer: null,
          known: [],
          published: [],
          problems: problemsOf(read.error),
        };
    parsed.set(env, keys);
  }
  return keys;
}

/** The origin of an organisation's log: `<key name>/<org>`. */
export const originOf = (keys: Pick<AuditKeys, "name">, org: string): string => `${keys.name}/${org}`;
