import type { SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "./schema";

/** The one place a drizzle client is made from the D1 binding. */
export function createDb(d1: D1Database) {
  return drizzle(d1, { schema });
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
  statements: readonly SQL[],
): Promise<T> {
  const client = db.$client;
  const prepared = statements.map((statement) => {
    const query = dialect.sqlToQuery(statement);
    return client.prepare(query.sql).bind(...query.params);
  });
  const results = await client.batch<SqlRow>(prepared);
  // The caller states the row shape of each statement it wrote.
  return results.map((result) => result.results) as T;
}
