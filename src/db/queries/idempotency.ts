import { and, eq, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Db } from "../client";
import { type IdempotencyKeyRow, idempotencyKeys, orgFreezes } from "../schema";

export interface IdempotencyScope {
  orgId: string;
  callerId: string;
  key: string;
}

/** A request's hold on its key: the scope, and the ID of the claim that took it. */
export interface IdempotencyLease extends IdempotencyScope {
  claimId: string;
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

/** The key as its claim left it: still held by this request, with no response stored yet. */
const heldBy = (lease: IdempotencyLease) =>
  and(byScope(lease), eq(idempotencyKeys.claimId, lease.claimId), isNull(idempotencyKeys.responseStatus));

/** A key nobody holds any more: past its retention, or in flight past its lease (the request died). */
const isReclaimable = (now: string) =>
  or(
    lte(idempotencyKeys.expiresAt, now),
    and(isNull(idempotencyKeys.responseStatus), lte(idempotencyKeys.lockedUntil, now)),
  );

export type ClaimResult =
  | { claimed: true; lease: IdempotencyLease }
  | { claimed: false; row: IdempotencyKeyRow };

/**
 * Takes the key for this request, or answers who holds it, in one round trip:
 * the insert only lands (or takes over a reclaimable row) when the key is free,
 * and the select in the same batch sees whichever row won. Every claim, a takeover
 * included, writes a fresh `claim_id`, which the request's write batch then requires.
 */
export async function claimIdempotencyKey(
  db: Db,
  scope: IdempotencyScope,
  claim: { fingerprint: string; now: string; lockedUntil: string; expiresAt: string },
): Promise<ClaimResult> {
  const claimId = crypto.randomUUID();
  const fresh = {
    fingerprint: claim.fingerprint,
    responseStatus: null,
    responseHeaders: null,
    responseBody: null,
    responseTag: null,
    claimId,
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
  if (inserted.length > 0 || !row) return { claimed: true, lease: { ...scope, claimId } };
  return { claimed: false, row };
}

/** Remembers the response of the request that still holds the key (an outcome its write batch did not store). */
export async function storeIdempotentResponse(
  db: Db,
  lease: IdempotencyLease,
  response: StoredResponse,
): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({
      responseStatus: response.status,
      responseHeaders: response.headers,
      responseBody: response.body,
    })
    .where(heldBy(lease));
}

/**
 * Frees a key whose request failed on our side, so the client's retry runs again. A key whose
 * answer its write batch stored is kept: that write committed, and the retry must replay it.
 */
export async function releaseIdempotencyKey(db: Db, lease: IdempotencyLease): Promise<void> {
  await db.delete(idempotencyKeys).where(heldBy(lease));
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

/**
 * The lease check: a view over the keys whose INSTEAD OF INSERT trigger aborts the batch unless
 * the claim named still holds its key (migration 0011). Declared here, not in the schema, since
 * drizzle-kit does not generate it: it is only ever inserted into.
 */
const idempotencyLeases = sqliteTable("idempotency_leases", {
  orgId: text("org_id").notNull(),
  callerId: text("caller_id").notNull(),
  key: text("key").notNull(),
  claimId: text("claim_id").notNull(),
});

/** What a write batch stores as its answer, built in SQL from what the batch wrote. */
export interface AnswerSource {
  /** `from … where …`: one row when the write happened, none when it was refused. */
  source: SQL;
  /** The response body as JSON text, over the source's aliases. */
  body: SQL;
  /** When the replayed ETag is derived from the body: `json_object('kind', …, 'id', …, 'version', …)`. */
  tag?: SQL;
}

/**
 * The answer of an idempotent request, stored by the write batch that it answers, so that the
 * write and the response a retry replays commit together or not at all. A write query that takes
 * one appends `statements(…)` to the end of its batch and hands the batch's results to `settle`:
 *
 * 1. the lease check (`idempotency_leases`, migration 0011), which aborts the whole batch unless
 *    this request's claim still holds the key, so a request that outlived its lease, whose key a
 *    retry has taken over, writes nothing;
 * 2. the answer: status and headers as the route gives them, the body (and the ETag's basis) built
 *    in SQL from the rows the batch wrote, as their audit payloads are. A refused write yields no
 *    source row and stores nothing; its refusal is then stored like any other 4xx.
 */
export class BatchAnswer {
  #stored = false;
  readonly lease: IdempotencyLease;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(lease: IdempotencyLease, status: number, headers: Record<string, string>) {
    this.lease = lease;
    this.status = status;
    this.headers = headers;
  }

  statements(db: Db, answer: AnswerSource) {
    const held = heldBy(this.lease);
    return [
      db.insert(idempotencyLeases).values(this.lease),
      db
        .update(idempotencyKeys)
        .set({
          responseStatus: this.status,
          responseHeaders: this.headers,
          responseBody: sql`(select ${answer.body} ${answer.source} limit 1)`,
          responseTag: answer.tag === undefined ? null : sql`(select ${answer.tag} ${answer.source} limit 1)`,
        })
        .where(and(held, sql`exists (select 1 ${answer.source})`))
        .returning({ stored: idempotencyKeys.responseStatus }),
    ] as const;
  }

  /** Takes the results of the batch whose last statements `statements` made. */
  settle(results: readonly unknown[]): void {
    const stored = results.at(-1);
    this.#stored = Array.isArray(stored) && stored.length > 0;
  }

  /** Whether the batch stored the answer: the middleware then has nothing left to record. */
  get stored(): boolean {
    return this.#stored;
  }
}
