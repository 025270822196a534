/**
 * The text of the C2SP `tlog-witness` protocol (c2sp.org/tlog-witness), shared by the log that
 * asks for cosignatures and the witness that gives them. It imports nothing, so it runs in the
 * Worker, in Node and in a browser alike.
 *
 * `POST <witness URL>/add-checkpoint` carries `old <size>\n`, up to 63 consistency-proof lines
 * (one base64 hash each), a blank line, and the checkpoint note. The witness answers 200 with
 * cosignature lines, or 409 with the size it holds, as `<size>\n` in `text/x.tlog.size`.
 */

export const ADD_CHECKPOINT_PATH = "/add-checkpoint";
/** The media type of a 409's body: the size the witness holds, in decimal, and a newline. */
export const TLOG_SIZE_CONTENT_TYPE = "text/x.tlog.size";
/** A client sends at most this many proof lines; a consistency proof of a 2^63 tree needs no more. */
export const MAX_PROOF_LINES = 63;
/** Proof lines hold SHA-256 hashes. */
const HASH_BYTES = 32;

/** A tree size as the protocol writes it: decimal, no leading zero, and exact as a JavaScript number. */
const SIZE = /^(0|[1-9][0-9]{0,15})$/;

/** Reads a tree size written as the protocol writes it, or null. */
export function parseTreeSize(text: string): number | null {
  if (!SIZE.test(text)) return null;
  const size = Number(text);
  return Number.isSafeInteger(size) ? size : null;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Strict standard base64 (RFC 4648 §4, padded), or null for anything else. */
export function base64Decode(text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null;
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // Non-zero bits in the padding would let two texts stand for one value.
  return base64Encode(bytes) === text ? bytes : null;
}

export interface AddCheckpointRequest {
  /** The size of the checkpoint the witness last cosigned for this log, as the log believes it. */
  oldSize: number;
  /** The consistency proof from `oldSize` to the checkpoint's size (RFC 6962 §2.1.2). */
  proof: Uint8Array[];
  /** The checkpoint as a signed note: its text, a blank line, its signature lines. */
  checkpoint: string;
}

export function encodeAddCheckpoint(request: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(request.oldSize) || request.oldSize < 0) {
    throw new RangeError(`An old size is a whole number, not ${request.oldSize}`);
  }
  if (request.proof.length > MAX_PROOF_LINES) {
    throw new RangeError(`A consistency proof has at most ${MAX_PROOF_LINES} hashes`);
  }
  const lines = request.proof.map((hash) => `${base64Encode(hash)}\n`).join("");
  return `old ${request.oldSize}\n${lines}\n${request.checkpoint}`;
}

/**
 * Splits an add-checkpoint body into its parts, or says what is malformed (a 400). The checkpoint
 * is returned as sent; reading and verifying it is the signed-note code's work.
 */
export function parseAddCheckpoint(body: string): AddCheckpointRequest | { error: string } {
  const firstEnd = body.indexOf("\n");
  const first = firstEnd === -1 ? body : body.slice(0, firstEnd);
  const oldSize = first.startsWith("old ") ? parseTreeSize(first.slice(4)) : null;
  if (firstEnd === -1 || oldSize === null) {
    return { error: "The body must begin with the line `old <size>`" };
  }
  const proof: Uint8Array[] = [];
  let at = firstEnd + 1;
  for (;;) {
    const end = body.indexOf("\n", at);
    if (end === -1) return { error: "The proof lines must be followed by a blank line and the checkpoint" };
    const line = body.slice(at, end);
    at = end + 1;
    if (line === "") break;
    if (proof.length === MAX_PROOF_LINES) {
      return { error: `A consistency proof has at most ${MAX_PROOF_LINES} lines` };
    }
    const hash = base64Decode(line);
    if (hash === null || hash.length !== HASH_BYTES) {
      return { error: `Proof line ${proof.length + 1} is not the base64 of a 32-byte hash` };
    }
    proof.push(hash);
  }
  const checkpoint = body.slice(at);
  if (checkpoint === "") return { error: "The checkpoint is missing" };
  return { oldSize, proof, checkpoint };
}

/** The body of a 409: the size the witness holds. */
export const encodeSizeBody = (size: number): string => `${size}\n`;

/** Reads a 409's body, or null when it is not one. */
export function parseSizeBody(body: string): number | null {
  return body.endsWith("\n") ? parseTreeSize(body.slice(0, -1)) : null;
}
