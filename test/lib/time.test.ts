import { describe, expect, it } from "vitest";
import { IsoDateTime, IsoDateTimeFrom } from "../../src/lib/time";

describe("date-times of a request", () => {
  it("drop a fraction of a second from a value or an upper bound, and round a lower bound up past it", () => {
    expect(IsoDateTime.parse("2026-03-20T14:00:00.500Z")).toBe("2026-03-20T14:00:00Z");
    expect(IsoDateTimeFrom.parse("2026-03-20T14:00:00.500Z")).toBe("2026-03-20T14:00:01Z");
    expect(IsoDateTimeFrom.parse("2026-12-31T23:59:59.001Z")).toBe("2027-01-01T00:00:00Z");
    // Whole seconds and offsets are the same either way.
    for (const schema of [IsoDateTime, IsoDateTimeFrom]) {
      expect(schema.parse("2026-03-20T14:00:00Z")).toBe("2026-03-20T14:00:00Z");
      expect(schema.parse("2026-03-20T16:00:00+02:00")).toBe("2026-03-20T14:00:00Z");
    }
    expect(IsoDateTimeFrom.safeParse("9999-12-31T23:59:59.5Z").success).toBe(false);
  });
});
