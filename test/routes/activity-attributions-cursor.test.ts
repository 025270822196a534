import { describe, expect, it } from "vitest";
import { call, json } from "../helpers/api";
import { demoOrg } from "../helpers/org";

const BASE = "/api/v1/activity-attributions";

interface Page {
  data: { attribution_id: string; activity_date: string }[];
  pagination: { total: number };
  next_cursor: string | null;
}

/** Four mentors, two of them on the same date, so only attribution_id orders those two. */
const REGISTRATIONS = [
  ["mentor-042", "2026-03-20T09:00:00Z"],
  ["mentor-033", "2026-03-22T09:00:00Z"],
  ["mentor-482", "2026-03-22T09:00:00Z"],
  ["mentor-510", "2026-03-24T09:00:00Z"],
] as const;

describe("keyset pagination of attributions", () => {
  it("walks the same attributions in the same order as page numbers, ending with a null next_cursor", async () => {
    const demo = await demoOrg();
    for (const [mentor_id, activity_date] of REGISTRATIONS) {
      const res = await call("POST", BASE, {
        as: demo.coordinator,
        body: { coordinator_id: "coord-007", mentor_id, activity_type_id: "workshop", activity_date },
      });
      expect(res.status).toBe(201);
    }
    const all = await json<Page>(await call("GET", `${BASE}?limit=100`, { as: demo.coordinator }));
    expect(all.data).toHaveLength(REGISTRATIONS.length);

    const walked: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < REGISTRATIONS.length; pages += 1) {
      const query: string = cursor === null ? "" : `&cursor=${cursor}`;
      const page = await json<Page>(await call("GET", `${BASE}?limit=1${query}`, { as: demo.coordinator }));
      walked.push(...page.data.map((a) => a.attribution_id));
      expect(page.pagination.total).toBe(REGISTRATIONS.length);
      cursor = page.next_cursor;
    }
    expect(walked).toEqual(all.data.map((a) => a.attribution_id));
    const end = await json<Page>(
      await call("GET", `${BASE}?limit=1&cursor=${cursor}`, { as: demo.coordinator }),
    );
    expect(end).toMatchObject({ data: [], next_cursor: null });
  });

  it("answers 400 naming cursor for a value that is not one", async () => {
    const demo = await demoOrg();
    const res = await call("GET", `${BASE}?cursor=nope`, { as: demo.coordinator });
    expect(res.status).toBe(400);
    const problem = await json<{ errors: { path: string }[] }>(res);
    expect(problem.errors.map((e) => e.path)).toEqual(["cursor"]);
  });
});
