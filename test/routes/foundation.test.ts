import { describe, expect, it } from "vitest";
import { call, json, newOrg } from "../helpers/api";

describe("health", () => {
  it("answers ok without a token", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("lists activity types for a member", async () => {
    const res = await call("GET", "/api/v1/activity-types", {
      as: { sub: "m1", org: newOrg(), roles: ["mentor"] },
    });
    expect(res.status).toBe(200);
    const body = await json<{ data: unknown[] }>(res);
    expect(body.data).toHaveLength(7);
  });
});
