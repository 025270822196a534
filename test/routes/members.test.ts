import { describe, expect, it } from "vitest";
import type { Role } from "../../src/auth/caller";
import { call, json, newOrg } from "../helpers/api";
import { addMember } from "../helpers/members";

interface Member {
  member_id: string;
  name: string;
  roles: string[];
  active: boolean;
  created_at: string;
  updated_at: string;
}
interface MemberPage {
  data: Member[];
  pagination: { page: number; limit: number; total: number };
}

const as = (org: string, sub: string, ...roles: Role[]) => ({ sub, org, roles });

describe("members", () => {
  it("lets an admin create a member (201) and then update it (200)", async () => {
    const org = newOrg();
    const admin = as(org, "admin-1", "admin");
    const created = await call("PUT", "/api/v1/members/mentor-042", {
      as: admin,
      body: { name: "Sam Rivera", roles: ["mentor"] },
    });
    expect(created.status).toBe(201);
    const member = await json<Member>(created);
    expect(member).toEqual({
      member_id: "mentor-042",
      name: "Sam Rivera",
      roles: ["mentor"],
      active: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated_at: expect.stringMatching(/Z$/),
    });

    const updated = await call("PUT", "/api/v1/members/mentor-042", {
      as: admin,
      body: { name: "Sam Rivera-Okafor", roles: ["mentor", "coordinator", "mentor"], active: false },
    });
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({
      name: "Sam Rivera-Okafor",
      roles: ["mentor", "coordinator"],
      active: false,
    });
    const read = await call("GET", "/api/v1/members/mentor-042", { as: as(org, "c1", "coordinator") });
    expect(await json(read)).toMatchObject({ name: "Sam Rivera-Okafor", active: false });
  });

  it.each([["mentor"], ["coordinator"], ["compliance"], ["system"]] as const)(
    "refuses member writes to a %s, and changes nothing",
    async (role) => {
      const org = newOrg();
      await addMember(org, "mentor-1", ["mentor"], { name: "Before" });
      const res = await call("PUT", "/api/v1/members/mentor-1", {
        as: as(org, `${role}-x`, role),
        body: { name: "After", roles: ["admin"] },
      });
      expect(res.status).toBe(403);
      expect(res.headers.get("Content-Type")).toBe("application/problem+json");
      const read = await call("GET", "/api/v1/members/mentor-1", { as: as(org, "admin-1", "admin") });
      expect(await json(read)).toMatchObject({ name: "Before", roles: ["mentor"] });
    },
  );

  it("refuses member reads to the system role", async () => {
    const res = await call("GET", "/api/v1/members", { as: as(newOrg(), "svc", "system") });
    expect(res.status).toBe(403);
  });

  it("answers 404 for another organisation's member, the same as a missing one", async () => {
    const orgA = newOrg();
    const orgB = newOrg();
    await addMember(orgA, "mentor-1", ["mentor"]);
    const fromB = await call("GET", "/api/v1/members/mentor-1", { as: as(orgB, "admin-b", "admin") });
    expect(fromB.status).toBe(404);
    const missing = await call("GET", "/api/v1/members/nobody", { as: as(orgB, "admin-b", "admin") });
    expect(missing.status).toBe(404);
    expect((await json(fromB)).title).toBe((await json(missing)).title);
    const listB = await json<MemberPage>(
      await call("GET", "/api/v1/members", { as: as(orgB, "admin-b", "admin") }),
    );
    expect(listB.pagination.total).toBe(0);
  });

  it("filters by role, active and name, and paginates by name", async () => {
    const org = newOrg();
    await addMember(org, "m1", ["mentor"], { name: "Alex Chen" });
    await addMember(org, "m2", ["mentor"], { name: "Sam Rivera", active: false });
    await addMember(org, "c1", ["coordinator", "mentor"], { name: "Jordan Lee" });
    await addMember(org, "a1", ["admin"], { name: "Riley 100%_Admin" });
    const reader = as(org, "m1", "mentor");
    const list = async (query: string) =>
      json<MemberPage>(await call("GET", `/api/v1/members${query}`, { as: reader }));

    const mentors = await list("?role=mentor");
    expect(mentors.data.map((m) => m.member_id)).toEqual(["m1", "c1", "m2"]);
    expect((await list("?role=mentor&active=true")).data.map((m) => m.member_id)).toEqual(["m1", "c1"]);
    expect((await list("?active=false")).data.map((m) => m.member_id)).toEqual(["m2"]);
    expect((await list("?q=rIvEr")).data.map((m) => m.member_id)).toEqual(["m2"]);
    // LIKE wildcards in q are matched literally.
    expect((await list("?q=100%25_")).data.map((m) => m.member_id)).toEqual(["a1"]);
    expect((await list("?q=%25")).data.map((m) => m.member_id)).toEqual(["a1"]);

    const page2 = await list("?limit=1&page=2");
    expect(page2.data.map((m) => m.member_id)).toEqual(["c1"]);
    expect(page2.pagination).toEqual({ page: 2, limit: 1, total: 4 });
    const past = await list("?limit=10&page=5");
    expect(past.data).toEqual([]);
    expect(past.pagination.total).toBe(4);
  });
});
