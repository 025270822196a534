import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import type { Jurisdiction, PlacementRule } from "../databases.ts";
import * as directorySchema from "../directory-schema.ts";
import { organisations, orgMoves } from "../directory-schema.ts";

/**
 * The directory's queries (SPEC §13): which database holds an organisation, placing a new one,
 * and the record of moves. The directory is read from its primary (no session), so what a
 * lookup answers is never older than the last flip.
 */

export function createDirectoryDb(d1: D1Database) {
  return drizzle(d1, { schema: directorySchema });
}

export type DirectoryDb = ReturnType<typeof createDirectoryDb>;

const dialect = new SQLiteAsyncDialect();

function prepared(d1: D1Database, statement: SQL): D1PreparedStatement {
  const query = dialect.sqlToQuery(statement);
  return d1.prepare(query.sql).bind(...query.params);
}

/** Where an organisation lives: the database's binding name and its jurisdiction when placed. */
export interface Placement {
  database: string;
  jurisdiction: Jurisdiction | null;
}

const placementColumns = {
  database: organisations.database,
  jurisdiction: sql<Jurisdiction | null>`${organisations.jurisdiction}`,
};

export async function readPlacement(dir: DirectoryDb, orgId: string): Promise<Placement | null> {
  const row = await dir
    .select(placementColumns)
    .from(organisations)
    .where(eq(organisations.orgId, orgId))
    .get();
  return row ?? null;
}

/**
 * Places an organisation the directory does not know on the least-loaded database the rule
 * allows (fewest organisations; ties go to the first listed), and answers where it is. One
 * round trip; race-safe: the insert does nothing if another request placed it first, and the
 * select in the same batch reads whichever placement won.
 */
export async function placeByRule(
  dir: DirectoryDb,
  orgId: string,
  rule: PlacementRule,
  now: string,
): Promise<Placement> {
  // Raw statements through D1's own batch: drizzle's batch does not bind parameters of raw SQL.
  const d1 = dir.$client;
  const [, found] = await d1.batch([
    prepared(
      d1,
      sql`insert into ${organisations} (org_id, database, jurisdiction, placed_at)
        select ${orgId}, c.value, ${rule.jurisdiction}, ${now}
        from json_each(${JSON.stringify(rule.candidates)}) as c
        where true
        order by (select count(*) from ${organisations} o where o.database = c.value), c.key
        limit 1
        on conflict (org_id) do nothing`,
    ),
    prepared(d1, sql`select database, jurisdiction from ${organisations} where org_id = ${orgId}`),
  ]);
  const row = found?.results[0] as Placement | undefined;
  if (row === undefined) throw new Error(`The directory placed ${orgId} nowhere`);
  return { database: row.database, jurisdiction: row.jurisdiction };
}

/**
 * Places an organisation on a named database (`npm run org:place`): only one the directory does
 * not know yet, so an organisation with rows somewhere is moved, never re-pointed. Answers the
 * placement as it stands and whether this call made it.
 */
export async function placeExplicitly(
  dir: DirectoryDb,
  orgId: string,
  placement: Placement,
  now: string,
): Promise<{ placed: boolean; current: Placement }> {
  const [inserted, rows] = await dir.batch([
    dir
      .insert(organisations)
      .values({ orgId, database: placement.database, jurisdiction: placement.jurisdiction, placedAt: now })
      .onConflictDoNothing()
      .returning({ orgId: organisations.orgId }),
    dir.select(placementColumns).from(organisations).where(eq(organisations.orgId, orgId)),
  ]);
  const [current] = rows;
  if (current === undefined) throw new Error(`The directory placed ${orgId} nowhere`);
  return { placed: inserted.length > 0, current };
}

/** Every organisation and its database, for `npm run org:list`. */
export async function listPlacements(dir: DirectoryDb) {
  return dir.select().from(organisations).orderBy(asc(organisations.orgId)).all();
}

/** Organisations per database, for `npm run org:list`. */
export async function organisationsPerDatabase(dir: DirectoryDb) {
  return dir
    .select({ database: organisations.database, organisations: sql<number>`count(*)` })
    .from(organisations)
    .groupBy(organisations.database)
    .all();
}

export interface MoveRecord {
  moveId: string;
  orgId: string;
  fromDatabase: string;
  toDatabase: string;
}

/** Records a move as running; false when one of the organisation is running already. */
export async function beginMove(dir: DirectoryDb, move: MoveRecord, now: string): Promise<boolean> {
  const rows = await dir
    .insert(orgMoves)
    .values({ ...move, state: "running", detail: "started", startedAt: now })
    .onConflictDoNothing()
    .returning({ moveId: orgMoves.moveId });
  return rows.length > 0;
}

export async function noteMoveStep(dir: DirectoryDb, moveId: string, detail: string): Promise<void> {
  await dir.update(orgMoves).set({ detail }).where(eq(orgMoves.moveId, moveId));
}

export async function finishMove(
  dir: DirectoryDb,
  moveId: string,
  state: "done" | "failed",
  detail: string,
  now: string,
): Promise<void> {
  await dir.update(orgMoves).set({ state, detail, finishedAt: now }).where(eq(orgMoves.moveId, moveId));
}

/** The running move of an organisation, if any. */
export async function runningMove(dir: DirectoryDb, orgId: string) {
  return (
    (await dir
      .select()
      .from(orgMoves)
      .where(and(eq(orgMoves.orgId, orgId), eq(orgMoves.state, "running")))
      .get()) ?? null
  );
}

/**
 * Points the organisation at its new database, only if it is still on the old one (a
 * compare-and-set: two movers cannot both flip it). Answers whether it flipped.
 */
export async function flipPlacement(dir: DirectoryDb, move: MoveRecord, now: string): Promise<boolean> {
  const [flipped] = await dir.batch([
    dir
      .update(organisations)
      .set({ database: move.toDatabase, movedAt: now })
      .where(and(eq(organisations.orgId, move.orgId), eq(organisations.database, move.fromDatabase)))
      .returning({ orgId: organisations.orgId }),
    dir.update(orgMoves).set({ detail: "flipped" }).where(eq(orgMoves.moveId, move.moveId)),
  ]);
  return flipped.length > 0;
}
