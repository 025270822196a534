import { and, eq, isNotNull, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Db } from "../client";
import { type IdempotencyKeyRow, idempotencyKeys, orgFreezes } from "../schema";
import { type AnswerSource, type BatchAdditions, type BatchParticipant, query } from "./write-batch";

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

/** What a write batch stores as its answer: status and headers as the route gives them, and the body in SQL. */
export interface AnswerBody<X> {
  /** The status; `created` and `otherwise` when the write may create or change (see `AnswerSource`). */
  readonly status: number | { readonly created: number; readonly otherwise: number };
  readonly headers?: Record<string, string>;
  /** The response body as JSON text, from the answer's row. */
  readonly body: (row: X) => SQL;
  /** When the replayed ETag is derived from the body: `json_object('kind', …, 'id', …, 'version', …)`. */
  readonly tag?: (row: X) => SQL;
}

/** The key as a decision before the write left it: still this claim's, decided, without its body yet. */
const decidedBy = (lease: IdempotencyLease) =>
  and(
    byScope(lease),
    eq(idempotencyKeys.claimId, lease.claimId),
    isNotNull(idempotencyKeys.responseStatus),
    isNull(idempotencyKeys.responseBody),
  );

/**
 * The answer of an idempotent request, stored by the write batch that it answers, so that the
 * write and the response a retry replays commit together or not at all. It adds to the batch
 * (`runWrite`):
 *
 * 1. the lease check (`idempotency_leases`, migration 0011), first, which aborts the whole batch
 *    unless this request's claim still holds the key, so a request that outlived its lease, whose
 *    key a retry has taken over, writes nothing;
 * 2. the answer: status and headers as the route gives them, the body (and the ETag's basis) built
 *    in SQL from the rows the batch wrote, as their audit payloads are, where the write's source
 *    finds its row: after the write, or, for a write that leaves no trace of having happened,
 *    decided just before it and completed after it. A refused write yields no source row and
 *    stores nothing; its refusal is then stored like any other 4xx.
 */
export class BatchAnswer<X> implements BatchParticipant<X> {
  #stored = false;
  readonly lease: IdempotencyLease;
  readonly answer: AnswerBody<X>;

  constructor(lease: IdempotencyLease, answer: AnswerBody<X>) {
    this.lease = lease;
    this.answer = answer;
  }

  #status(created: SQL | undefined): number | SQL {
    const { status } = this.answer;
    if (typeof status === "number") return status;
    if (created === undefined) return status.otherwise;
    return sql`(case when ${created} then ${status.created} else ${status.otherwise} end)`;
  }

  additions(db: Db, source: AnswerSource<X, PropertyKey>): BatchAdditions {
    const { lease, answer } = this;
    const body = sql`(select ${answer.body(source.row)} ${source.from} limit 1)`;
    const tag =
      answer.tag === undefined ? null : sql`(select ${answer.tag(source.row)} ${source.from} limit 1)`;
    const guards = { idempotencyLease: query(db.insert(idempotencyLeases).values(lease)) };
    const stored = { stored: idempotencyKeys.responseStatus };
    const decided = source.decidedBefore;
    if (decided === undefined) {
      const store = db
        .update(idempotencyKeys)
        .set({
          responseStatus: this.#status(undefined),
          responseHeaders: answer.headers ?? {},
          responseBody: body,
          responseTag: tag,
        })
        .where(and(heldBy(lease), sql`exists (select 1 ${source.from})`))
        .returning(stored);
      return { guards, decision: {}, after: { idempotencyAnswer: query(store) } };
    }
    const decide = db
      .update(idempotencyKeys)
      .set({ responseStatus: this.#status(decided.created), responseHeaders: answer.headers ?? {} })
      .where(and(heldBy(lease), sql`exists (select 1 ${decided.where})`));
    const complete = db
      .update(idempotencyKeys)
      .set({ responseBody: body, responseTag: tag })
      .where(decidedBy(lease))
      .returning(stored);
    return {
      guards,
      decision: { idempotencyDecision: query(decide) },
      after: { idempotencyAnswer: query(complete) },
    };
  }

  /** Takes the batch's results, once it ran. */
  settle(results: Record<string, unknown>): void {
    const stored = results.idempotencyAnswer;
    this.#stored = Array.isArray(stored) && stored.length > 0;
  }

  /** Whether the batch stored the answer: the middleware then has nothing left to record. */
  get stored(): boolean {
    return this.#stored;
  }
}
