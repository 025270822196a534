import { env } from "cloudflare:workers";
import { createDb, type Db } from "../../src/db/client";
import { type Databases, databaseBinding, parseDatabases } from "../../src/db/databases";
import { ORG_TABLE_SHAPES } from "../../src/db/org-tables";
import { lookUpPlacement } from "../../src/db/placement";
import { createDirectoryDb, type Placement, placeExplicitly } from "../../src/db/queries/directory";
import { nowIso } from "../../src/lib/time";

/** The test configuration's D1_DATABASES, read as the Worker reads it. */
export function testDatabases(): Databases {
  const problems: string[] = [];
  const databases = parseDatabases(env.D1_DATABASES, env as unknown as Record<string, unknown>, problems);
  if (databases === null) throw new Error(`D1_DATABASES: ${problems.join("; ")}`);
  return databases;
}

/** The bindings and variable that declare the test's databases, for a configuration built by hand. */
export const databaseBindings = (): Record<string, unknown> => ({
  D1_DATABASES: env.D1_DATABASES,
  DIRECTORY: env.DIRECTORY,
  ...Object.fromEntries(testDatabases().entries.map((e) => [e.binding, d1Of(e.binding)])),
});

/** A database organisations live on, by binding name. */
export const d1Of = (binding: string): D1Database =>
  databaseBinding(env as unknown as Record<string, unknown>, binding);

/** Every database organisations live on, with its binding name. */
export const shardBindings = (): { name: string; d1: D1Database }[] =>
  testDatabases().entries.map((e) => ({ name: e.binding, d1: d1Of(e.binding) }));

/**
 * Puts the organisation in the directory: on `database` when named (a placement no rule would
 * choose, such as an EU database), otherwise where its first request would put it.
 */
export async function placeOrg(org: string, database?: string): Promise<Placement> {
  const databases = testDatabases();
  if (database === undefined) {
    const now = new Date();
    return lookUpPlacement(env.DIRECTORY, org, databases.placement, { now: now.getTime(), nowIso: nowIso() });
  }
  const entry = databases.byBinding.get(database);
  if (entry === undefined) throw new Error(`${database} is not in D1_DATABASES`);
  const { current } = await placeExplicitly(
    createDirectoryDb(env.DIRECTORY),
    org,
    { database, jurisdiction: entry.jurisdiction },
    nowIso(),
  );
  if (current.database !== database) throw new Error(`${org} is on ${current.database} already`);
  return current;
}

/** The drizzle client of the database the directory places `org` on now. */
export async function orgDb(org: string): Promise<Db> {
  const { database } = await placeOrg(org);
  return createDb(d1Of(database));
}

/** Every row the organisation has in a database, table by table (ORG_TABLES), in key order. */
export async function orgRows(d1: D1Database, org: string): Promise<Record<string, unknown[][]>> {
  const tables: Record<string, unknown[][]> = {};
  for (const shape of ORG_TABLE_SHAPES) {
    const order = shape.key.length > 0 ? ` order by ${shape.key.map((k) => `"${k}"`).join(", ")}` : "";
    tables[shape.name] = await d1
      .prepare(
        `select ${shape.columns.map((c) => `"${c}"`).join(", ")} from "${shape.name}" where org_id = ?${order}`,
      )
      .bind(org)
      .raw();
  }
  return tables;
}

/** How many rows the organisation has in a database, over all its tables. */
export async function orgRowCount(d1: D1Database, org: string): Promise<number> {
  return Object.values(await orgRows(d1, org)).reduce((sum, rows) => sum + rows.length, 0);
}

/** The organisation's freeze row in a database, if any. */
export async function freezeOf(d1: D1Database, org: string) {
  return d1
    .prepare("select state, other_database from org_freezes where org_id = ?")
    .bind(org)
    .first<{ state: string; other_database: string }>();
}
