/**
 * Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), with
 * Ed25519 keys, free of storage so the object, the export check and the witness share it. The
 * notes' text is read by note.ts.
 *
 * A checkpoint's text is `<origin>\n<tree size>\n<base64 root hash>\n`; the note is the text, a
 * blank line, and one line per signature: `— <key name> <base64(key ID ‖ signature)>\n`, the
 * signature covering the text including its last newline. Key ID = the first 4 bytes of
 * SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key). A verifier key is written
 * `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { type Hash, toBase64, toHex } from "./merkle.ts";
import {
  keyIdInput,
  type NoteKey,
  type ParsedCheckpoint,
  parseCheckpoint,
  splitVerifierKey,
} from "./note.ts";

export { type NoteKey, type ParsedCheckpoint, parseCheckpoint };

const ED25519 = 0x01;
const EM_DASH = "\u2014";
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

export function keyIdOf(name: string, publicKey: Uint8Array): string {
  return toHex(createHash("sha256").update(keyIdInput(name, publicKey)).digest().subarray(0, 4));
}

export function verifierKey(key: NoteKey): string {
  return `${key.name}+${key.keyId}+${toBase64(Uint8Array.from([ED25519, ...key.publicKey]))}`;
}

/** Reads `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`; throws a message fit for a user. */
export function parseVerifierKey(text: string): NoteKey {
  const key = splitVerifierKey(text);
  if (keyIdOf(key.name, key.publicKey) !== key.keyId)
    throw new Error("The verifier key's ID does not match its name and key");
  return key;
}

export const publicKeyObject = (publicKey: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.from([...SPKI_PREFIX, ...publicKey]), format: "der", type: "spki" });

/** A signing key from base64 PKCS#8 DER, with its raw public key. */
export function signingKey(pkcs8Base64: string): { privateKey: KeyObject; publicKey: Uint8Array } {
  const privateKey = createPrivateKey({
    key: Buffer.from(pkcs8Base64, "base64"),
    format: "der",
    type: "pkcs8",
  });
  if (privateKey.asymmetricKeyType !== "ed25519") throw new Error("AUDIT_SIGNING_KEY is not an Ed25519 key");
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: "der", type: "spki" }));
  return { privateKey, publicKey: spki.subarray(SPKI_PREFIX.length) };
}

export function checkpointText(origin: string, treeSize: number, root: Hash): string {
  return `${origin}\n${treeSize}\n${toBase64(root)}\n`;
}

/** Signs a note text; synchronous, so it runs inside the object's `transactionSync`. */
export function signNote(text: string, name: string, keyId: string, privateKey: KeyObject): string {
  const signature = new Uint8Array(sign(null, Buffer.from(text, "utf8"), privateKey));
  const payload = Uint8Array.from([...Buffer.from(keyId, "hex"), ...signature]);
  return `${text}\n${EM_DASH} ${name} ${toBase64(payload)}\n`;
}

/**
 * Whether one of `keys` signed the note: signatures of unknown keys are ignored, a signature of
 * a known key must verify, and at least one must.
 */
export function verifyCheckpoint(note: ParsedCheckpoint, keys: readonly NoteKey[]): NoteKey | null {
  let verifiedBy: NoteKey | null = null;
  for (const sig of note.signatures) {
    const key = keys.find((k) => k.name === sig.name && k.keyId === sig.keyId);
    if (!key) continue;
    if (!verify(null, Buffer.from(note.text, "utf8"), publicKeyObject(key.publicKey), sig.signature))
      return null;
    verifiedBy ??= key;
  }
  return verifiedBy;
}
