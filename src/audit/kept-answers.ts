/**
 * The system `POST`'s Idempotency-Keys, kept by the audit object itself: that route writes only
 * to the object, so its key and its answer are stored in the transaction of the append they
 * answer, and a retry is answered by the object from there. Synchronous, for `transactionSync`.
 */
import { HttpStatus } from "../lib/http-status";
import { IDEMPOTENCY_KEY_TTL_SECONDS } from "../lib/limits";
import { toIsoSeconds } from "../lib/time";
import { entrySummary } from "./summary";
import type { AuditEntry, AuditIdempotencyKey, KeepOutcome, KeptResponse } from "./types";

/** What a key holds: nothing yet, an answer to replay, or the answer of another request. */
export type HeldAnswer = { status: "free" } | Exclude<KeepOutcome, { status: "kept" }>;

/** Expired keys one call deletes on its way: bounded, so no call pays for a backlog. */
const EXPIRED_PER_CALL = 20;

type KeptRow = {
  fingerprint: string;
  status: number;
  headers: string;
  body: string;
};

const SELECT_KEPT =
  "SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE caller_id = ? AND key = ? AND expires_at > ?";
const DELETE_EXPIRED = `DELETE FROM idempotency_keys WHERE (caller_id, key) IN
  (SELECT caller_id, key FROM idempotency_keys WHERE expires_at <= ? LIMIT ${EXPIRED_PER_CALL})`;
const UPSERT_KEPT = `INSERT INTO idempotency_keys (caller_id, key, fingerprint, status, headers, body, expires_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (caller_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = excluded.status,
    headers = excluded.headers, body = excluded.body, expires_at = excluded.expires_at`;

/** What the key holds now; deletes a few expired keys on the way. */
export function heldAnswer(sql: SqlStorage, key: AuditIdempotencyKey, now: string): HeldAnswer {
  sql.exec(DELETE_EXPIRED, now);
  const row = sql.exec<KeptRow>(SELECT_KEPT, key.caller_id, key.key, now).toArray()[0];
  if (row === undefined) return { status: "free" };
  if (row.fingerprint !== key.fingerprint) return { status: "key_reused" };
  return {
    status: "held",
    response: {
      status: row.status,
      headers: JSON.parse(row.headers) as Record<string, string>,
      body: row.body,
    },
  };
}

/** Keeps `response` under the key (which holds nothing live: see `heldAnswer`) for the retention period. */
export function keepAnswer(
  sql: SqlStorage,
  key: AuditIdempotencyKey,
  response: KeptResponse,
  now: Date,
): void {
  const expiresAt = toIsoSeconds(new Date(now.getTime() + IDEMPOTENCY_KEY_TTL_SECONDS * 1000));
  sql.exec(
    UPSERT_KEPT,
    key.caller_id,
    key.key,
    key.fingerprint,
    response.status,
    JSON.stringify(response.headers),
    response.body,
    expiresAt,
  );
}

/** The system `POST`'s answer to an appended (or already recorded) event, as the Worker sends it. */
export function appendedResponse(status: "created" | "existing", entry: AuditEntry): KeptResponse {
  return {
    status: status === "created" ? HttpStatus.CREATED : HttpStatus.OK,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(entrySummary(entry)),
  };
}
