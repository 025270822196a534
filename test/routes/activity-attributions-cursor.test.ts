import { describe, expect, it } from "vitest";
import type { paths } from "../../clients/typescript/index";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

type ListQuery = NonNullable<paths["/api/v1/activity-attributions"]["get"]["parameters"]["query"]>;

/** Four mentors, two of them on the same date, so only attribution_id orders those two. */
const REGISTRATIONS = [
  ["mentor-042", "2026-03-20T09:00:00Z"],
  ["mentor-033", "2026-03-22T09:00:00Z"],
  ["mentor-482", "2026-03-22T09:00:00Z"],
  ["mentor-510", "2026-03-24T09:00:00Z"],
] as const;

describe("keyset pagination of attributions", () => {
  it("walks the same attributions in the same order as page numbers, ending with a null next_cursor", async () => {
    const o = await testOrg();
    const coordinator = api(o.coordinator);
    for (const [mentor_id, activity_date] of REGISTRATIONS) {
      const { response } = await coordinator.POST("/api/v1/activity-attributions", {
        body: { coordinator_id: "coord-007", mentor_id, activity_type_id: "workshop", activity_date },
      });
      expect(response.status).toBe(201);
    }
    const list = async (query: ListQuery) => {
      const { data, error } = await coordinator.GET("/api/v1/activity-attributions", { params: { query } });
      if (!data) throw new Error(`the attribution list answered no page: ${JSON.stringify(error)}`);
      return data;
    };
    const all = await list({ limit: 100 });
    expect(all.data).toHaveLength(REGISTRATIONS.length);

    const walked: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < REGISTRATIONS.length; pages += 1) {
      const page = await list(cursor === null ? { limit: 1 } : { limit: 1, cursor });
      walked.push(...page.data.map((a) => a.attribution_id));
      expect(page.pagination.total).toBe(REGISTRATIONS.length);
      cursor = page.next_cursor;
    }
    expect(walked).toEqual(all.data.map((a) => a.attribution_id));
    // A full last page still hands out a cursor; following it finds nothing more.
    if (cursor === null) throw new Error("the walk ended before its last page");
    const end = await list({ limit: 1, cursor });
    expect(end).toMatchObject({ data: [], next_cursor: null });
  });

  it("answers 400 naming cursor for a value that is not one", async () => {
    const o = await testOrg();
    const { error, response } = await api(o.coordinator).GET("/api/v1/activity-attributions", {
      params: { query: { cursor: "nope" } },
    });
    expect(response.status).toBe(400);
    expect(error?.errors?.map((e) => e.path)).toEqual(["cursor"]);
  });
});
