import { describe, expect, it } from "vitest";
import type { paths } from "../../clients/typescript/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

const BASE = "/api/v1/activity-logs";
type Query = NonNullable<paths[typeof BASE]["get"]["parameters"]["query"]>;

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
  const o = await testOrg();
  for (const occurred_at of TIMES) {
    const { response } = await api(o.mentor).POST(BASE, {
      body: { activity_type: "check_in", description: "Check-in", occurred_at },
    });
    expect(response.status).toBe(201);
  }
  return o;
}

/** One page of the list, which must answer 200. */
async function page(as: TokenClaims, query: Query) {
  const { data, error, response } = await api(as).GET(BASE, { params: { query } });
  expect(response.status, JSON.stringify(error)).toBe(200);
  if (!data) throw new Error("the activity log list answered no page");
  return data;
}

describe("keyset pagination of activity logs", () => {
  it("walks the same entries in the same order as page numbers do, ending with a null next_cursor", async () => {
    const o = await seeded();
    const all = await page(o.coordinator, { limit: 100 });
    expect(all.data).toHaveLength(TIMES.length);

    const walked: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < TIMES.length; pages += 1) {
      const next = await page(o.coordinator, cursor === null ? { limit: 2 } : { limit: 2, cursor });
      walked.push(...next.data.map((e) => e.log_id));
      expect(next.pagination.total).toBe(TIMES.length);
      cursor = next.next_cursor;
      if (cursor === null) break;
    }
    expect(cursor).toBeNull();
    expect(walked).toEqual(all.data.map((e) => e.log_id));
  });

  it("keeps filters and from/to across cursor pages", async () => {
    const o = await seeded();
    const range: Query = {
      from: "2026-03-21T00:00:00Z",
      to: "2026-03-22T23:59:59Z",
      mentor_id: "mentor-042",
    };
    const first = await page(o.coordinator, { limit: 3, ...range });
    expect(first.data).toHaveLength(3);
    expect(first.next_cursor).not.toBeNull();
    const second = await page(o.coordinator, { limit: 3, ...range, cursor: first.next_cursor ?? "" });
    expect(second.data.map((e) => e.occurred_at)).toEqual(["2026-03-21T09:00:00Z"]);
    expect(second.next_cursor).toBeNull();
  });

  it("offers a next_cursor on offset pages too, so a client can switch", async () => {
    const o = await seeded();
    const page2 = await page(o.coordinator, { limit: 2, page: 2 });
    expect(page2.next_cursor).not.toBeNull();
    const after = await page(o.coordinator, { limit: 2, cursor: page2.next_cursor ?? "" });
    const page3 = await page(o.coordinator, { limit: 2, page: 3 });
    expect(after.data).toEqual(page3.data);
  });

  it.each([
    ["not base64url", "%%%"],
    ["base64url of something else", Buffer.from('{"a":1}').toString("base64url")],
    ["a key of the wrong shape", Buffer.from("[1,2]").toString("base64url")],
  ])("answers 400 naming cursor for %s", async (_label, cursor) => {
    const o = await seeded();
    const { response, error } = await api(o.coordinator).GET(BASE, { params: { query: { cursor } } });
    expect(response.status).toBe(400);
    expect(error?.errors?.map((e) => e.path)).toEqual(["cursor"]);
  });

  it("refuses a cursor together with a page number", async () => {
    const o = await seeded();
    const first = await page(o.coordinator, { limit: 2 });
    expect(first.next_cursor).not.toBeNull();
    const { response, error } = await api(o.coordinator).GET(BASE, {
      params: { query: { page: 2, cursor: first.next_cursor ?? "" } },
    });
    expect(response.status).toBe(400);
    expect(error?.errors?.map((e) => e.path)).toEqual(["page"]);
  });
});
