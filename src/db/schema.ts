import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Times are stored as ISO 8601 UTC text with second precision (`2026-03-24T14:00:00Z`), which sorts as time. */
export const sqlNowIso = sql`(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`;

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
 * Where the mentor stands on an activity registered in its name (SPEC §11): a coordinator's
 * registration is `pending` until the mentor confirms or disputes it; a mentor's own entries are
 * `confirmed` from the start. Disputed activities leave the mentor's totals.
 */
export const CONFIRMATION_STATUSES = ["pending", "confirmed", "disputed"] as const;
export type ConfirmationStatus = (typeof CONFIRMATION_STATUSES)[number];

/**
 * The confirmation columns attributions and activities share: the status, and who last
 * confirmed or disputed, when, and why (a dispute's reason). The activity keeps a copy of its
 * attribution's, written in the same batch, so summaries filter on it without a join. A row
 * nobody vouched for is `pending`: the writer of a mentor's own entries sets `confirmed` itself.
 */
const confirmationColumns = () => ({
  confirmationStatus: text("confirmation_status", { enum: CONFIRMATION_STATUSES })
    .notNull()
    .default("pending"),
  confirmationBy: text("confirmation_by"),
  confirmationAt: text("confirmation_at"),
  confirmationReason: text("confirmation_reason"),
});

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

/**
 * Audit events written in the same D1 batch as the data they describe, then
 * appended to the organisation's audit object and deleted. What is left here is
 * drained by the scheduled handler.
 */
export const auditOutbox = sqliteTable(
  "audit_outbox",
  {
    eventId: text("event_id").primaryKey(),
    orgId: text("org_id").notNull(),
    payload: text("payload").notNull(),
    createdAt: text("created_at").notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [
    index("audit_outbox_created_idx").on(t.createdAt, t.eventId),
    // An organisation's events, for copying and checking them when it moves to another database.
    index("audit_outbox_org_idx").on(t.orgId, t.eventId),
  ],
);

export type AttributionRow = typeof attributions.$inferSelect;
export type BatchRow = typeof batches.$inferSelect;

/**
 * Responses remembered per `Idempotency-Key`, scoped to the organisation and the
 * caller, so a client that lost a response can retry a POST without doing it twice.
 * A row without `response_status` is a request still running; `locked_until` bounds
 * how long a crashed request can hold its key, and `claim_id` names the request that holds
 * it, so a write batch can require that its request still does (the view
 * `idempotency_leases` and its trigger, hand-written in migration 0011). The scheduled
 * handler deletes expired rows.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    orgId: text("org_id").notNull(),
    callerId: text("caller_id").notNull(),
    key: text("key").notNull(),
    /** SHA-256 (hex) of the method, path and body of the first request. */
    fingerprint: text("fingerprint").notNull(),
    responseStatus: integer("response_status"),
    /** JSON object of the replayed headers (content type, ETag, Location). */
    responseHeaders: text("response_headers", { mode: "json" }).$type<Record<string, string>>(),
    responseBody: text("response_body"),
    /**
     * JSON `{kind, id, version}` when the replayed ETag is derived from the stored body (it
     * hashes the representation, which SQL cannot): the tag of `kind`/`id` over the body with
     * `version`'s fields added, as the resource's own tag is computed.
     */
    responseTag: text("response_tag", { mode: "json" }).$type<StoredTagBasis>(),
    /** The request that holds the key: a fresh ID for each claim, and each takeover. */
    claimId: text("claim_id").notNull().default(""),
    createdAt: text("created_at").notNull(),
    lockedUntil: text("locked_until").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.callerId, t.key] }),
    index("idempotency_keys_expires_idx").on(t.expiresAt),
  ],
);

/** What a replayed ETag is computed from, besides the stored body (see `responseTag`). */
export interface StoredTagBasis {
  kind: string;
  id: string;
  version: Record<string, unknown>;
}

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;

/**
 * The changes feed (SPEC §10), kept by triggers on activities, attributions and members (see the
 * sync migration), so no write path can miss it. One row per record and audience, compacted: a
 * record's latest change moves its row to the organisation's next sequence number.
 *
 * `audience` is who sees the row: a mentor's ID (its own activity logs, the attributions naming
 * it), `*` (the organisation's readers: coordinators, admins, compliance) or `@members` (everyone).
 * A record that leaves a mentor's view (moved to another mentor, deleted) keeps that mentor's row
 * as `op = 'delete'`, a tombstone, until the cron prunes it after SYNC_RETENTION_DAYS.
 */
export const syncChanges = sqliteTable(
  "sync_changes",
  {
    orgId: text("org_id").notNull(),
    type: text("type", { enum: ["activity_log", "attribution", "member"] }).notNull(),
    recordId: text("record_id").notNull(),
    audience: text("audience").notNull(),
    seq: integer("seq").notNull(),
    op: text("op", { enum: ["upsert", "delete"] }).notNull(),
    changedAt: text("changed_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.type, t.recordId, t.audience] }),
    // A page of one audience's feed, in commit order.
    index("sync_changes_feed_idx").on(t.orgId, t.audience, t.seq),
    // The cron's prune of old tombstones.
    index("sync_changes_tombstones_idx").on(t.orgId, t.changedAt).where(sql`${t.op} = 'delete'`),
  ],
);

/**
 * Per organisation: the last sequence number the feed handed out, and the watermark below which
 * tombstones were pruned (a cursor below it answers 410).
 */
export const syncCounters = sqliteTable("sync_counters", {
  orgId: text("org_id").primaryKey(),
  seq: integer("seq").notNull().default(0),
  watermark: integer("watermark").notNull().default(0),
});

export type SyncChangeRow = typeof syncChanges.$inferSelect;

/** Where an organisation stands in a move between databases (SPEC §13, `npm run org:move`). */
export const FREEZE_STATES = ["frozen", "moved", "importing"] as const;
export type FreezeState = (typeof FREEZE_STATES)[number];

/**
 * Organisations this database must not write for. `frozen`: it is being copied out, so every
 * write aborts (the guard triggers of the scale_out migration check this table inside the
 * writing statement itself, whichever isolate or code path sends it); `moved`: it lives in
 * `other_database` now, and a write from an isolate that has not noticed aborts the same way;
 * `importing`: its rows are being copied in, and the scheduled work leaves them alone. Every
 * write path answers the abort with 503 and Retry-After.
 */
export const orgFreezes = sqliteTable(
  "org_freezes",
  {
    orgId: text("org_id").primaryKey(),
    state: text("state", { enum: FREEZE_STATES }).notNull(),
    /** The database the organisation is moving to (frozen, moved) or from (importing). */
    otherDatabase: text("other_database").notNull(),
    since: text("since").notNull(),
  },
  (t) => [
    check(
      "org_freezes_state_check",
      sql`${t.state} in (${sql.raw(FREEZE_STATES.map((state) => `'${state}'`).join(", "))})`,
    ),
  ],
);
