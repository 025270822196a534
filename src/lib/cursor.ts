import { z } from "@hono/zod-openapi";

/**
 * Keyset pagination. A cursor is the sort key of the last row a page answered, as
 * base64url JSON; clients treat it as opaque. The next page starts strictly after that
 * key, so reaching it costs one index seek however deep it is, unlike OFFSET, which
 * walks every row it skips.
 */

/** A sort key is two strings (a time and an ID); this is far above any real cursor. */
const MAX_CURSOR_LENGTH = 512;

function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

function fromBase64Url(value: string): string | null {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) return null;
  try {
    const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      Uint8Array.from(binary, (c) => c.charCodeAt(0)),
    );
  } catch {
    return null;
  }
}

/** The sort key of a page's last row: (time, ID), newest first. */
export type SortKey = readonly [time: string, id: string];

const encodeCursor = (key: SortKey): string => toBase64Url(JSON.stringify(key));

function decodeCursor(cursor: string): SortKey | null {
  const text = fromBase64Url(cursor);
  if (text === null) return null;
  try {
    const key: unknown = JSON.parse(text);
    if (Array.isArray(key) && key.length === 2) {
      const [time, id]: unknown[] = key;
      if (typeof time === "string" && typeof id === "string") return [time, id];
    }
  } catch {
    return null;
  }
  return null;
}

/** The `cursor` query parameter: decoded to a sort key, or a 400 naming it. */
export const CursorQuery = z
  .string()
  .min(1)
  .max(MAX_CURSOR_LENGTH)
  .transform((value, ctx) => {
    const key = decodeCursor(value);
    if (key === null) {
      ctx.addIssue({ code: "custom", message: "Not a cursor; send back a next_cursor exactly as received" });
      return z.NEVER;
    }
    return key;
  })
  .openapi({
    type: "string",
    description:
      "Keyset pagination: the `next_cursor` of the previous page, sent back unchanged. The page then starts " +
      "right after the last entry of that page and costs the same however deep it is; `page` must then be " +
      "1 or absent. Opaque: its content may change between versions.",
    example: "WyIyMDI2LTAzLTE4VDEwOjAwOjAwWiIsImxvZ18wMDJiYmIiXQ",
  });

/** `next_cursor` of a page: the key of its last row when the page is full, else null (the end). */
export function nextCursor<T>(rows: readonly T[], limit: number, key: (row: T) => SortKey): string | null {
  const last = rows.at(-1);
  return rows.length === limit && last !== undefined ? encodeCursor(key(last)) : null;
}

export const NextCursorSchema = z.string().nullable().openapi({
  description:
    "Pass as `cursor` to get the next page; null when this page is the last. Cheaper than `page` for deep pages.",
  example: "WyIyMDI2LTAzLTE4VDEwOjAwOjAwWiIsImxvZ18wMDJiYmIiXQ",
});

/** A list takes a page number or a cursor, not both. */
export function pageOrCursor(query: { page: number; cursor?: unknown }, ctx: z.RefinementCtx): void {
  if (query.cursor !== undefined && query.page > 1) {
    ctx.addIssue({ code: "custom", path: ["page"], message: "Give either page or cursor, not both" });
  }
}
