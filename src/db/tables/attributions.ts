import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { confirmationColumns } from "./columns.ts";

/**
 * A coordinator's registration of an activity on a mentor's behalf. Its activity
 * row (`pact-…`) lives in `activities` with the same attribution_id.
 */
export const attributions = sqliteTable(
  "attributions",
  {
    orgId: text("org_id").notNull(),
    attributionId: text("attribution_id").notNull(),
    activityId: text("activity_id").notNull(),
    mentorId: text("mentor_id").notNull(),
    coordinatorId: text("coordinator_id").notNull(),
    activityTypeId: text("activity_type_id").notNull(),
    activityDate: text("activity_date").notNull(),
    durationMinutes: integer("duration_minutes"),
    location: text("location"),
    notes: text("notes"),
    proxy: integer("proxy", { mode: "boolean" }).notNull(),
    entryMode: text("entry_mode", { enum: ["proxy", "bulk"] }).notNull(),
    batchId: text("batch_id"),
    ...confirmationColumns(),
    createdBy: text("created_by").notNull(),
    /** The audit event of the last write; ties that write's statements and outbox row together inside one batch. */
    lastEventId: text("last_event_id").notNull(),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.attributionId] }),
    uniqueIndex("attributions_org_mentor_type_date_uq").on(
      t.orgId,
      t.mentorId,
      t.activityTypeId,
      t.activityDate,
    ),
    index("attributions_org_date_idx").on(t.orgId, t.activityDate, t.attributionId),
    index("attributions_org_mentor_date_idx").on(t.orgId, t.mentorId, t.activityDate, t.attributionId),
    index("attributions_org_coord_date_idx").on(t.orgId, t.coordinatorId, t.activityDate, t.attributionId),
    index("attributions_org_type_date_idx").on(t.orgId, t.activityTypeId, t.activityDate, t.attributionId),
    // Serves ?confirmation_status= (a coordinator's view of disputes), in list order.
    index("attributions_org_confirmation_date_idx").on(
      t.orgId,
      t.confirmationStatus,
      t.activityDate,
      t.attributionId,
    ),
    index("attributions_org_event_idx").on(t.orgId, t.lastEventId),
    index("attributions_org_batch_idx").on(t.orgId, t.batchId),
  ],
);

/** How many attributions each organisation holds, kept by triggers like `activity_totals`. */
export const attributionTotals = sqliteTable("attribution_totals", {
  orgId: text("org_id").primaryKey(),
  total: integer("total").notNull(),
});

/** Per-organisation, per-day counters behind `attr-`, `pact-` and `batch-` IDs; never decremented. */
export const idCounters = sqliteTable(
  "id_counters",
  {
    orgId: text("org_id").notNull(),
    scope: text("scope").notNull(),
    day: text("day").notNull(),
    lastValue: integer("last_value").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.scope, t.day] })],
);

export interface BatchItem {
  mentor_id: string;
  status: "will_create" | "skipped" | "created";
  reason: "unknown_mentor" | "inactive_mentor" | "duplicate" | null;
  /** 1-based position among the mentors that will be created; numbers their IDs. */
  ordinal: number | null;
  /** Set once the batch is confirmed and this mentor's attribution exists. */
  attribution_id?: string | null;
}

/** A bulk registration: one activity for many mentors, previewed, then confirmed once. */
export const batches = sqliteTable(
  "batches",
  {
    orgId: text("org_id").notNull(),
    batchId: text("batch_id").notNull(),
    coordinatorId: text("coordinator_id").notNull(),
    createdBy: text("created_by").notNull(),
    activityTypeId: text("activity_type_id").notNull(),
    activityDate: text("activity_date").notNull(),
    durationMinutes: integer("duration_minutes"),
    location: text("location"),
    notes: text("notes"),
    mentorIds: text("mentor_ids", { mode: "json" }).$type<string[]>().notNull(),
    items: text("items", { mode: "json" }).$type<BatchItem[]>().notNull(),
    mentorCount: integer("mentor_count").notNull(),
    skippedCount: integer("skipped_count").notNull(),
    status: text("status", { enum: ["pending", "confirmed"] }).notNull(),
    createdAt: text("created_at").notNull(),
    confirmedAt: text("confirmed_at"),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.batchId] })],
);
export type AttributionRow = typeof attributions.$inferSelect;
export type BatchRow = typeof batches.$inferSelect;
