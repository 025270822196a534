import type { MemberRole, Role } from "../../src/auth/caller";
import { createDb, type Db } from "../../src/db/client";
import { members } from "../../src/db/schema";
import { newOrg } from "./api";
import type { TokenClaims } from "./auth";
import { d1Of, placeOrg } from "./databases";

/**
 * The one organisation fixture: a fresh organisation (so each test owns its rows) with the
 * people of the seed contracts, and a signed-in caller for each role.
 */
export interface TestOrg {
  org: string;
  /** The binding name of the database the directory placed it on (`DB_1`, …). */
  database: string;
  /** That database, for a test's own setup and checks. */
  d1: D1Database;
  db: Db;
  /** A caller of this organisation with the given roles (a member on record or not). */
  as: (sub: string, ...roles: Role[]) => TokenClaims;
  /** One caller per role: mentor-042, coord-007, admin-007, compliance-001 and a service identity. */
  caller: Record<Role, TokenClaims>;
  mentor: TokenClaims;
  coordinator: TokenClaims;
  admin: TokenClaims;
  compliance: TokenClaims;
  system: TokenClaims;
  /** A second mentor and coordinator, to aim at someone else's things. */
  otherMentor: TokenClaims;
  otherCoordinator: TokenClaims;
}

/** Who the fixture puts on record: ID, name, roles, active. */
export const PEOPLE: readonly [string, string, MemberRole[], boolean][] = [
  ["mentor-042", "Sam Rivera", ["mentor"], true],
  ["mentor-033", "Alex Chen", ["mentor"], true],
  ["mentor-482", "Priya Nair", ["mentor"], true],
  ["mentor-510", "Tomás García", ["mentor"], true],
  ["mentor-999", "Former Mentor", ["mentor"], false],
  ["coord-007", "Jordan Lee", ["coordinator"], true],
  ["coord-119", "Casey Morgan", ["coordinator"], true],
  ["admin-007", "Riley Admin", ["admin"], true],
  ["compliance-001", "Dana Compliance", ["compliance"], true],
];

const nameOf = (sub: string) => PEOPLE.find(([id]) => id === sub)?.[1];

/**
 * A fresh organisation with the seed contracts' people, placed as its first request would place
 * it (so the suite's organisations spread over the databases), or on `options.database`.
 */
export async function testOrg(label = "org", options: { database?: string } = {}): Promise<TestOrg> {
  const org = newOrg(label);
  const { database } = await placeOrg(org, options.database);
  const d1 = d1Of(database);
  const db = createDb(d1);
  // One statement for all of them: each test makes its own organisation, so this runs often.
  await db
    .insert(members)
    .values(PEOPLE.map(([memberId, name, roles, active]) => ({ orgId: org, memberId, name, roles, active })));
  const as = (sub: string, ...roles: Role[]): TokenClaims => {
    const name = nameOf(sub);
    return name === undefined ? { sub, org, roles } : { sub, org, roles, name };
  };
  const caller: Record<Role, TokenClaims> = {
    mentor: as("mentor-042", "mentor"),
    coordinator: as("coord-007", "coordinator"),
    admin: as("admin-007", "admin"),
    compliance: as("compliance-001", "compliance"),
    // A service identity, never a member.
    system: as("svc-audit", "system"),
  };
  return {
    org,
    database,
    d1,
    db,
    as,
    caller,
    ...caller,
    otherMentor: as("mentor-033", "mentor"),
    otherCoordinator: as("coord-119", "coordinator"),
  };
}
