/**
 * SHA-256 and Ed25519 through WebCrypto, which Node, workerd and browsers all have, for the
 * checks that run in each of them (the statement verifier). The object signs inside a
 * `transactionSync` and cannot await, so it keeps to node:crypto (signed-note.ts, merkle.ts).
 */
import { decodeHex, encodeHex } from "./bytes.ts";
import { keyIdInput, type NoteKey, splitVerifierKey } from "./note.ts";

/** Copies bytes into a buffer of their own, as WebCrypto takes them. */
const own = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => Uint8Array.from(bytes);

export async function sha256(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", own(bytes)));
}

export const sha256Text = (text: string): Promise<Uint8Array<ArrayBuffer>> =>
  sha256(new TextEncoder().encode(text));

export async function keyIdOf(name: string, publicKey: Uint8Array): Promise<string> {
  return encodeHex((await sha256(keyIdInput(name, publicKey))).subarray(0, 4));
}

/** Reads `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`; throws a message fit for a user. */
export async function readVerifierKey(text: string): Promise<NoteKey> {
  const key = splitVerifierKey(text);
  if ((await keyIdOf(key.name, key.publicKey)) !== key.keyId)
    throw new Error("The verifier key's ID does not match its name and key");
  return key;
}

/** The runtime's WebCrypto has no Ed25519 (a browser from before 2025): nothing can be verified. */
export class Ed25519Unsupported extends Error {}

/**
 * Whether `signature` is the Ed25519 signature of `text` (as UTF-8) by `publicKey`; throws
 * Ed25519Unsupported rather than answer false where no signature could be checked at all.
 */
export async function verifyEd25519(
  publicKey: Uint8Array,
  signature: Uint8Array,
  text: string,
): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", own(publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify(
      { name: "Ed25519" },
      key,
      own(signature),
      own(new TextEncoder().encode(text)),
    );
  } catch (err) {
    if (err instanceof Error && err.name === "NotSupportedError")
      throw new Ed25519Unsupported("This runtime's WebCrypto cannot verify Ed25519 signatures");
    // A public key that is no curve point cannot have signed anything.
    return false;
  }
}

/** The leaf of an entry: SHA-256(0x00 ‖ the 32 bytes of its hex payload hash), as merkle.ts has it. */
export async function leafHashOf(payloadHashHex: string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = decodeHex(payloadHashHex);
  if (bytes === null || bytes.length !== 32) throw new TypeError("A payload hash is 64 lowercase hex digits");
  const input = new Uint8Array(33);
  input.set(bytes, 1);
  return sha256(input);
}

/** An interior node: SHA-256(0x01 ‖ left ‖ right). */
export async function nodeHashOf(left: Uint8Array, right: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const input = new Uint8Array(1 + left.length + right.length);
  input[0] = 0x01;
  input.set(left, 1);
  input.set(right, 1 + left.length);
  return sha256(input);
}
