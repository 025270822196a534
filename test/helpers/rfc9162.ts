/**
 * RFC 9162 §2.1 written again from the RFC's text, independently of src/audit/merkle.ts, so the
 * tests check the service's proofs against the standard rather than against itself: the tree hash
 * MTH over a list of leaves (§2.1.1) and the two verification algorithms (§2.1.3.2, §2.1.4.2).
 */
import { createHash } from "node:crypto";

const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const unhex = (text: string) => new Uint8Array(Buffer.from(text, "hex"));

/** The leaf of an entry: SHA-256(0x00 || the 32 bytes of its payload hash). */
export const rfcLeaf = (payloadHashHex: string): Uint8Array =>
  sha256(Uint8Array.of(0), unhex(payloadHashHex));
const interior = (left: Uint8Array, right: Uint8Array) => sha256(Uint8Array.of(1), left, right);

/** MTH(D[n]) of §2.1.1 over the leaf hashes, straight from the recursive definition. */
export function rfcRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  if (leaves.length === 1) return leaves[0] ?? sha256();
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return interior(rfcRoot(leaves.slice(0, k)), rfcRoot(leaves.slice(k)));
}

const same = (a: Uint8Array, b: Uint8Array) => hex(a) === hex(b);

/** §2.1.3.2: verifying an inclusion proof. */
export function rfcVerifyInclusion(
  leafIndex: number,
  treeSize: number,
  leaf: Uint8Array,
  pathHex: readonly string[],
  rootHex: string,
): boolean {
  if (leafIndex >= treeSize) return false;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of pathHex.map(unhex)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = interior(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = interior(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && same(r, unhex(rootHex));
}

/** §2.1.4.2: verifying a consistency proof. */
export function rfcVerifyConsistency(
  first: number,
  second: number,
  firstRootHex: string,
  secondRootHex: string,
  proofHex: readonly string[],
): boolean {
  if (first === second) return proofHex.length === 0 && firstRootHex === secondRootHex;
  if (first === 0) return proofHex.length === 0;
  if (proofHex.length === 0) return false;
  let path = proofHex.map(unhex);
  if ((first & (first - 1)) === 0) path = [unhex(firstRootHex), ...path];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn >>= 1;
    sn >>= 1;
  }
  const [head, ...rest] = path;
  if (!head) return false;
  let fr = head;
  let sr = head;
  for (const c of rest) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = interior(c, fr);
      sr = interior(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = interior(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn === 0 && hex(fr) === firstRootHex && hex(sr) === secondRootHex;
}

export { hex as rfcHex };
