import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, json } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { demoOrg } from "../helpers/org";

async function countedRows(org: string): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from activities where org_id = ?")
    .bind(org)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

async function listedTotal(as: TokenClaims, path = "/api/v1/activity-logs"): Promise<number> {
  const page = await json<{ pagination: { total: number } }>(await call("GET", `${path}?limit=1`, { as }));
  return page.pagination.total;
}

async function countedAttributions(org: string): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from attributions where org_id = ?")
    .bind(org)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("the running counts of an organisation's activities and attributions", () => {
  it("matches the rows through self logs, registrations, bulk confirmations and deletes", async () => {
    const o = await demoOrg();
    const mentor = o.as("mentor-042", "mentor");
    const check = async (expected: number, attributed: number) => {
      expect(await countedRows(o.org)).toBe(expected);
      expect(await listedTotal(o.admin)).toBe(expected);
      expect(await countedAttributions(o.org)).toBe(attributed);
      expect(await listedTotal(o.admin, "/api/v1/activity-attributions")).toBe(attributed);
    };
    await check(0, 0);

    const logged = await json<{ log_id: string }>(
      await call("POST", "/api/v1/activity-logs", {
        as: mentor,
        body: {
          activity_type: "check_in",
          description: "Weekly check-in",
          occurred_at: "2026-03-20T14:00:00Z",
        },
      }),
    );
    await check(1, 0);

    const registration = {
      activity_type_id: "one-on-one",
      activity_date: "2026-03-24T14:00:00Z",
      coordinator_id: "coord-007",
      mentor_id: "mentor-033",
    };
    const attribution = await json<{ attribution_id: string }>(
      await call("POST", "/api/v1/activity-attributions", { as: o.coordinator, body: registration }),
    );
    // A refused registration (duplicate) changes nothing.
    expect(
      (await call("POST", "/api/v1/activity-attributions", { as: o.coordinator, body: registration })).status,
    ).toBe(409);
    await check(2, 1);

    const { mentor_id: _one, ...shared } = registration;
    const bulk = await call("POST", "/api/v1/activity-attributions/batches", {
      as: o.coordinator,
      body: {
        ...shared,
        activity_type_id: "workshop",
        mentor_ids: ["mentor-042", "mentor-482", "nobody"],
        confirm: true,
      },
    });
    expect(bulk.status).toBe(201);
    await check(4, 3);

    expect((await call("DELETE", `/api/v1/activity-logs/${logged.log_id}`, { as: mentor })).status).toBe(200);
    expect(
      (
        await call("DELETE", `/api/v1/activity-attributions/${attribution.attribution_id}`, {
          as: o.coordinator,
        })
      ).status,
    ).toBe(200);
    await check(2, 2);
  });

  it("keeps organisations apart", async () => {
    const a = await demoOrg();
    const b = await demoOrg();
    await call("POST", "/api/v1/activity-logs", {
      as: a.as("mentor-042", "mentor"),
      body: { activity_type: "check_in", description: "Only in A", occurred_at: "2026-03-20T14:00:00Z" },
    });
    expect(await listedTotal(a.admin)).toBe(1);
    expect(await listedTotal(b.admin)).toBe(0);
  });
});
