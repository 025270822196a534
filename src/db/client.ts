import type { SQLWrapper } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { AppError } from "../lib/errors";

/**
 * The one place a drizzle client is made from the D1 binding, once per request (its session).
 * Without the schema: the relational query API is not used, and building its configuration
 * from the schema on every request was about 6% of a read's CPU (npm run bench).
 */
export function createDb(d1: D1Database) {
  return drizzle(d1);
}

export type Db = ReturnType<typeof createDb>;

const dialect = new SQLiteAsyncDialect();

export type SqlRow = Record<string, unknown>;

/**
 * Runs raw SQL statements as one D1 batch (one round trip, one transaction) and
 * answers each statement's rows. drizzle's own `batch` cannot bind parameters of
 * raw `sql` statements, which the set-based writes of attributions need.
 */
export async function batchSql<T extends unknown[][] = SqlRow[][]>(
  db: Db,
  statements: readonly SQLWrapper[],
): Promise<T> {
  const results = await batchResults(db, statements);
  // The caller states the row shape of each statement it wrote.
  return results.map((result) => result.results) as T;
}

/** Runs statements (raw `sql` or drizzle queries) as one D1 batch; answers D1's result of each. */
export async function batchResults(db: Db, statements: readonly SQLWrapper[]): Promise<D1Result<SqlRow>[]> {
  const client = db.$client;
  const prepared = statements.map((statement) => {
    const query = dialect.sqlToQuery(statement.getSQL());
    return client.prepare(query.sql).bind(...query.params);
  });
  return client.batch<SqlRow>(prepared).catch(leaseLostAsConflict);
}

/** What the lease check of an answering write batch raises (`idempotency_leases`, migration 0011). */
const LEASE_LOST = "idempotency_lease_lost";

/**
 * A write batch whose request no longer holds its Idempotency-Key (a retry took it over after the
 * lease ran out) was rolled back whole: nothing was written, and the request that holds the key
 * now answers for it. A 409, which is not recorded under the key: the key is no longer this request's.
 */
export class LeaseLost extends AppError {
  constructor() {
    super(
      "conflict",
      "A retry with this Idempotency-Key took it over while this request ran, so this request wrote nothing; retry to get the answer",
    );
  }
}

/** Turns the lease check's abort into `LeaseLost`; any other failure is rethrown as it is. */
function leaseLostAsConflict(err: unknown): never {
  if (err instanceof Error && err.message.includes(LEASE_LOST)) throw new LeaseLost();
  throw err;
}
