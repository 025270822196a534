import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
