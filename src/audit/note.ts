/**
 * The text of C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) and verifier
 * keys, free of crypto and of Node so that the statement verifier runs the same reading in a
 * browser; signed-note.ts signs and verifies with it.
 *
 * A note is its text (lines, each ending in `\n`), a blank line, and one line per signature:
 * `— <key name> <base64(4-byte key ID ‖ signature)>\n`. A checkpoint's text is
 * `<origin>\n<tree size>\n<base64 root hash>\n`, maybe followed by extension lines. A verifier key
 * is written `<name>+<key ID hex>+<base64(0x01 ‖ public key)>`; key ID = the first 4 bytes of
 * SHA-256(keyIdInput(name, public key)).
 */
import { decodeBase64, encodeHex } from "./bytes.ts";

const ED25519 = 0x01;

/** A key name is non-empty and holds no space or `+` (and, being a line, no newline). */
const KEY_NAME = /^[^\s+]+$/;

export interface NoteKey {
  name: string;
  /** 4 bytes, as hex (8 digits). */
  keyId: string;
  /** The raw 32-byte Ed25519 public key. */
  publicKey: Uint8Array;
}

export interface NoteSignature {
  name: string;
  keyId: string;
  signature: Uint8Array;
}

export interface ParsedNote {
  /** What the signatures cover: every line of the text, each with its `\n`. */
  text: string;
  /** The text's lines, without their `\n`. */
  lines: string[];
  signatures: NoteSignature[];
}

/** Splits a signed note into its text and signature lines, or null when malformed. */
export function parseNote(note: string): ParsedNote | null {
  const split = note.indexOf("\n\n");
  if (split === -1 || !note.endsWith("\n")) return null;
  const text = note.slice(0, split + 1);
  const lines = text.slice(0, -1).split("\n");
  if (lines.some((line) => line === "")) return null;
  const signatures: NoteSignature[] = [];
  for (const line of note.slice(split + 2, -1).split("\n")) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    const bytes = match?.[2] ? decodeBase64(match[2]) : null;
    if (!match?.[1] || bytes === null || bytes.length < 5) return null;
    signatures.push({ name: match[1], keyId: encodeHex(bytes.subarray(0, 4)), signature: bytes.subarray(4) });
  }
  if (signatures.length === 0) return null;
  return { text, lines, signatures };
}

export interface ParsedCheckpoint {
  text: string;
  origin: string;
  treeSize: number;
  root: Uint8Array;
  signatures: NoteSignature[];
}

/** A checkpoint note's text, fields and signature lines, or null when malformed. */
export function parseCheckpoint(note: string): ParsedCheckpoint | null {
  const parsed = parseNote(note);
  if (parsed === null) return null;
  const [origin, size, root] = parsed.lines;
  if (!origin || !size || !root || !/^\d{1,16}$/.test(size)) return null;
  const rootBytes = decodeBase64(root);
  if (rootBytes === null || rootBytes.length !== 32) return null;
  return {
    text: parsed.text,
    origin,
    treeSize: Number(size),
    root: rootBytes,
    signatures: parsed.signatures,
  };
}

/** The bytes whose SHA-256 starts with a key's ID: name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key. */
export function keyIdInput(name: string, publicKey: Uint8Array): Uint8Array<ArrayBuffer> {
  const encodedName = new TextEncoder().encode(name);
  const input = new Uint8Array(encodedName.length + 2 + publicKey.length);
  input.set(encodedName);
  input.set([0x0a, ED25519], encodedName.length);
  input.set(publicKey, encodedName.length + 2);
  return input;
}

/**
 * Reads `<name>+<key ID hex>+<base64(0x01 ‖ public key)>` without checking that the ID matches
 * the name and key (that takes a hash: signed-note.ts and the statement verifier do it); throws
 * a message fit for a user.
 */
export function splitVerifierKey(text: string): NoteKey {
  // The name and the key ID hold no `+`; the base64 key may.
  const trimmed = text.trim();
  const first = trimmed.indexOf("+");
  const second = first < 0 ? -1 : trimmed.indexOf("+", first + 1);
  const [name, keyId, encoded] =
    second < 0 ? [] : [trimmed.slice(0, first), trimmed.slice(first + 1, second), trimmed.slice(second + 1)];
  if (!name || !keyId || !encoded || !KEY_NAME.test(name) || !/^[0-9a-f]{8}$/.test(keyId)) {
    throw new Error("A verifier key reads <name>+<8 hex digits>+<base64 key>");
  }
  const bytes = decodeBase64(encoded);
  if (bytes === null || bytes.length !== 33 || bytes[0] !== ED25519)
    throw new Error("The verifier key is not an Ed25519 key");
  return { name, keyId, publicKey: bytes.subarray(1) };
}
