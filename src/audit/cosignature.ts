/**
 * Witness cosignatures of checkpoints: C2SP `tlog-cosignature`'s Ed25519 type, `cosignature/v1`
 * (c2sp.org/tlog-cosignature). It imports nothing but the protocol's text helpers and verifies
 * with WebCrypto, so the log, the witness, the command-line tools and a browser share it; signing
 * is `cosigner.ts`'s, with the witness's private key.
 *
 * - The signed message is `cosignature/v1\n`, `time <POSIX seconds>\n`, then the checkpoint's
 *   note text (every line up to the blank line, extension lines included).
 * - The signature line is `— <witness name> base64(key ID ‖ u64 big-endian timestamp ‖ 64-byte
 *   Ed25519 signature)`.
 * - Key ID = the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x04 ‖ 32-byte public key): 0x04 is the
 *   signed-note type byte of timestamped Ed25519 cosignatures, where the log's own Ed25519 note
 *   key uses 0x01, so a witness key never passes for a log key or the reverse.
 * - A witness's verifier key is `<name>+<key ID hex>+base64(0x04 ‖ public key)`.
 */
import { base64Decode, base64Encode } from "./tlog-witness.ts";

/** The signed-note signature type of a timestamped Ed25519 checkpoint cosignature. */
export const COSIGNATURE_V1_TYPE = 0x04;
const EM_DASH = "\u2014";
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
const KEY_ID_BYTES = 4;
const TIMESTAMP_BYTES = 8;
/** tlog-cosignature: a timestamp never exceeds 2^63 − 1; past 2^53 it is no real time anyway. */
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/** A witness's public key, as a log or a client is configured with it. */
export interface CosignerKey {
  /** The witness's name: a schema-less URL, holding no space or `+`. */
  name: string;
  /** 4 bytes, as 8 lowercase hex digits. */
  keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

/** One cosignature line, read. */
export interface Cosignature {
  name: string;
  keyId: string;
  /** POSIX seconds at which the witness signed. */
  timestamp: number;
  signature: Uint8Array;
}

const encoder = new TextEncoder();
const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Key names (signed-note): non-empty, no Unicode space, no `+`, no control character. */
export function isKeyName(name: string): boolean {
  if (name === "" || /[\s+]/u.test(name)) return false;
  for (let i = 0; i < name.length; i += 1)
    if (name.charCodeAt(i) < 0x20 || name.charCodeAt(i) === 0x7f) return false;
  return true;
}

/** What the witness signs for a note text (which ends in a newline) at `timestamp`. */
export function cosignedMessage(noteText: string, timestamp: number): string {
  return `cosignature/v1\ntime ${timestamp}\n${noteText}`;
}

/** What a witness key's ID is the hash of: name ‖ 0x0A ‖ 0x04 ‖ public key. */
export function cosignerKeyIdInput(name: string, publicKey: Uint8Array): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([...encoder.encode(name), 0x0a, COSIGNATURE_V1_TYPE, ...publicKey]);
}

/** Key ID as hex, from the first 4 bytes of a SHA-256 digest of `cosignerKeyIdInput`. */
export const keyIdFromDigest = (digest: Uint8Array): string => toHex(digest.subarray(0, KEY_ID_BYTES));

export async function cosignerKeyId(name: string, publicKey: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", cosignerKeyIdInput(name, publicKey));
  return keyIdFromDigest(new Uint8Array(digest));
}

export function cosignerVerifierKey(key: CosignerKey): string {
  return `${key.name}+${key.keyId}+${base64Encode(Uint8Array.from([COSIGNATURE_V1_TYPE, ...key.publicKey]))}`;
}

/**
 * Reads a witness's verifier key, `<name>+<key ID hex>+<base64(0x04 ‖ public key)>`, checking
 * that the key ID is the one its name and key give; throws a message fit for a user.
 */
export async function parseCosignerVerifierKey(text: string): Promise<CosignerKey> {
  // The name and the key ID hold no `+`; the base64 key may.
  const [name = "", keyId = "", ...rest] = text.trim().split("+");
  if (rest.length === 0 || !isKeyName(name) || !/^[0-9a-f]{8}$/.test(keyId)) {
    throw new Error("A witness verifier key reads <name>+<8 hex digits>+<base64 key>");
  }
  const bytes = base64Decode(rest.join("+"));
  if (bytes === null || bytes.length !== 1 + PUBLIC_KEY_BYTES) {
    throw new Error("The witness verifier key does not hold a 32-byte Ed25519 key");
  }
  if (bytes[0] !== COSIGNATURE_V1_TYPE) {
    throw new Error(
      `The verifier key is of signature type 0x${(bytes[0] ?? 0).toString(16).padStart(2, "0")}, not a witness's cosignature key (0x04)`,
    );
  }
  const publicKey = bytes.slice(1);
  if ((await cosignerKeyId(name, publicKey)) !== keyId) {
    throw new Error("The witness verifier key's ID does not match its name and key");
  }
  return { name, keyId, publicKey };
}

