import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Times are stored as ISO 8601 UTC text with second precision (`2026-03-24T14:00:00Z`), which sorts as time. */
const nowIso = sql`(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`;

export const members = sqliteTable(
  "members",
  {
    orgId: text("org_id").notNull(),
    memberId: text("member_id").notNull(),
    name: text("name").notNull(),
    /** JSON array of roles. */
    roles: text("roles", { mode: "json" }).$type<string[]>().notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: text("created_at").notNull().default(nowIso),
    updatedAt: text("updated_at").notNull().default(nowIso),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.memberId] }), index("members_org_name_idx").on(t.orgId, t.name)],
);

export const activityTypes = sqliteTable("activity_types", {
  id: text("id").primaryKey(),
  label: text("label").notNull(),
  category: text("category").notNull(),
});

export type MemberRow = typeof members.$inferSelect;
export type ActivityTypeRow = typeof activityTypes.$inferSelect;
