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

/**
 * An ISO 8601 date-time with any offset, normalised to UTC with second precision: a fraction of a
 * second is dropped (`up`: the instant rounds up to the next whole second instead).
 */
const isoDateTime = (rounding: "down" | "up") =>
  z.iso
    .datetime({ offset: true, local: false })
    .transform((value, ctx) => {
      const parsed = new Date(value);
      const date = rounding === "up" ? new Date(Math.ceil(parsed.getTime() / 1000) * 1000) : parsed;
      const year = date.getUTCFullYear();
      if (Number.isNaN(date.getTime()) || year < MIN_YEAR || year > MAX_YEAR) {
        ctx.addIssue({ code: "custom", message: `Expected a date-time between ${MIN_YEAR} and ${MAX_YEAR}` });
        return z.NEVER;
      }
      return toIsoSeconds(date);
    })
    .openapi({ type: "string", format: "date-time", example: "2026-03-24T14:00:00Z" });

/** A date-time value, or the upper bound of a range: a fraction of a second is dropped. */
export const IsoDateTime = isoDateTime("down");

/**
 * The lower bound of a range (`from`): a fraction of a second rounds up, so that nothing before
 * the bound is taken in (stored times have whole seconds).
 */
export const IsoDateTimeFrom = isoDateTime("up");
