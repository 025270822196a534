import { z } from "@hono/zod-openapi";
import { RefId } from "../lib/fields";

export const MEMBER_ROLES = ["mentor", "coordinator", "admin", "compliance"] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** `system` is a service role for internal producers; it is never a member. */
export const ROLES = [...MEMBER_ROLES, "system"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from the verified token. */
export interface Caller {
  sub: string;
  org: string;
  roles: Role[];
  name: string | null;
}

/** The claims a token must carry; unknown roles are dropped rather than trusted. */
export const claimsSchema = z.object({
  // The member ID (SPEC §4), shaped as members' IDs are: so it can never be one of the changes
  // feed's shared audiences (`*`, `@members`), nor anything else that is not an ID.
  sub: RefId,
  // An organisation ID names its audit log's origin (`<origin>/<org>`), so it holds no space, `+` or line break.
  org: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  exp: z.number(),
  name: z.string().max(200).optional(),
  roles: z
    .array(z.string())
    .max(20)
    .transform((roles) => roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r))),
});

export function hasRole(caller: Caller, ...roles: Role[]): boolean {
  return caller.roles.some((r) => roles.includes(r));
}
