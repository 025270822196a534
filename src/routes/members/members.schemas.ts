import { z } from "@hono/zod-openapi";
import { MEMBER_ROLES } from "../../auth/caller";
import { MAX_NAME_LENGTH } from "../../lib/limits";
import { BooleanQuery, pageOf, pageQuery } from "../../lib/openapi";

export const MemberSchema = z
  .object({
    member_id: z.string().openapi({ example: "mentor-042" }),
    name: z.string().openapi({ example: "Sam Rivera" }),
    roles: z.array(z.enum(MEMBER_ROLES)).openapi({ example: ["mentor"] }),
    active: z.boolean().openapi({ example: true }),
    created_at: z.string().openapi({ example: "2026-03-01T09:00:00Z" }),
    updated_at: z.string().openapi({ example: "2026-03-01T09:00:00Z" }),
  })
  .openapi("Member");

export const MemberInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(MAX_NAME_LENGTH).openapi({ example: "Sam Rivera" }),
    roles: z
      .array(z.enum(MEMBER_ROLES))
      .min(1)
      .max(MEMBER_ROLES.length)
      .transform((roles) => [...new Set(roles)])
      .openapi({ example: ["mentor"] }),
    active: z.boolean().default(true).openapi({ example: true }),
  })
  .openapi("MemberInput");

export const MemberListQuery = z.object({
  ...pageQuery(),
  role: z.enum(MEMBER_ROLES).optional().openapi({ description: "Only members holding this role" }),
  active: BooleanQuery.optional().openapi({ description: "Only active (true) or inactive (false) members" }),
  q: z.string().trim().min(1).max(MAX_NAME_LENGTH).optional().openapi({
    description: "Case-insensitive substring of the name",
  }),
});

export const MemberPage = pageOf(MemberSchema).openapi("MemberPage");
