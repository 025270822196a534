/**
 * The audit log's Merkle tree (RFC 9162 §2.1), free of storage so the object, the export check
 * and the witness share it, in the Worker and in Node.
 *
 * - leaf hash = SHA-256(0x00 ‖ the 32 bytes of an entry's `payload_hash`), leaf index = seq − 1;
 * - interior node = SHA-256(0x01 ‖ left ‖ right); the empty tree's root = SHA-256 of nothing;
 * - MTH(D[n]) for n > 1 splits at k, the largest power of two below n.
 *
 * Stored nodes are the complete subtrees: node (level, index) covers leaves
 * [index·2^level, (index+1)·2^level) and, once written, never changes. Any range the RFC's
 * recursion asks for splits into O(log n) of them, so a root, an inclusion proof and a
 * consistency proof each read O(log n) nodes.
 */
import { createHash } from "node:crypto";
import { inclusionSides } from "./inclusion.ts";

export type Hash = Uint8Array;

const LEAF_PREFIX = Uint8Array.of(0x00);
const NODE_PREFIX = Uint8Array.of(0x01);

function sha256(...parts: Uint8Array[]): Hash {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

export const EMPTY_ROOT: Hash = sha256();

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));

const HEX_HASH = /^[0-9a-f]{64}$/;

/** The leaf of an entry, from its hex `payload_hash`. */
export function leafHash(payloadHashHex: string): Hash {
  if (!HEX_HASH.test(payloadHashHex)) throw new TypeError("A payload hash is 64 lowercase hex digits");
  return sha256(LEAF_PREFIX, fromHex(payloadHashHex));
}

export const nodeHash = (left: Hash, right: Hash): Hash => sha256(NODE_PREFIX, left, right);

export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i += 1) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => n > 0 && (n & (n - 1)) === 0;

/** Where the complete subtrees a tree is built from are read. */
export interface NodeReader {
  /** The complete subtree of 2^level leaves starting at leaf index·2^level. */
  node(level: number, index: number): Hash;
}

/** MTH(D[start:start+size]) from stored complete subtrees. */
export function subtreeHash(reader: NodeReader, start: number, size: number): Hash {
  if (size === 0) return EMPTY_ROOT;
  if (isPowerOfTwo(size) && start % size === 0) return reader.node(Math.log2(size), start / size);
  const k = splitPoint(size);
  return nodeHash(subtreeHash(reader, start, k), subtreeHash(reader, start + k, size - k));
}

export const rootHash = (reader: NodeReader, size: number): Hash => subtreeHash(reader, 0, size);

/** PATH(m, D[start:start+size]) of RFC 9162 §2.1.3.1, leaf side first. */
function path(reader: NodeReader, m: number, start: number, size: number): Hash[] {
  if (size <= 1) return [];
  const k = splitPoint(size);
  if (m < k) return [...path(reader, m, start, k), subtreeHash(reader, start + k, size - k)];
  return [...path(reader, m - k, start + k, size - k), subtreeHash(reader, start, k)];
}

/** The audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionProof(reader: NodeReader, index: number, size: number): Hash[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`Leaf ${index} is not in a tree of ${size}`);
  return path(reader, index, 0, size);
}

/** SUBPROOF(m, D[start:start+size], b) of RFC 9162 §2.1.4.1. */
function subproof(reader: NodeReader, m: number, start: number, size: number, complete: boolean): Hash[] {
  if (m === size) return complete ? [] : [subtreeHash(reader, start, size)];
  const k = splitPoint(size);
  if (m <= k) return [...subproof(reader, m, start, k, complete), subtreeHash(reader, start + k, size - k)];
  return [...subproof(reader, m - k, start + k, size - k, false), subtreeHash(reader, start, k)];
}

/** The consistency proof from the tree of `from` leaves to the tree of `to`; empty when from is 0 or to. */
export function consistencyProof(reader: NodeReader, from: number, to: number): Hash[] {
  if (!(from >= 0 && from <= to)) throw new RangeError(`No consistency proof from ${from} to ${to}`);
  if (from === 0 || from === to) return [];
  return subproof(reader, from, 0, to, true);
}

/** Verifies an audit path (RFC 9162 §2.1.3.2). */
export function verifyInclusion(leaf: Hash, index: number, size: number, proof: Hash[], root: Hash): boolean {
  const sides = inclusionSides(index, size, proof.length);
  if (sides === null) return false;
  let r = leaf;
  proof.forEach((p, i) => {
    r = sides[i] === "left" ? nodeHash(p, r) : nodeHash(r, p);
  });
  return sameHash(r, root);
}

/** Verifies a consistency proof between two roots (RFC 9162 §2.1.4.2). */
export function verifyConsistency(
  from: number,
  to: number,
  proof: Hash[],
  fromRoot: Hash,
  toRoot: Hash,
): boolean {
  if (from > to) return false;
  if (from === to) return proof.length === 0 && sameHash(fromRoot, toRoot);
  if (from === 0) return proof.length === 0;
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : proof;
  const [first, ...rest] = path;
  if (first === undefined) return false;
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = first;
  let sr = first;
  for (const c of rest) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && sameHash(fr, fromRoot) && sameHash(sr, toRoot);
}

/**
 * A tree grown leaf by leaf while holding only its right edge: the complete subtrees of the
 * leaves so far, largest first (at most log n of them). Appending a leaf answers the nodes that
 * become complete, for storing; the root folds the edge from the right.
 */
export class MerkleFrontier {
  private readonly edge: { level: number; hash: Hash }[];
  private count: number;

  constructor(size = 0, edge: { level: number; hash: Hash }[] = []) {
    this.count = size;
    this.edge = [...edge];
  }

  /** Where the edge of a tree of `size` leaves is: its complete subtrees, largest first. */
  static edgeOf(size: number): { level: number; index: number }[] {
    const edge: { level: number; index: number }[] = [];
    let start = 0;
    for (let level = 52; level >= 0; level -= 1) {
      const span = 2 ** level;
      if (size - start >= span) {
        edge.push({ level, index: start / span });
        start += span;
      }
    }
    return edge;
  }

  /** The edge of a stored tree of `size` leaves, read from its complete subtrees. */
  static of(reader: NodeReader, size: number): MerkleFrontier {
    const edge = MerkleFrontier.edgeOf(size).map(({ level, index }) => ({
      level,
      hash: reader.node(level, index),
    }));
    return new MerkleFrontier(size, edge);
  }

  get size(): number {
    return this.count;
  }

  /** The edge, largest subtree first, as a progress record can keep it. */
  get subtrees(): readonly { level: number; hash: Hash }[] {
    return this.edge;
  }

  /** Adds the next leaf; answers every node (level, index) this completes, the leaf included. */
  append(leaf: Hash): { level: number; index: number; hash: Hash }[] {
    const made = [{ level: 0, index: this.count, hash: leaf }];
    let hash = leaf;
    let level = 0;
    let top = this.edge.at(-1);
    while (top !== undefined && top.level === level) {
      this.edge.pop();
      hash = nodeHash(top.hash, hash);
      level += 1;
      made.push({ level, index: this.count >> level, hash });
      top = this.edge.at(-1);
    }
    this.edge.push({ level, hash });
    this.count += 1;
    return made;
  }

  root(): Hash {
    let hash: Hash | undefined;
    for (let i = this.edge.length - 1; i >= 0; i -= 1) {
      const node = this.edge[i];
      if (node === undefined) continue;
      hash = hash === undefined ? node.hash : nodeHash(node.hash, hash);
    }
    return hash ?? EMPTY_ROOT;
  }
}
