/**
 * A log for the witness to witness: leaves in memory, roots from the RFC 9162 helper written apart
 * from src/audit/merkle.ts, consistency proofs from the project's own proof code (which the main
 * suite checks against that helper), checkpoints signed as the API's audit log signs them.
 */

import { env, exports } from "cloudflare:workers";
import { createHash } from "node:crypto";
import { expect } from "vitest";
import { type CosignerKey, cosignerKeyId } from "../../src/audit/cosignature.ts";
import { consistencyProof, type Hash, type NodeReader } from "../../src/audit/merkle.ts";
import { checkpointText, keyIdOf, type NoteKey, signingKey, signNote } from "../../src/audit/signed-note.ts";
import { encodeAddCheckpoint } from "../../src/audit/tlog-witness.ts";
import { rfcLeaf, rfcRoot } from "../../test/helpers/rfc9162.ts";

export interface LogSigner extends NoteKey {
  privateKey: ReturnType<typeof signingKey>["privateKey"];
}

export function logSigner(pkcs8 = env.TEST_LOG_SIGNING_KEY, name = env.TEST_LOG_NAME): LogSigner {
  const { privateKey, publicKey } = signingKey(pkcs8);
  return { name, keyId: keyIdOf(name, publicKey), publicKey, privateKey };
}

/** A key nobody configured the witness with, as base64 PKCS#8. */
export async function strangerKey(): Promise<string> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const pkcs8 = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
  return Buffer.from(pkcs8).toString("base64");
}

let counter = 0;
/** A fresh origin under the prefix the witness trusts, as an organisation of the API would have. */
export function newOrigin(label = "org"): string {
  counter += 1;
  return `${env.TEST_LOG_NAME}/${label}-${crypto.randomUUID().slice(0, 8)}-${counter}`;
}

export class TestLog {
  readonly origin: string;
  private readonly leaves: Hash[];
  private readonly signer: LogSigner;

  constructor(origin: string, leaves: readonly Hash[] = [], signer: LogSigner = logSigner()) {
    this.origin = origin;
    this.leaves = [...leaves];
    this.signer = signer;
  }

  get size(): number {
    return this.leaves.length;
  }

  /** Adds `count` leaves of random entries. */
  grow(count: number): this {
    for (let i = 0; i < count; i += 1) {
      const payload = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
      this.leaves.push(rfcLeaf(payload));
    }
    return this;
  }

  /** The same log up to `size` leaves, from where the two go their own ways. */
  fork(size = this.size): TestLog {
    return new TestLog(this.origin, this.leaves.slice(0, size), this.signer);
  }

  root(size = this.size): Hash {
    return rfcRoot(this.leaves.slice(0, size));
  }

  text(size = this.size): string {
    return checkpointText(this.origin, size, this.root(size));
  }

  /** The checkpoint of `size`, signed by the log's key (or another). */
  checkpoint(size = this.size, signer: LogSigner = this.signer): string {
    return signNote(this.text(size), signer.name, signer.keyId, signer.privateKey);
  }

  proof(from: number, to = this.size): Hash[] {
    const reader: NodeReader = {
      node: (level, index) => rfcRoot(this.leaves.slice(index * 2 ** level, (index + 1) * 2 ** level)),
    };
    return consistencyProof(reader, from, to);
  }
}

export const get = (path: string): Promise<Response> =>
  exports.default.fetch(new Request(`https://witness.test${path}`));

/** POSTs an add-checkpoint body to the witness. */
export function postBody(body: string): Promise<Response> {
  return exports.default.fetch(
    new Request("https://witness.test/add-checkpoint", {
      method: "POST",
      body,
      headers: { "Content-Type": "text/plain; charset=utf-8" },
    }),
  );
}

/** Asks the witness to cosign `log`'s checkpoint of `size`, from `oldSize`, with the proof between them. */
export function addCheckpoint(log: TestLog, oldSize: number, size = log.size): Promise<Response> {
  return postBody(
    encodeAddCheckpoint({ oldSize, proof: log.proof(oldSize, size), checkpoint: log.checkpoint(size) }),
  );
}

export const originHash = (origin: string): string => createHash("sha256").update(origin).digest("hex");

/** What the witness holds for `origin`: the note of its monitoring endpoint, or null. */
export async function held(origin: string): Promise<string | null> {
  const res = await get(`/${originHash(origin)}/checkpoint`);
  if (res.status === 404) return null;
  expect(res.status).toBe(200);
  return res.text();
}

/** The witness's public key, derived here from the test configuration's private key. */
export async function witnessKey(): Promise<CosignerKey> {
  const { publicKey } = signingKey(env.WITNESS_SIGNING_KEY ?? "");
  const name = env.WITNESS_NAME ?? "";
  return { name, keyId: await cosignerKeyId(name, publicKey), publicKey };
}
