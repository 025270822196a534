import { describe, expect, it } from "vitest";
import type { paths } from "../../clients/typescript/index";
import type { Role } from "../../src/auth/caller";
import { newOrg } from "../helpers/api";
import { api } from "../helpers/client";
import { addMember } from "../helpers/members";

const as = (org: string, sub: string, ...roles: Role[]) => ({ sub, org, roles });
const memberPath = "/api/v1/members/{member_id}";

describe("members", () => {
  it("lets an admin create a member (201) and then update it (200)", async () => {
    const org = newOrg();
    const admin = api(as(org, "admin-1", "admin"));
    const created = await admin.PUT(memberPath, {
      params: { path: { member_id: "mentor-042" } },
      body: { name: "Sam Rivera", roles: ["mentor"] },
    });
    expect(created.response.status).toBe(201);
    expect(created.data).toEqual({
      member_id: "mentor-042",
      name: "Sam Rivera",
      roles: ["mentor"],
      active: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: expect.stringMatching(/Z$/),
    });

    const updated = await admin.PUT(memberPath, {
      params: { path: { member_id: "mentor-042" } },
      body: { name: "Sam Rivera-Okafor", roles: ["mentor", "coordinator", "mentor"], active: false },
    });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({
      name: "Sam Rivera-Okafor",
      roles: ["mentor", "coordinator"],
      active: false,
    });
    const read = await api(as(org, "c1", "coordinator")).GET(memberPath, {
      params: { path: { member_id: "mentor-042" } },
    });
    expect(read.data).toMatchObject({ name: "Sam Rivera-Okafor", active: false });
  });

  it.each([["mentor"], ["coordinator"], ["compliance"], ["system"]] as const)(
    "refuses member writes to a %s, and changes nothing",
    async (role) => {
      const org = newOrg();
      await addMember(org, "mentor-1", ["mentor"], { name: "Before" });
      const refused = await api(as(org, `${role}-x`, role)).PUT(memberPath, {
        params: { path: { member_id: "mentor-1" } },
        body: { name: "After", roles: ["admin"] },
      });
      expect(refused.response.status).toBe(403);
      expect(refused.response.headers.get("Content-Type")).toBe("application/problem+json");
      const read = await api(as(org, "admin-1", "admin")).GET(memberPath, {
        params: { path: { member_id: "mentor-1" } },
      });
      expect(read.data).toMatchObject({ name: "Before", roles: ["mentor"] });
    },
  );

  it("refuses member reads to the system role", async () => {
    const { response } = await api(as(newOrg(), "svc", "system")).GET("/api/v1/members");
    expect(response.status).toBe(403);
  });

  it("answers 404 for another organisation's member, the same as a missing one", async () => {
    const orgA = newOrg();
    const orgB = newOrg();
    await addMember(orgA, "mentor-1", ["mentor"]);
    const adminB = api(as(orgB, "admin-b", "admin"));
    const fromB = await adminB.GET(memberPath, { params: { path: { member_id: "mentor-1" } } });
    expect(fromB.response.status).toBe(404);
    const missing = await adminB.GET(memberPath, { params: { path: { member_id: "nobody" } } });
    expect(missing.response.status).toBe(404);
    expect(fromB.error?.title).toBe(missing.error?.title);
    const listB = await adminB.GET("/api/v1/members");
    expect(listB.data?.pagination.total).toBe(0);
  });

  it("filters by role, active and name, and paginates by name", async () => {
    const org = newOrg();
    await addMember(org, "m1", ["mentor"], { name: "Alex Chen" });
    await addMember(org, "m2", ["mentor"], { name: "Sam Rivera", active: false });
    await addMember(org, "c1", ["coordinator", "mentor"], { name: "Jordan Lee" });
    await addMember(org, "a1", ["admin"], { name: "Riley 100%_Admin" });
    const reader = api(as(org, "m1", "mentor"));
    type Query = paths["/api/v1/members"]["get"]["parameters"]["query"];
    const list = async (query: Query) => {
      const { data } = await reader.GET("/api/v1/members", { params: { query } });
      if (!data) throw new Error("the member list answered no page");
      return data;
    };
    const ids = async (query: Query) => (await list(query)).data.map((m) => m.member_id);

    expect(await ids({ role: "mentor" })).toEqual(["m1", "c1", "m2"]);
    expect(await ids({ role: "mentor", active: "true" })).toEqual(["m1", "c1"]);
    expect(await ids({ active: "false" })).toEqual(["m2"]);
    expect(await ids({ q: "rIvEr" })).toEqual(["m2"]);
    // LIKE wildcards in q are matched literally.
    expect(await ids({ q: "100%_" })).toEqual(["a1"]);
    expect(await ids({ q: "%" })).toEqual(["a1"]);

    // A long search in four-byte characters is 800 bytes: more than D1 takes in a LIKE pattern (found by fuzzing).
    expect(await ids({ q: "\u{1D15E}".repeat(200) })).toEqual([]);
    expect(await ids({ q: "Riley 100%_Admin" })).toEqual(["a1"]);

    const page2 = await list({ limit: 1, page: 2 });
    expect(page2.data.map((m) => m.member_id)).toEqual(["c1"]);
    expect(page2.pagination).toEqual({ page: 2, limit: 1, total: 4 });
    const past = await list({ limit: 10, page: 5 });
    expect(past.data).toEqual([]);
    expect(past.pagination.total).toBe(4);
  });
});
