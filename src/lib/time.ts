import { z } from "@hono/zod-openapi";

/** Formats an instant as ISO 8601 UTC with second precision: `2026-03-24T14:00:00Z`. */
export function toIsoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function nowIso(): string {
  return toIsoSeconds(new Date());
}

const MIN_YEAR = 1970;
const MAX_YEAR = 9999;

/** An ISO 8601 date-time with any offset, normalised to UTC with second precision. */
export const IsoDateTime = z.iso
  .datetime({ offset: true, local: false })
  .transform((value, ctx) => {
    const date = new Date(value);
    const year = date.getUTCFullYear();
    if (Number.isNaN(date.getTime()) || year < MIN_YEAR || year > MAX_YEAR) {
      ctx.addIssue({ code: "custom", message: `Expected a date-time between ${MIN_YEAR} and ${MAX_YEAR}` });
      return z.NEVER;
    }
    return toIsoSeconds(date);
  })
  .openapi({ type: "string", format: "date-time", example: "2026-03-24T14:00:00Z" });
