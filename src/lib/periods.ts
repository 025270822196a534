import { toIsoSeconds } from "./time";

/** Calendar periods a summary can cover; weeks are ISO weeks, Monday to Sunday. */
export const PERIODS = ["day", "week", "month", "year"] as const;
export type Period = (typeof PERIODS)[number];

/** A calendar date as written in some time zone, month 1..12. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const SECOND_MS = 1000;
const DAY_MS = 24 * 60 * 60 * SECOND_MS;
const DAYS_PER_WEEK = 7;

function wallClock(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
}

/** The zone's canonical IANA name (`america/new_york` → `America/New_York`), or undefined if unknown. */
export function canonicalTimeZone(timeZone: string): string | undefined {
  try {
    return wallClock(timeZone).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** The wall-clock time a zone shows at an instant, as milliseconds of a UTC calendar. */
function wallTimeAt(clock: Intl.DateTimeFormat, instant: number): number {
  const parts = clock.formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(part("year"), part("month") - 1, part("day"), part("hour"), part("minute"), part("second"));
}

const offsetAt = (clock: Intl.DateTimeFormat, instant: number): number =>
  wallTimeAt(clock, instant) - Math.floor(instant / SECOND_MS) * SECOND_MS;

/**
 * The first instant of a local calendar day. Day numbers may overflow the month
 * (`day: 32`), as Date.UTC allows. Real zones change offset at most once within a
 * day either side, so the offsets a day before and a day after are the only
 * candidates. Where both fit (clocks turned back over midnight) the earlier wins;
 * where neither does, midnight was skipped and the day starts at the jump.
 */
function startOfLocalDay(clock: Intl.DateTimeFormat, date: LocalDate): number {
  const midnight = Date.UTC(date.year, date.month - 1, date.day);
  const offsetBefore = offsetAt(clock, midnight - DAY_MS);
  const offsetAfter = offsetAt(clock, midnight + DAY_MS);
  const fitting = [midnight - offsetBefore, midnight - offsetAfter]
    .filter((instant) => wallTimeAt(clock, instant) === midnight)
    .sort((a, b) => a - b);
  return fitting[0] ?? midnight - offsetBefore;
}

/** Today's date in a time zone. */
export function todayIn(timeZone: string, now: Date = new Date()): LocalDate {
  const wall = new Date(wallTimeAt(wallClock(timeZone), now.getTime()));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** Parses `YYYY-MM-DD`; the caller has validated the format. */
export function parseLocalDate(value: string): LocalDate {
  const [year = 0, month = 0, day = 0] = value.split("-").map(Number);
  return { year, month, day };
}

/** First day of the period holding `date`, and first day of the next one. */
function periodDays(period: Period, { year, month, day }: LocalDate): [LocalDate, LocalDate] {
  switch (period) {
    case "day":
      return [
        { year, month, day },
        { year, month, day: day + 1 },
      ];
    case "week": {
      const daysSinceMonday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % DAYS_PER_WEEK;
      const monday = day - daysSinceMonday;
      return [
        { year, month, day: monday },
        { year, month, day: monday + DAYS_PER_WEEK },
      ];
    }
    case "month":
      return [
        { year, month, day: 1 },
        { year, month: month + 1, day: 1 },
      ];
    case "year":
      return [
        { year, month: 1, day: 1 },
        { year: year + 1, month: 1, day: 1 },
      ];
  }
}

/**
 * The UTC instants bounding the local calendar period that holds `date` in
 * `timeZone`: `start` is its first second, `end` its last (inclusive), both
 * ISO 8601 with `Z`, so a period across a DST change spans 23, 25, 167 or 169 hours.
 */
export function periodBounds(
  period: Period,
  date: LocalDate,
  timeZone: string,
): { start: string; end: string } {
  const clock = wallClock(timeZone);
  const [first, next] = periodDays(period, date);
  const start = startOfLocalDay(clock, first);
  const end = startOfLocalDay(clock, next) - SECOND_MS;
  return { start: toIsoSeconds(new Date(start)), end: toIsoSeconds(new Date(end)) };
}
