import { sha256Hex } from "./digest";

/** Hex digits of SHA-256 kept in a tag: 128 bits, plenty to tell versions apart. */
const TAG_HEX_DIGITS = 32;

/**
 * A strong ETag for one resource: a hash of its kind, organisation, ID and the
 * representation it is served as (which holds `updated_at`, or for attributions the
 * ID of the last write's event). Hashing the representation rather than `updated_at`
 * alone matters because times have second precision: two writes in one second must
 * still give two tags.
 */
export function entityTag(kind: string, orgId: string, id: string, representation: unknown): string {
  const digest = sha256Hex(`${kind}\n${orgId}\n${id}\n${JSON.stringify(representation)}`);
  return `"${digest.slice(0, TAG_HEX_DIGITS)}"`;
}
