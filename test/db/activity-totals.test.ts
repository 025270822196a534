import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { d1Of, placeOrg } from "../helpers/databases";
import { testOrg } from "../helpers/org";

const orgD1 = async (org: string) => d1Of((await placeOrg(org)).database);

async function countedRows(org: string): Promise<number> {
  const row = await (await orgD1(org))
    .prepare("select count(*) as n from activities where org_id = ?")
    .bind(org)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The total the list routes answer, which the running counts feed. */
async function listedTotal(
  as: TokenClaims,
  path: "/api/v1/activity-logs" | "/api/v1/activity-attributions" = "/api/v1/activity-logs",
): Promise<number> {
  const { data } = await api(as).GET(path, { params: { query: { limit: 1 } } });
  if (!data) throw new Error(`${path} answered no page`);
  return data.pagination.total;
}

async function countedAttributions(org: string): Promise<number> {
  const row = await (await orgD1(org))
    .prepare("select count(*) as n from attributions where org_id = ?")
    .bind(org)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

describe("the running counts of an organisation's activities and attributions", () => {
  it("matches the rows through self logs, registrations, bulk confirmations and deletes", async () => {
    const o = await testOrg();
    const check = async (expected: number, attributed: number) => {
      expect(await countedRows(o.org)).toBe(expected);
      expect(await listedTotal(o.admin)).toBe(expected);
      expect(await countedAttributions(o.org)).toBe(attributed);
      expect(await listedTotal(o.admin, "/api/v1/activity-attributions")).toBe(attributed);
    };
    await check(0, 0);

    const logged = await api(o.mentor).POST("/api/v1/activity-logs", {
      body: {
        activity_type: "check_in",
        description: "Weekly check-in",
        occurred_at: "2026-03-20T14:00:00Z",
      },
    });
    if (!logged.data) throw new Error(`the self log answered ${logged.response.status}`);
    await check(1, 0);

    const registration: components["schemas"]["CreateAttribution"] = {
      activity_type_id: "one-on-one",
      activity_date: "2026-03-24T14:00:00Z",
      coordinator_id: "coord-007",
      mentor_id: "mentor-033",
    };
    const coordinator = api(o.coordinator);
    const attribution = await coordinator.POST("/api/v1/activity-attributions", { body: registration });
    if (!attribution.data) throw new Error(`the registration answered ${attribution.response.status}`);
    // A refused registration (duplicate) changes nothing.
    const duplicate = await coordinator.POST("/api/v1/activity-attributions", { body: registration });
    expect(duplicate.response.status).toBe(409);
    await check(2, 1);

    const { mentor_id: _one, ...shared } = registration;
    const bulk = await coordinator.POST("/api/v1/activity-attributions/batches", {
      body: {
        ...shared,
        activity_type_id: "workshop",
        mentor_ids: ["mentor-042", "mentor-482", "nobody"],
        confirm: true,
      },
    });
    expect(bulk.response.status).toBe(201);
    await check(4, 3);

    const unlogged = await api(o.mentor).DELETE("/api/v1/activity-logs/{id}", {
      params: { path: { id: logged.data.log_id } },
    });
    expect(unlogged.response.status).toBe(200);
    const unattributed = await coordinator.DELETE("/api/v1/activity-attributions/{id}", {
      params: { path: { id: attribution.data.attribution_id } },
    });
    expect(unattributed.response.status).toBe(200);
    await check(2, 2);
  });

  it("keeps organisations apart", async () => {
    const a = await testOrg();
    const b = await testOrg();
    await api(a.mentor).POST("/api/v1/activity-logs", {
      body: { activity_type: "check_in", description: "Only in A", occurred_at: "2026-03-20T14:00:00Z" },
    });
    expect(await listedTotal(a.admin)).toBe(1);
    expect(await listedTotal(b.admin)).toBe(0);
  });
});
