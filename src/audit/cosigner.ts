/**
 * The witness's side of `cosignature/v1` (cosignature.ts has the format): its key from a base64
 * PKCS#8 Ed25519 private key, as the log's own signing key is given, and the signing itself,
 * synchronous (`node:crypto`'s one-shot `sign`) so the witness signs in the same uninterrupted
 * step that checks and records what it cosigns.
 */
import { createHash, type KeyObject, sign } from "node:crypto";
import {
  type CosignerKey,
  cosignedMessage,
  cosignerKeyIdInput,
  formatCosignatureLine,
  isKeyName,
  keyIdFromDigest,
} from "./cosignature.ts";
import { signingKey } from "./signed-note.ts";

export interface Cosigner extends CosignerKey {
  privateKey: KeyObject;
}

/** The key ID of a witness key, computed synchronously. */
export function cosignerKeyIdSync(name: string, publicKey: Uint8Array): string {
  return keyIdFromDigest(
    new Uint8Array(createHash("sha256").update(cosignerKeyIdInput(name, publicKey)).digest()),
  );
}

/** A witness's signing key under `name`; throws a message fit for an operator. */
export function cosignerOf(name: string, pkcs8Base64: string): Cosigner {
  if (!isKeyName(name)) throw new Error("A witness name must be non-empty and hold no space or '+'");
  let key: ReturnType<typeof signingKey>;
  try {
    key = signingKey(pkcs8Base64.trim());
  } catch {
    throw new Error("The witness signing key is not a base64 PKCS#8 Ed25519 private key");
  }
  return {
    name,
    keyId: cosignerKeyIdSync(name, key.publicKey),
    publicKey: key.publicKey,
    privateKey: key.privateKey,
  };
}

/** The cosignature line (newline included) of a checkpoint's note text at `timestamp` (POSIX seconds, > 0). */
export function signCosignature(noteText: string, cosigner: Cosigner, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw new RangeError(`A cosignature's timestamp is a positive whole number of seconds, not ${timestamp}`);
  }
  if (!noteText.endsWith("\n")) throw new RangeError("A note text ends with a newline");
  const message = Buffer.from(cosignedMessage(noteText, timestamp), "utf8");
  const signature = new Uint8Array(sign(null, message, cosigner.privateKey));
  return formatCosignatureLine({ name: cosigner.name, keyId: cosigner.keyId, timestamp, signature });
}
