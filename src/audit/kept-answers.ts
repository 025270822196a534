/**
 * Idempotency-Keys of the writes to the audit object alone (the system `POST`, an annotation, a
 * redaction), kept by the object itself: the key is looked up, and the answer the object builds is
 * kept, in the transaction of the write it answers, so a retry is answered by the object from
 * there. The answers are built here, and the routes answer a first request with the same builders.
 * Synchronous, for `transactionSync`.
 */

import { entityTag } from "../lib/entity-tag";
import { HttpStatus } from "../lib/http-status";
import { IDEMPOTENCY_KEY_TTL_SECONDS } from "../lib/limits";
import { toIsoSeconds } from "../lib/time";
import { entrySummary } from "./summary";
import type { AuditAnnotation, AuditEntry, AuditIdempotencyKey, KeptResponse, KeyHeld } from "./types";

/** What a key holds: nothing yet, an answer to replay, or the answer of another request. */
export type HeldAnswer = { status: "free" } | KeyHeld;

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

const JSON_CONTENT = { "content-type": "application/json" };

/** The system `POST`'s answer to an appended (or already recorded) event, as the Worker sends it. */
export function appendedResponse(status: "created" | "existing", entry: AuditEntry): KeptResponse {
  return {
    status: status === "created" ? HttpStatus.CREATED : HttpStatus.OK,
    headers: JSON_CONTENT,
    body: JSON.stringify(entrySummary(entry)),
  };
}

/**
 * An entry's ETag. Its own fields never change (a deletion makes it 404), so its version is its
 * latest annotation, the only thing a write adds to what GET shows.
 */
export const entryTag = (org: string, id: string, annotation: AuditAnnotation | null): string =>
  entityTag("audit-entry", org, id, annotation);

/** What an annotation of the entry `id` answers. */
export const annotationAnswer = (
  id: string,
  { annotation, reviewed_by, updated_at, record_id }: AuditAnnotation,
) => ({
  id,
  annotation,
  reviewed_by,
  updated_at,
  record_id,
});

/** What the redaction of the entry `id` answers, naming the record of it. */
export const redactionAnswer = (id: string, record: AuditEntry) => ({
  success: true as const,
  deleted_id: id,
  deletion_record_id: record.id,
});

/** An annotation's answer as the route sends it, with the entry's new ETag. */
export function annotatedResponse(org: string, id: string, annotation: AuditAnnotation): KeptResponse {
  return {
    status: HttpStatus.OK,
    headers: { ...JSON_CONTENT, etag: entryTag(org, id, annotation) },
    body: JSON.stringify(annotationAnswer(id, annotation)),
  };
}

/** A redaction's answer as the route sends it. */
export function redactedResponse(id: string, record: AuditEntry): KeptResponse {
  return { status: HttpStatus.OK, headers: JSON_CONTENT, body: JSON.stringify(redactionAnswer(id, record)) };
}
