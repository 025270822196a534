/**
 * The rows of an organisation in one database, as a move (`move.ts`) reads, copies, checks and
 * deletes them: table by table, generically over ORG_TABLES, in pages that fit D1's limits.
 */
import { createHash } from "node:crypto";
import { ORG_TABLE_SHAPES, type OrgTableShape } from "./org-tables.ts";

/** Rows read per page of a table. */
const PAGE_ROWS = 500;
/** Largest JSON array of rows bound to one insert (D1 takes values up to 2 MB). */
const MAX_INSERT_BYTES = 512 * 1024;
/** Rows one delete statement removes, so no statement runs long. */
const DELETE_CHUNK_ROWS = 1_000;

export interface TableReport {
  table: string;
  rows: number;
  /** SHA-256 (hex) of the rows in key order, equal in both databases. */
  checksum: string;
}

const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The organisation's rows of one table, a page at a time, in key order. */
async function* pages(db: D1Database, shape: OrgTableShape, orgId: string): AsyncGenerator<unknown[][]> {
  const columns = shape.columns.map(quoted).join(", ");
  const keyColumns = shape.key.map(quoted);
  const keyAt = shape.key.map((name) => shape.columns.indexOf(name));
  if (keyColumns.length === 0) {
    const rows: unknown[][] = await db
      .prepare(`select ${columns} from ${quoted(shape.name)} where org_id = ?`)
      .bind(orgId)
      .raw();
    if (rows.length > 0) yield rows;
    return;
  }
  const order = keyColumns.join(", ");
  const after =
    keyColumns.length === 1
      ? `${keyColumns[0]} > ?`
      : `(${order}) > (${keyColumns.map(() => "?").join(", ")})`;
  let last: unknown[] | null = null;
  for (;;) {
    const page: unknown[][] =
      last === null
        ? await db
            .prepare(
              `select ${columns} from ${quoted(shape.name)} where org_id = ? order by ${order} limit ?`,
            )
            .bind(orgId, PAGE_ROWS)
            .raw()
        : await db
            .prepare(
              `select ${columns} from ${quoted(shape.name)} where org_id = ? and ${after} order by ${order} limit ?`,
            )
            .bind(orgId, ...last, PAGE_ROWS)
            .raw();
    if (page.length === 0) return;
    yield page;
    const tail = page[page.length - 1] ?? [];
    last = keyAt.map((i) => tail[i]);
    if (page.length < PAGE_ROWS) return;
  }
}

/** Row count and checksum of the organisation's rows of one table. */
export async function summarise(db: D1Database, shape: OrgTableShape, orgId: string): Promise<TableReport> {
  const hash = createHash("sha256");
  let rows = 0;
  for await (const page of pages(db, shape, orgId)) {
    for (const row of page) hash.update(`${JSON.stringify(row)}\n`);
    rows += page.length;
  }
  return { table: shape.name, rows, checksum: hash.digest("hex") };
}

/** Pieces of a page whose JSON stays under MAX_INSERT_BYTES (a larger row goes alone). */
function chunks(page: unknown[][]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const row of page) {
    const json = JSON.stringify(row);
    if (current.length > 0 && size + json.length + 1 > MAX_INSERT_BYTES) {
      out.push(`[${current.join(",")}]`);
      current = [];
      size = 2;
    }
    current.push(json);
    size += json.length + 1;
  }
  if (current.length > 0) out.push(`[${current.join(",")}]`);
  return out;
}

/**
 * Copies the organisation's rows of one table. Each page is one batch into the target; the
 * rows travel as one JSON parameter, so a page is not bounded by D1's 100 parameters.
 */
