import { activityLog, activityLogTag as activityLogTagBasis } from "../../db/queries/representations";
import type { ActivityRow } from "../../db/schema";
import { tagOf } from "../../http/etag";
import { AppError } from "../../lib/errors";

/** An activity as `/api/v1/activity-logs` shows it, whichever way it was entered. */
export const toActivityLog = (row: ActivityRow) => activityLog.of(row);

export type ActivityLog = ReturnType<typeof toActivityLog>;

export const activityLogTag = (org: string, row: ActivityRow) =>
  tagOf(activityLogTagBasis, org, row, toActivityLog(row));

/** A client_ref that already holds other content: 409, with the stored entry so the app can reconcile. */
export const clientRefConflict = (clientRef: string, stored: ActivityRow | undefined) =>
  new AppError("conflict", `client_ref ${clientRef} already holds another entry of this mentor`, {
    errors: [{ path: "client_ref", message: "Already used for an entry with other content" }],
    extensions: stored ? { current: toActivityLog(stored) } : {},
  });
