import { type SQL, sql } from "drizzle-orm";
import { idCounters } from "../schema";

/**
 * Per-organisation, per-day counters behind `attr-`, `pact-` and `batch-` IDs. A counter is
 * only ever increased, inside the same D1 batch as the rows that take its values, so an ID is
 * never issued twice, not even after a delete.
 */
export type IdScope = "attr" | "pact" | "batch";

/** `YYYYMMDD` of an ISO instant, the day part of an ID. */
export const idDay = (iso: string): string => iso.slice(0, 10).replaceAll("-", "");

/** The counter's current value (as a scalar subquery). */
export function counterValue(orgId: string, scope: IdScope, day: string): SQL {
  return sql`(select ${idCounters.lastValue} from ${idCounters}
    where ${idCounters.orgId} = ${orgId} and ${idCounters.scope} = ${scope} and ${idCounters.day} = ${day})`;
}

/** `<scope>-<day>-NNN` for the counter's current value plus `offset`. */
export function idExpr(orgId: string, scope: IdScope, day: string, offset: SQL = sql`0`): SQL {
  return sql`(${scope} || '-' || ${day} || '-' || printf('%03d', ${counterValue(orgId, scope, day)} + ${offset}))`;
}

/** Adds `by` to a counter when `condition` holds; the batch's later statements read the new value. */
export function bumpCounter(
  orgId: string,
  scope: IdScope,
  day: string,
  by: SQL,
  condition: SQL = sql`1`,
): SQL {
  return sql`insert into ${idCounters} (org_id, scope, day, last_value)
    select ${orgId}, ${scope}, ${day}, ${by} where ${condition} and ${by} > 0
    on conflict (org_id, scope, day) do update set last_value = last_value + excluded.last_value`;
}
