import type { MemberRole, Role } from "../../src/auth/caller";
import { newOrg } from "./api";
import type { TokenClaims } from "./auth";
import { addMember } from "./members";

export interface DemoOrg {
  org: string;
  as: (sub: string, ...roles: Role[]) => TokenClaims;
  coordinator: TokenClaims;
  otherCoordinator: TokenClaims;
  admin: TokenClaims;
  compliance: TokenClaims;
}

/** A fresh organisation with the seed contracts' people in it. */
export async function demoOrg(): Promise<DemoOrg> {
  const org = newOrg();
  const people: [string, string, MemberRole[], boolean?][] = [
    ["mentor-042", "Sam Rivera", ["mentor"]],
    ["mentor-033", "Alex Chen", ["mentor"]],
    ["mentor-482", "Priya Nair", ["mentor"]],
    ["mentor-510", "Tomás García", ["mentor"]],
    ["mentor-999", "Former Mentor", ["mentor"], false],
    ["coord-007", "Jordan Lee", ["coordinator"]],
    ["coord-119", "Casey Morgan", ["coordinator"]],
    ["admin-007", "Riley Admin", ["admin"]],
    ["compliance-001", "Dana Compliance", ["compliance"]],
  ];
  for (const [id, name, roles, active] of people)
    await addMember(org, id, roles, { name, active: active ?? true });
  const as = (sub: string, ...roles: Role[]): TokenClaims => ({ sub, org, roles });
  return {
    org,
    as,
    coordinator: { ...as("coord-007", "coordinator"), name: "Jordan Lee" },
    otherCoordinator: as("coord-119", "coordinator"),
    admin: as("admin-007", "admin"),
    compliance: as("compliance-001", "compliance"),
  };
}
