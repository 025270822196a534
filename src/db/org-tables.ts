import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import {
  activities,
  activityTotals,
  attributions,
  attributionTotals,
  auditOutbox,
  batches,
  idCounters,
  idempotencyKeys,
  members,
  syncChanges,
  syncCounters,
} from "./schema.ts";

/**
 * Every table that holds an organisation's rows, in the order a move copies them (SPEC §13).
 * This list is the one place that knows them: the move copies, checks and deletes exactly these,
 * generically, and test/db/org-tables.test.ts fails while any table with an `org_id` column is
 * missing here or lacks the three freeze-guard triggers (`<table>_frozen_insert|update|delete`,
 * as in the scale_out migration).
 *
 * `derived` tables are written by triggers on the tables before them (the per-organisation
 * totals). Copying rows into the new database fires those triggers there, so a derived table is
 * copied after the rows it counts, replacing what the triggers wrote with the source's own rows:
 * nothing is counted twice, and the checksums compare the result with the source.
 *
 * The changes feed (`sync_changes`, `sync_counters`) is derived the same way: the target's triggers
 * number the copied rows afresh, and the source's feed replaces them, so a client's cursor reads
 * on after the move exactly where it stopped. Adding a table: list it here, `derived: true` when
 * triggers on the tables above fill it, and give it the guard triggers.
 */
export const ORG_TABLES: readonly OrgTable[] = [
  { table: members },
  { table: activities },
  { table: attributions },
  { table: batches },
  { table: idCounters },
  { table: idempotencyKeys },
  { table: auditOutbox },
  { table: activityTotals, derived: true },
  { table: attributionTotals, derived: true },
  { table: syncChanges, derived: true },
  { table: syncCounters, derived: true },
];

export interface OrgTable {
  table: SQLiteTable;
  /** Filled by triggers on the tables listed before it. */
  derived?: true;
}

/** What a move needs to know of a table: its name, columns, and the key that orders its rows. */
export interface OrgTableShape {
  name: string;
  /** Every column, in the schema's order. */
  columns: string[];
  /** The primary key without `org_id`: rows of one organisation are paged and compared in this order. */
  key: string[];
  derived: boolean;
}

const ORG_COLUMN = "org_id";

export function shapeOf(entry: OrgTable): OrgTableShape {
  const config = getTableConfig(entry.table);
  const columns = config.columns.map((c) => c.name);
  if (!columns.includes(ORG_COLUMN)) throw new Error(`${config.name} has no ${ORG_COLUMN} column`);
  const primary = config.primaryKeys[0]?.columns.map((c) => c.name) ?? [];
  const single = config.columns.filter((c) => c.primary).map((c) => c.name);
  const key = (primary.length > 0 ? primary : single).filter((name) => name !== ORG_COLUMN);
  return { name: config.name, columns, key, derived: entry.derived === true };
}

export const ORG_TABLE_SHAPES: readonly OrgTableShape[] = ORG_TABLES.map(shapeOf);
