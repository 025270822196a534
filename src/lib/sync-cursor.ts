import { createHash } from "node:crypto";

/** Where a caller stands in its changes feed. */
export interface FeedPosition {
  /** The last `seq` read from the caller's records stream, and from the members stream. */
  records: number;
  members: number;
  /**
   * While a first sync pages through the records that existed when it started (up to this
   * `seq`), tombstones are left out: a client with nothing has nothing to delete. Null once
   * it is past them, and on the first page (the statement reads it then).
   */
  snapshotUntil: number | null;
}

/** Who a cursor is made for. */
export interface CursorOwner {
  org: string;
  sub: string;
  roles: readonly string[];
}

/**
 * The changes feed's cursor: base64url JSON of where the caller stands in each stream, and a
 * hash of who it was made for (organisation, member, roles), so another caller's cursor, or one
 * made before a role change, is refused rather than read with the wrong view. Opaque to clients.
 */
interface CursorBody {
  v: 1;
  /** The first 16 hex digits of SHA-256(org, sub, sorted roles). */
  b: string;
  r: number;
  m: number;
  s: number | null;
}

const VERSION = 1;

const toBase64Url = (text: string) => Buffer.from(text, "utf8").toString("base64url");

export function bindingOf(caller: CursorOwner): string {
  return createHash("sha256")
    .update(`${caller.org}\n${caller.sub}\n${[...caller.roles].sort().join(",")}`, "utf8")
    .digest("hex")
    .slice(0, 16);
}

export function encodeSyncCursor(caller: CursorOwner, position: FeedPosition): string {
  const body: CursorBody = {
    v: VERSION,
    b: bindingOf(caller),
    r: position.records,
    m: position.members,
    s: position.snapshotUntil,
  };
  return toBase64Url(JSON.stringify(body));
}

const isPosition = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

/** The cursor read back: a position, `malformed` (400) or `foreign` (another caller's or roles': 410). */
export function decodeSyncCursor(
  caller: CursorOwner,
  cursor: string,
): FeedPosition | "malformed" | "foreign" {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return "malformed";
  let body: Partial<Record<keyof CursorBody, unknown>>;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (typeof value !== "object" || value === null || Array.isArray(value)) return "malformed";
    body = value;
  } catch {
    return "malformed";
  }
  const { v, b, r, m, s } = body;
  if (v !== VERSION || typeof b !== "string" || !isPosition(r) || !isPosition(m)) return "malformed";
  if (s !== null && !isPosition(s)) return "malformed";
  if (b !== bindingOf(caller)) return "foreign";
  return { records: r, members: m, snapshotUntil: s };
}
