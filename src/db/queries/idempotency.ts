import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { type IdempotencyKeyRow, idempotencyKeys, orgFreezes } from "../schema";

export interface IdempotencyScope {
  orgId: string;
  callerId: string;
  key: string;
}

export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const byScope = (scope: IdempotencyScope) =>
  and(
    eq(idempotencyKeys.orgId, scope.orgId),
    eq(idempotencyKeys.callerId, scope.callerId),
    eq(idempotencyKeys.key, scope.key),
  );

/** A key nobody holds any more: past its retention, or in flight past its lease (the request died). */
const isReclaimable = (now: string) =>
  or(
    lte(idempotencyKeys.expiresAt, now),
    and(isNull(idempotencyKeys.responseStatus), lte(idempotencyKeys.lockedUntil, now)),
  );

export type ClaimResult = { claimed: true } | { claimed: false; row: IdempotencyKeyRow };

/**
 * Takes the key for this request, or answers who holds it, in one round trip:
 * the insert only lands (or takes over a reclaimable row) when the key is free,
 * and the select in the same batch sees whichever row won.
 */
export async function claimIdempotencyKey(
  db: Db,
  scope: IdempotencyScope,
  claim: { fingerprint: string; now: string; lockedUntil: string; expiresAt: string },
): Promise<ClaimResult> {
  const fresh = {
    fingerprint: claim.fingerprint,
    responseStatus: null,
    responseHeaders: null,
    responseBody: null,
    createdAt: claim.now,
    lockedUntil: claim.lockedUntil,
    expiresAt: claim.expiresAt,
  };
  const [inserted, current] = await db.batch([
    db
      .insert(idempotencyKeys)
      .values({ ...scope, ...fresh })
      .onConflictDoUpdate({
        target: [idempotencyKeys.orgId, idempotencyKeys.callerId, idempotencyKeys.key],
        set: fresh,
        setWhere: isReclaimable(claim.now),
      })
      .returning({ key: idempotencyKeys.key }),
    db.select().from(idempotencyKeys).where(byScope(scope)),
  ]);
  const row = current[0];
  if (inserted.length > 0 || !row) return { claimed: true };
  return { claimed: false, row };
}

/** Remembers the response of the request that holds the key. */
export async function storeIdempotentResponse(
  db: Db,
  scope: IdempotencyScope,
  fingerprint: string,
  response: StoredResponse,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({
      responseStatus: response.status,
      responseHeaders: response.headers,
      responseBody: response.body,
    })
    .where(
      and(
        byScope(scope),
        eq(idempotencyKeys.fingerprint, fingerprint),
        isNull(idempotencyKeys.responseStatus),
      ),
    );
}

/** Frees a key whose request failed on our side, so the client's retry runs again. */
export async function releaseIdempotencyKey(
  db: Db,
  scope: IdempotencyScope,
  fingerprint: string,
): Promise<void> {
  await db
    .delete(idempotencyKeys)
    .where(
      and(
        byScope(scope),
        eq(idempotencyKeys.fingerprint, fingerprint),
        isNull(idempotencyKeys.responseStatus),
      ),
    );
}

/**
 * Deletes at most `limit` expired keys; answers how many went. Keys of an organisation that is
 * moving wait (its rows are being copied, and the freeze would abort the whole statement).
 */
export async function deleteExpiredIdempotencyKeys(db: Db, now: string, limit: number): Promise<number> {
  const deleted = await db
    .delete(idempotencyKeys)
    .where(
      sql`rowid in (select rowid from ${idempotencyKeys} where ${idempotencyKeys.expiresAt} <= ${now}
        and ${idempotencyKeys.orgId} not in (select org_id from ${orgFreezes}) limit ${limit})`,
    )
    .returning({ key: idempotencyKeys.key });
  return deleted.length;
}
