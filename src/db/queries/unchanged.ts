import { and, eq, getTableColumns, type InferSelectModel, isNull, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * A condition that holds only while the row still has every value it was read with: what a
 * conditional write (If-Match) lands on. `updated_at` alone cannot say it, since two writes within
 * one second leave it the same. JSON columns are compared as JSON, whatever their spacing.
 */
export function unchangedSince<T extends SQLiteTable>(table: T, seen: InferSelectModel<T>): SQL {
  const values = seen as Record<string, unknown>;
  const conditions = Object.entries(getTableColumns(table)).map(([key, column]) => {
    const value = values[key];
    if (value === null || value === undefined) return isNull(column);
    if (column.dataType === "json") return sql`json(${column}) = json(${JSON.stringify(value)})`;
    return eq(column, value);
  });
  return and(...conditions) ?? sql`1`;
}

/** Whether a row read now is the one read before, value for value. */
export const sameRow = <T extends object>(now: T, seen: T): boolean =>
  JSON.stringify(now) === JSON.stringify(seen);
