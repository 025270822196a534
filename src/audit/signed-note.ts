/**
 * Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint), with
 * Ed25519 keys, free of storage so the object, the export check and the witness share it.
 *
 * A checkpoint's text is `<origin>\n<tree size>\n<base64 root hash>\n`; the note is the text, a
 * blank line, and one line per signature: `— <key name> <base64(key ID ‖ signature)>\n`, the
 * signature covering the text including its last newline. Key ID = the first 4 bytes of
 * SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key). A verifier key is written
 * `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`.
 */
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { fromBase64, type Hash, toBase64, toHex } from "./merkle.ts";

const ED25519 = 0x01;
const EM_DASH = "\u2014";
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw 32-byte key follows it. */
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

/** A key name is non-empty and holds no space or `+` (and, being a line, no newline). */
const KEY_NAME = /^[^\s+]+$/;

export interface NoteKey {
  name: string;
  /** 4 bytes, as hex (8 digits). */
  keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

export function keyIdOf(name: string, publicKey: Uint8Array): string {
  const digest = createHash("sha256")
    .update(name, "utf8")
    .update(Uint8Array.of(0x0a, ED25519))
    .update(publicKey)
    .digest();
  return toHex(digest.subarray(0, 4));
}

export function verifierKey(key: NoteKey): string {
  return `${key.name}+${key.keyId}+${toBase64(Uint8Array.from([ED25519, ...key.publicKey]))}`;
}

/** Reads `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`; throws a message fit for a user. */
export function parseVerifierKey(text: string): NoteKey {
  // The name and the key ID hold no `+`; the base64 key may.
  const trimmed = text.trim();
  const first = trimmed.indexOf("+");
  const second = first < 0 ? -1 : trimmed.indexOf("+", first + 1);
  const [name, keyId, encoded] =
    second < 0 ? [] : [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)];
  if (!name || !keyId || !encoded || !KEY_NAME.test(name) || !/^[0-9a-f]{8}$/.test(keyId)) {
    throw new Error("A verifier key reads <name>+<8 hex digits>+<base64 key>");
  }
  const bytes = fromBase64(encoded);
  if (bytes.length !== 33 || bytes[0] !== ED25519) throw new Error("The verifier key is not an Ed25519 key");
  const publicKey = bytes.subarray(1);
  if (keyIdOf(name, publicKey) !== keyId)
    throw new Error("The verifier key's ID does not match its name and key");
  return { name, keyId, publicKey };
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

export interface ParsedCheckpoint {
  text: string;
  origin: string;
  treeSize: number;
  root: Hash;
  signatures: { name: string; keyId: string; signature: Uint8Array }[];
}

/** Splits a checkpoint note into its text, fields and signature lines, or null when malformed. */
export function parseCheckpoint(note: string): ParsedCheckpoint | null {
  const split = note.indexOf("\n\n");
  if (split === -1 || !note.endsWith("\n")) return null;
  const text = note.slice(0, split + 1);
  const [origin, size, root, ...extensions] = text.slice(0, -1).split("\n");
  if (!origin || !size || !root || !/^\d{1,16}$/.test(size) || extensions.some((line) => line === ""))
    return null;
  const rootBytes = fromBase64(root);
  if (rootBytes.length !== 32 || toBase64(rootBytes) !== root) return null;
  const signatures: ParsedCheckpoint["signatures"] = [];
  for (const line of note.slice(split + 2, -1).split("\n")) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!match?.[1] || !match[2]) return null;
    const bytes = fromBase64(match[2]);
    if (bytes.length < 5) return null;
    signatures.push({ name: match[1], keyId: toHex(bytes.subarray(0, 4)), signature: bytes.subarray(4) });
  }
  if (signatures.length === 0) return null;
  return { text, origin, treeSize: Number(size), root: rootBytes, signatures };
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
