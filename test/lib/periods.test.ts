import { describe, expect, it } from "vitest";
import { canonicalTimeZone, parseLocalDate, periodBounds, todayIn } from "../../src/lib/periods";

const HOUR_MS = 60 * 60 * 1000;

/** Length of a period in hours, counting its last second in full. */
const hours = ({ start, end }: { start: string; end: string }) =>
  (Date.parse(end) + 1000 - Date.parse(start)) / HOUR_MS;

describe("periodBounds", () => {
  it("takes a UTC month from its first to its last second", () => {
    expect(periodBounds("month", parseLocalDate("2026-03-15"), "UTC")).toEqual({
      start: "2026-03-01T00:00:00Z",
      end: "2026-03-31T23:59:59Z",
    });
  });

  it("takes a month in New York from local midnight in winter time to local midnight in summer time", () => {
    const bounds = periodBounds("month", parseLocalDate("2026-03-31"), "America/New_York");
    expect(bounds).toEqual({ start: "2026-03-01T05:00:00Z", end: "2026-04-01T03:59:59Z" });
    expect(hours(bounds)).toBe(31 * 24 - 1);
  });

  it("starts weeks on Monday, also for a Sunday and across a new year", () => {
    expect(periodBounds("week", parseLocalDate("2026-03-22"), "UTC")).toEqual({
      start: "2026-03-16T00:00:00Z",
      end: "2026-03-22T23:59:59Z",
    });
    expect(periodBounds("week", parseLocalDate("2026-03-16"), "UTC").start).toBe("2026-03-16T00:00:00Z");
    expect(periodBounds("week", parseLocalDate("2026-01-01"), "UTC")).toEqual({
      start: "2025-12-29T00:00:00Z",
      end: "2026-01-04T23:59:59Z",
    });
  });

  it("gives a week across the spring change 167 hours and one across the autumn change 169", () => {
    const spring = periodBounds("week", parseLocalDate("2026-03-08"), "America/New_York");
    expect(spring).toEqual({ start: "2026-03-02T05:00:00Z", end: "2026-03-09T03:59:59Z" });
    expect(hours(spring)).toBe(167);
    const autumn = periodBounds("week", parseLocalDate("2026-10-21"), "Europe/London");
    expect(autumn).toEqual({ start: "2026-10-18T23:00:00Z", end: "2026-10-25T23:59:59Z" });
    expect(hours(autumn)).toBe(169);
  });

  it("handles zones with half-hour offsets", () => {
    expect(periodBounds("day", parseLocalDate("2026-03-10"), "Asia/Kolkata")).toEqual({
      start: "2026-03-09T18:30:00Z",
      end: "2026-03-10T18:29:59Z",
    });
  });

  it("starts a day whose midnight is skipped at the jump (Havana springs from 00:00 to 01:00)", () => {
    const before = periodBounds("day", parseLocalDate("2026-03-07"), "America/Havana");
    const skipped = periodBounds("day", parseLocalDate("2026-03-08"), "America/Havana");
    expect(before).toEqual({ start: "2026-03-07T05:00:00Z", end: "2026-03-08T04:59:59Z" });
    expect(skipped.start).toBe("2026-03-08T05:00:00Z");
    expect(hours(before)).toBe(24);
    expect(hours(skipped)).toBe(23);
  });

  it("starts a day whose midnight happens twice at the first one (Havana falls back from 01:00 to 00:00)", () => {
    const repeated = periodBounds("day", parseLocalDate("2026-11-01"), "America/Havana");
    expect(repeated).toEqual({ start: "2026-11-01T04:00:00Z", end: "2026-11-02T04:59:59Z" });
    expect(hours(repeated)).toBe(25);
    expect(periodBounds("day", parseLocalDate("2026-10-31"), "America/Havana").end).toBe(
      "2026-11-01T03:59:59Z",
    );
  });

  it("takes a year from 1 January to 31 December", () => {
    expect(periodBounds("year", parseLocalDate("2026-07-04"), "Europe/Berlin")).toEqual({
      start: "2025-12-31T23:00:00Z",
      end: "2026-12-31T22:59:59Z",
    });
  });
});

describe("time zones", () => {
  it("answers the canonical name of a known zone and nothing for an unknown one", () => {
    expect(canonicalTimeZone("america/new_york")).toBe("America/New_York");
    expect(canonicalTimeZone("UTC")).toBe("UTC");
    expect(canonicalTimeZone("Mars/Olympus_Mons")).toBeUndefined();
    expect(canonicalTimeZone("")).toBeUndefined();
  });

  it("tells today's date as the zone's calendar shows it", () => {
    const instant = new Date("2026-04-01T03:30:00Z");
    expect(todayIn("America/New_York", instant)).toEqual({ year: 2026, month: 3, day: 31 });
    expect(todayIn("UTC", instant)).toEqual({ year: 2026, month: 4, day: 1 });
  });
});
