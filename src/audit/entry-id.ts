/** Audit entry IDs are the organisation's sequence number: `log-001`, `log-099`, `log-1000`. */
const ENTRY_ID_PREFIX = "log-";
const ENTRY_ID_MIN_DIGITS = 3;

/** What a well-formed entry ID looks like; at most 15 digits keeps the number exact. */
export const ENTRY_ID_PATTERN = /^log-\d{3,15}$/;

export function entryId(seq: number): string {
  return `${ENTRY_ID_PREFIX}${String(seq).padStart(ENTRY_ID_MIN_DIGITS, "0")}`;
}

/** The sequence number of an ID, or null when the ID is not the canonical form of one. */
export function entrySeq(id: string): number | null {
  if (!ENTRY_ID_PATTERN.test(id)) return null;
  const seq = Number(id.slice(ENTRY_ID_PREFIX.length));
  return seq >= 1 && entryId(seq) === id ? seq : null;
}