/** The signature line, newline included: `— <name> base64(key ID ‖ timestamp ‖ signature)\n`. */
export function formatCosignatureLine(cosignature: Cosignature): string {
  const bytes = new Uint8Array(KEY_ID_BYTES + TIMESTAMP_BYTES + SIGNATURE_BYTES);
  for (let i = 0; i < KEY_ID_BYTES; i += 1) {
    bytes[i] = Number.parseInt(cosignature.keyId.slice(2 * i, 2 * i + 2), 16);
  }
  new DataView(bytes.buffer).setBigUint64(KEY_ID_BYTES, BigInt(cosignature.timestamp));
  bytes.set(cosignature.signature, KEY_ID_BYTES + TIMESTAMP_BYTES);
  return `${EM_DASH} ${cosignature.name} ${base64Encode(bytes)}\n`;
}

/** The name, key ID and bytes of any note signature line (with or without its newline), or null. */
function signerOf(line: string): { name: string; keyId: string; bytes: Uint8Array } | null {
  const match = /^\u2014 (\S+) (\S+)\n?$/u.exec(line);
  if (!match?.[1] || !match[2] || !isKeyName(match[1])) return null;
  const bytes = base64Decode(match[2]);
  if (bytes === null || bytes.length < KEY_ID_BYTES) return null;
  return { name: match[1], keyId: toHex(bytes.subarray(0, KEY_ID_BYTES)), bytes };
}

/**
 * Reads one signature line (with or without its newline) as a cosignature, or null when it is
 * not shaped as one: a log's own Ed25519 signature line, for one, is 8 bytes shorter.
 */
export function parseCosignatureLine(line: string): Cosignature | null {
  const signer = signerOf(line);
  if (signer === null || signer.bytes.length !== KEY_ID_BYTES + TIMESTAMP_BYTES + SIGNATURE_BYTES)
    return null;
  const timestamp = new DataView(signer.bytes.buffer).getBigUint64(KEY_ID_BYTES);
  if (timestamp > BigInt(MAX_TIMESTAMP)) return null;
  return {
    name: signer.name,
    keyId: signer.keyId,
    timestamp: Number(timestamp),
    signature: signer.bytes.slice(KEY_ID_BYTES + TIMESTAMP_BYTES),
  };
}

/** Whether `signature` is `key`'s Ed25519 signature of `message`. */
async function ed25519Verifies(
  publicKey: Uint8Array,
  signature: Uint8Array,
  message: string,
): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", Uint8Array.from(publicKey), { name: "Ed25519" }, false, [
    "verify",
  ]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, Uint8Array.from(signature), encoder.encode(message));
}

/**
 * Checks one cosignature line of `key` on a checkpoint's note text: its timestamp when it
 * verifies, null when it does not, is another key's, or carries no timestamp (tlog-witness
 * forbids a zero one).
 */
export async function verifyCosignature(
  noteText: string,
  line: string,
  key: CosignerKey,
): Promise<number | null> {
  const cosignature = parseCosignatureLine(line);
  if (cosignature === null || cosignature.name !== key.name || cosignature.keyId !== key.keyId) return null;
  if (cosignature.timestamp === 0 || !noteText.endsWith("\n")) return null;
  const message = cosignedMessage(noteText, cosignature.timestamp);
  return (await ed25519Verifies(key.publicKey, cosignature.signature, message))
    ? cosignature.timestamp
    : null;
}

/**
 * `key`'s cosignature among signature lines, such as a witness's add-checkpoint answer or the
 * lines of a cosigned note: lines of other keys are ignored, as signed-note asks, but a line that
 * claims to be `key`'s and does not verify refuses the whole answer (null).
 */
export async function findCosignature(
  signatureLines: string,
  noteText: string,
  key: CosignerKey,
): Promise<{ line: string; timestamp: number } | null> {
  let found: { line: string; timestamp: number } | null = null;
  for (const line of signatureLines.split("\n")) {
    if (line === "") continue;
    const signer = signerOf(line);
    if (signer === null || signer.name !== key.name || signer.keyId !== key.keyId) continue;
    const timestamp = await verifyCosignature(noteText, line, key);
    if (timestamp === null) return null;
    found ??= { line: `${line}\n`, timestamp };
  }
  return found;
}
