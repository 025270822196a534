import { expect } from "vitest";
import type { Role } from "../../src/auth/caller";
import { call, json, newOrg } from "./api";
import type { TokenClaims } from "./auth";
import { addMember } from "./members";

/**
 * A fresh organisation with one caller per role and a second mentor and coordinator, so a
 * test can aim at the caller's own things or at someone else's.
 */
export interface World {
  org: string;
  caller: Record<Role, TokenClaims>;
  admin: TokenClaims;
  otherMentor: string;
  otherCoordinator: string;
}

export const OTHER_MENTOR = "mentor-b";
export const OTHER_COORDINATOR = "coord-b";

export async function newWorld(label = "world"): Promise<World> {
  const org = newOrg(label);
  await addMember(org, "mentor-a", ["mentor"], { name: "Mentor A" });
  await addMember(org, OTHER_MENTOR, ["mentor"], { name: "Mentor B" });
  await addMember(org, "coord-a", ["coordinator"], { name: "Coordinator A" });
  await addMember(org, OTHER_COORDINATOR, ["coordinator"], { name: "Coordinator B" });
  await addMember(org, "admin-a", ["admin"], { name: "Admin A" });
  await addMember(org, "compliance-a", ["compliance"], { name: "Compliance A" });
  const as = (sub: string, role: Role): TokenClaims => ({ sub, org, roles: [role] });
  const caller: Record<Role, TokenClaims> = {
    mentor: as("mentor-a", "mentor"),
    coordinator: as("coord-a", "coordinator"),
    admin: as("admin-a", "admin"),
    compliance: as("compliance-a", "compliance"),
    // A service identity, never a member.
    system: as("svc-a", "system"),
  };
  return { org, caller, admin: caller.admin, otherMentor: OTHER_MENTOR, otherCoordinator: OTHER_COORDINATOR };
}

async function created<T>(res: Response, status = 201): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return json<T>(res);
}

let serial = 0;
/** A distinct activity_date each time, so registrations never collide as duplicates. */
function nextDate(): string {
  serial += 1;
  const day = new Date(Date.UTC(2026, 0, 1) + serial * 60_000);
  return `${day.toISOString().slice(0, 19)}Z`;
}

/** A self-entered activity log of `mentorId`, recorded by an admin. */
export async function activityLogOf(w: World, mentorId: string): Promise<string> {
  const body = {
    mentor_id: mentorId,
    activity_type: "check_in",
    description: "Weekly check-in",
    duration_minutes: 30,
    occurred_at: nextDate(),
  };
  return (
    await created<{ log_id: string }>(await call("POST", "/api/v1/activity-logs", { as: w.admin, body }))
  ).log_id;
}

export const attributionBody = (coordinatorId: string, mentorId: string) => ({
  activity_type_id: "workshop",
  activity_date: nextDate(),
  duration_minutes: 60,
  location: "Innovation Lab",
  notes: "Resume workshop",
  coordinator_id: coordinatorId,
  mentor_id: mentorId,
});

/** An attribution of `mentorId` registered by the coordinator `coordinatorId` itself. */
export async function attributionOf(w: World, coordinatorId: string, mentorId: string): Promise<string> {
  const as: TokenClaims = { sub: coordinatorId, org: w.org, roles: ["coordinator"] };
  const res = await call("POST", "/api/v1/activity-attributions", {
    as,
    body: attributionBody(coordinatorId, mentorId),
  });
  return (await created<{ attribution_id: string }>(res)).attribution_id;
}

export const batchBody = (coordinatorId: string, confirm = false) => {
  const { mentor_id: _mentor, ...activity } = attributionBody(coordinatorId, "");
  return { ...activity, mentor_ids: ["mentor-a", OTHER_MENTOR], confirm };
};

/** A pending bulk registration submitted by the coordinator `coordinatorId` itself. */
export async function pendingBatchOf(w: World, coordinatorId: string): Promise<string> {
  const as: TokenClaims = { sub: coordinatorId, org: w.org, roles: ["coordinator"] };
  const res = await call("POST", "/api/v1/activity-attributions/batches", {
    as,
    body: batchBody(coordinatorId),
  });
  return (await created<{ batch_id: string }>(res)).batch_id;
}

/** A proxy audit entry naming `coordinatorId`, appended by the system role. */
export async function auditEntryOf(w: World, coordinatorId: string): Promise<string> {
  const body = {
    action: "proxy_created",
    coordinator_id: coordinatorId,
    mentor_id: OTHER_MENTOR,
    activity_id: "pa-1",
  };
  return (
    await created<{ id: string }>(
      await call("POST", "/api/v1/proxy-audit-logs", { as: w.caller.system, body }),
    )
  ).id;
}

/**
 * The organisation as its list routes show it, read by an auditor without a member record (so
 * no member write can lock it out). The audit log is seen through its verified head: every
 * append, annotation and redaction moves it.
 */
export async function observe(w: World): Promise<string[]> {
  const observer: TokenClaims = { sub: "observer", org: w.org, roles: ["admin", "compliance"] };
  const paths = [
    "/api/v1/members?limit=100",
    "/api/v1/activity-logs?limit=100",
    "/api/v1/activity-attributions?limit=100",
    "/api/v1/proxy-audit-logs/verify",
  ];
  return Promise.all(
    paths.map(async (path) => {
      const res = await call("GET", path, { as: observer });
      const text = await res.text();
      expect(res.status, text).toBe(200);
      return text;
    }),
  );
}
