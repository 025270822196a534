/**
 * The shape of an RFC 9162 inclusion proof (§2.1.3.2), free of hashing so that a verifier can
 * fold it with whichever SHA-256 it has: Node's synchronous one (merkle.ts) or WebCrypto's
 * asynchronous one (the statement verifier, in a browser).
 */

/** Where each hash of an audit path joins the running hash, from the leaf up. */
export type PathSide = "left" | "right";

/**
 * For each of the `pathLength` hashes of the audit path of leaf `index` in a tree of `size`
 * leaves, whether it is the left or the right child of the node it makes; null when no path of
 * that length proves that leaf in that tree.
 */
export function inclusionSides(index: number, size: number, pathLength: number): PathSide[] | null {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return null;
  let fn = index;
  let sn = size - 1;
  const sides: PathSide[] = [];
  for (let i = 0; i < pathLength; i += 1) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      sides.push("left");
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sides.push("right");
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? sides : null;
}
