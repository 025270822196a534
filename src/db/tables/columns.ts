import { sql } from "drizzle-orm";
import { text } from "drizzle-orm/sqlite-core";

/** Times are stored as ISO 8601 UTC text with second precision (`2026-03-24T14:00:00Z`), which sorts as time. */
export const sqlNowIso = sql`(strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))`;

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
export const confirmationColumns = () => ({
  confirmationStatus: text("confirmation_status", { enum: CONFIRMATION_STATUSES })
    .notNull()
    .default("pending"),
  confirmationBy: text("confirmation_by"),
  confirmationAt: text("confirmation_at"),
  confirmationReason: text("confirmation_reason"),
});
