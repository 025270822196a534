import { describe, expect, it } from "vitest";
import { call, json } from "../helpers/api";
import { demoOrg } from "../helpers/org";

const BASE = "/api/v1/activity-logs";

interface Page {
  data: { log_id: string; occurred_at: string }[];
  pagination: { page: number; limit: number; total: number };
  next_cursor: string | null;
}

/** Seven entries of one mentor; three share one occurred_at, so only log_id orders them. */
const TIMES = [
  "2026-03-20T09:00:00Z",
  "2026-03-21T09:00:00Z",
  "2026-03-22T09:00:00Z",
  "2026-03-22T09:00:00Z",
  "2026-03-22T09:00:00Z",
  "2026-03-23T09:00:00Z",
  "2026-03-24T09:00:00Z",
];

async function seeded() {
  const demo = await demoOrg();
  const mentor = demo.as("mentor-042", "mentor");
  for (const occurred_at of TIMES) {
    const res = await call("POST", BASE, {
      as: mentor,
      body: { activity_type: "check_in", description: "Check-in", occurred_at },
    });
    expect(res.status).toBe(201);
  }
  return { demo, mentor };
}

describe("keyset pagination of activity logs", () => {
  it("walks the same entries in the same order as page numbers do, ending with a null next_cursor", async () => {
    const { demo } = await seeded();
    const all = await json<Page>(await call("GET", `${BASE}?limit=100`, { as: demo.coordinator }));
    expect(all.data).toHaveLength(TIMES.length);

    const walked: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < TIMES.length; pages += 1) {
      const query: string = cursor === null ? "" : `&cursor=${cursor}`;
      const page = await json<Page>(await call("GET", `${BASE}?limit=2${query}`, { as: demo.coordinator }));
      walked.push(...page.data.map((e) => e.log_id));
      expect(page.pagination.total).toBe(TIMES.length);
      cursor = page.next_cursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(walked).toEqual(all.data.map((e) => e.log_id));
  });

  it("keeps filters and from/to across cursor pages", async () => {
    const { demo } = await seeded();
    const range = "from=2026-03-21T00:00:00Z&to=2026-03-22T23:59:59Z&mentor_id=mentor-042";
    const first = await json<Page>(await call("GET", `${BASE}?limit=3&${range}`, { as: demo.coordinator }));
    expect(first.data).toHaveLength(3);
    const second = await json<Page>(
      await call("GET", `${BASE}?limit=3&${range}&cursor=${first.next_cursor}`, { as: demo.coordinator }),
    );
    expect(second.data.map((e) => e.occurred_at)).toEqual(["2026-03-21T09:00:00Z"]);
    expect(second.next_cursor).toBeNull();
  });

  it("offers a next_cursor on offset pages too, so a client can switch", async () => {
    const { demo } = await seeded();
    const page2 = await json<Page>(await call("GET", `${BASE}?limit=2&page=2`, { as: demo.coordinator }));
    const after = await json<Page>(
      await call("GET", `${BASE}?limit=2&cursor=${page2.next_cursor}`, { as: demo.coordinator }),
    );
    const page3 = await json<Page>(await call("GET", `${BASE}?limit=2&page=3`, { as: demo.coordinator }));
    expect(after.data).toEqual(page3.data);
  });

  it.each([
    ["not base64url", "%%%"],
    ["base64url of something else", Buffer.from('{"a":1}').toString("base64url")],
    ["a key of the wrong shape", Buffer.from("[1,2]").toString("base64url")],
  ])("answers 400 naming cursor for %s", async (_label, cursor) => {
    const { demo } = await seeded();
    const res = await call("GET", `${BASE}?cursor=${encodeURIComponent(cursor)}`, { as: demo.coordinator });
    expect(res.status).toBe(400);
    const problem = await json<{ errors: { path: string }[] }>(res);
    expect(problem.errors.map((e) => e.path)).toEqual(["cursor"]);
  });

  it("refuses a cursor together with a page number", async () => {
    const { demo } = await seeded();
    const first = await json<Page>(await call("GET", `${BASE}?limit=2`, { as: demo.coordinator }));
    const res = await call("GET", `${BASE}?page=2&cursor=${first.next_cursor}`, { as: demo.coordinator });
    expect(res.status).toBe(400);
    const problem = await json<{ errors: { path: string }[] }>(res);
    expect(problem.errors.map((e) => e.path)).toEqual(["page"]);
  });
});