export async function copyTable(source: D1Database, target: D1Database, shape: OrgTableShape, orgId: string) {
  const columns = shape.columns.map(quoted).join(", ");
  const values = shape.columns.map((_, i) => `json_extract(value, '$[${i}]')`).join(", ");
  const insert = `insert into ${quoted(shape.name)} (${columns}) select ${values} from json_each(?)`;
  if (shape.derived) {
    // What the target's triggers counted while the rows went in is replaced by the source's own.
    await target
      .prepare(`delete from ${quoted(shape.name)} where org_id = ?`)
      .bind(orgId)
      .run();
  }
  for await (const page of pages(source, shape, orgId)) {
    await target.batch(chunks(page).map((json) => target.prepare(insert).bind(json)));
  }
}

/** Deletes the organisation's rows of one table in chunks, each in its own batch. */
async function deleteRows(
  db: D1Database,
  shape: OrgTableShape,
  orgId: string,
  around: { before: D1PreparedStatement[]; after: D1PreparedStatement[] },
): Promise<void> {
  const table = quoted(shape.name);
  const remove = db
    .prepare(`delete from ${table} where rowid in (select rowid from ${table} where org_id = ? limit ?)`)
    .bind(orgId, DELETE_CHUNK_ROWS);
  for (;;) {
    const results = await db.batch([...around.before, remove, ...around.after]);
    const removed = results[around.before.length]?.meta.changes ?? 0;
    if (removed === 0) return;
  }
}

export const freezeRow = (db: D1Database, orgId: string, state: string, other: string, since: string) =>
  db
    .prepare(
      `insert into org_freezes (org_id, state, other_database, since) values (?, ?, ?, ?)
       on conflict (org_id) do update set state = excluded.state, other_database = excluded.other_database, since = excluded.since`,
    )
    .bind(orgId, state, other, since);

export const dropFreeze = (db: D1Database, orgId: string) =>
  db.prepare("delete from org_freezes where org_id = ?").bind(orgId);

/** The last migration a database has applied; both ends of a move must agree. */
export async function schemaVersion(db: D1Database): Promise<string | null> {
  const row = await db
    .prepare("select name from d1_migrations order by id desc limit 1")
    .first<{ name: string }>();
  return row?.name ?? null;
}

/**
 * Empties what the organisation has in the target, leaving it marked `importing`. Tables go in
 * ORG_TABLES order, derived ones last: deleting rows fires the triggers that count them and
 * record tombstones, and what those write is deleted after them.
 */
export async function clearTarget(target: D1Database, orgId: string, from: string, since: string) {
  await freezeRow(target, orgId, "importing", from, since).run();
  for (const shape of ORG_TABLE_SHAPES) {
    await deleteRows(target, shape, orgId, { before: [], after: [] });
  }
}

/**
 * Deletes an organisation's rows from a database it has moved out of (its `moved` row stays).
 * Each chunk lifts the guard only inside its own batch, so no other write can slip in between.
 */
export async function purgeMovedRows(db: D1Database, orgId: string): Promise<void> {
  const marker = await db
    .prepare("select state, other_database, since from org_freezes where org_id = ?")
    .bind(orgId)
    .first<{ state: string; other_database: string; since: string }>();
  if (marker?.state !== "moved") throw new Error(`${orgId} has not moved out of this database`);
  const around = {
    before: [dropFreeze(db, orgId)],
    after: [freezeRow(db, orgId, "moved", marker.other_database, marker.since)],
  };
  for (const shape of ORG_TABLE_SHAPES) await deleteRows(db, shape, orgId, around);
}

/** Every organisation with a freeze row in a database, for `npm run org:list`. */
export async function freezesOf(db: D1Database) {
  const { results } = await db
    .prepare("select org_id, state, other_database, since from org_freezes order by org_id")
    .all<{ org_id: string; state: string; other_database: string; since: string }>();
  return results;
}

/** The organisations that have rows in a database, for `npm run org:adopt`. */
export async function organisationsIn(db: D1Database): Promise<string[]> {
  const union = ORG_TABLE_SHAPES.map((s) => `select distinct org_id from ${quoted(s.name)}`).join(" union ");
  const { results } = await db.prepare(`${union} order by 1`).all<{ org_id: string }>();
  return results.map((r) => r.org_id);
}
