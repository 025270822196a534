import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { confirmationColumns, sqlNowIso } from "./columns.ts";

export const members = sqliteTable(
  "members",
  {
    orgId: text("org_id").notNull(),
    memberId: text("member_id").notNull(),
    name: text("name").notNull(),
    /** JSON array of roles. */
    roles: text("roles", { mode: "json" }).$type<string[]>().notNull(),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    createdAt: text("created_at").notNull().default(sqlNowIso),
    updatedAt: text("updated_at").notNull().default(sqlNowIso),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.memberId] }), index("members_org_name_idx").on(t.orgId, t.name)],
);

export const activityTypes = sqliteTable("activity_types", {
  id: text("id").primaryKey(),
  label: text("label").notNull(),
  category: text("category").notNull(),
});

/** `self`: entered through activity logs (by the mentor or an admin); `proxy`/`bulk`: registered by a coordinator. */
export const ENTRY_MODES = ["self", "proxy", "bulk"] as const;
export type EntryMode = (typeof ENTRY_MODES)[number];

/**
 * Everything a mentor did, whoever entered it. Activity logs write `self` rows (`log_…`);
 * attributions write `proxy` and `bulk` rows (`pact-…`) and link them through `attribution_id`.
 * Every index leads with org_id and ends with (occurred_at, activity_id), so each filter also
 * yields rows in list order (newest first, ID as tie-break) without a sort.
 */
export const activities = sqliteTable(
  "activities",
  {
    orgId: text("org_id").notNull(),
    activityId: text("activity_id").notNull(),
    mentorId: text("mentor_id").notNull(),
    activityType: text("activity_type")
      .notNull()
      .references(() => activityTypes.id),
    description: text("description").notNull(),
    contactId: text("contact_id"),
    durationMinutes: integer("duration_minutes"),
    location: text("location"),
    notes: text("notes"),
    occurredAt: text("occurred_at").notNull(),
    entryMode: text("entry_mode", { enum: ENTRY_MODES }).notNull(),
    attributionId: text("attribution_id"),
    batchId: text("batch_id"),
    ...confirmationColumns(),
    /** The app's own ID of an entry it queued offline (SPEC §10): unique per mentor, so a resend writes nothing. */
    clientRef: text("client_ref"),
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull().default(sqlNowIso),
    updatedAt: text("updated_at").notNull().default(sqlNowIso),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.activityId] }),
    uniqueIndex("activities_org_mentor_client_ref_uq")
      .on(t.orgId, t.mentorId, t.clientRef)
      .where(sql`${t.clientRef} is not null`),
    index("activities_org_occurred_idx").on(t.orgId, t.occurredAt, t.activityId),
    index("activities_org_mentor_occurred_idx").on(t.orgId, t.mentorId, t.occurredAt, t.activityId),
    index("activities_org_type_occurred_idx").on(t.orgId, t.activityType, t.occurredAt, t.activityId),
    index("activities_org_contact_occurred_idx").on(t.orgId, t.contactId, t.occurredAt, t.activityId),
    index("activities_org_mode_occurred_idx").on(t.orgId, t.entryMode, t.occurredAt, t.activityId),
    // Finds the activity of an attribution when the attribution is deleted.
    index("activities_org_attribution_idx").on(t.orgId, t.attributionId),
    check(
      "activities_entry_mode_check",
      sql`${t.entryMode} in (${sql.raw(ENTRY_MODES.map((mode) => `'${mode}'`).join(", "))})`,
    ),
  ],
);

export type MemberRow = typeof members.$inferSelect;
export type ActivityTypeRow = typeof activityTypes.$inferSelect;
export type ActivityRow = typeof activities.$inferSelect;

/**
 * How many activities each organisation holds, kept by triggers on `activities`
 * (see the activity_totals_triggers migration), so an unfiltered list's `total`
 * is one row read however large the organisation grows.
 */
export const activityTotals = sqliteTable("activity_totals", {
  orgId: text("org_id").primaryKey(),
  total: integer("total").notNull(),
});
