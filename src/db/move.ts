import { createHash, randomUUID } from "node:crypto";
import { type Databases, databaseBinding } from "./databases.ts";
import { ORG_TABLE_SHAPES, type OrgTableShape } from "./org-tables.ts";
import { DIRECTORY_CACHE_TTL_MS } from "./placement.ts";
import {
  beginMove,
  createDirectoryDb,
  type DirectoryDb,
  finishMove,
  flipPlacement,
  type MoveRecord,
  noteMoveStep,
  readPlacement,
} from "./queries/directory.ts";

/**
 * Moving an organisation from one D1 database to another (SPEC §13, `npm run org:move`):
 *
 *   1. freeze it in the source: a `frozen` row in `org_freezes`, which the guard triggers check
 *      inside every write, so a write from any isolate aborts (503, Retry-After) and writes nothing;
 *   2. copy every table of ORG_TABLES into the target, page by page, the derived totals last so
 *      they replace what the target's triggers counted while the rows went in;
 *   3. verify: each table's row count and SHA-256 over its rows in key order, read back from both;
 *   4. flip the directory (compare-and-set on the source), and mark the source `moved`;
 *   5. wait out the directory cache (DIRECTORY_CACHE_SECONDS and a margin): every isolate now
 *      reads and writes the new database;
 *   6. delete the organisation's rows from the source, keeping its `moved` row there, so that a
 *      write from an isolate that somehow still points at it keeps aborting instead of landing.
 *
 * A failure before the flip undoes the copy and lifts the freeze; nothing was lost, since the
 * source was never written. It works on D1Database bindings only, so the same code runs against
 * local databases, remote ones (through wrangler's platform proxy) and in the tests.
 */

/** Past the cache's lifetime: a request that read the directory just before the flip has finished. */
export const MOVE_CACHE_MARGIN_MS = 5_000;
/** Rows read per page of a table. */
const PAGE_ROWS = 500;
/** Largest JSON array of rows bound to one insert (D1 takes values up to 2 MB). */
const MAX_INSERT_BYTES = 512 * 1024;
/** Rows one delete statement removes, so no statement runs long. */
const DELETE_CHUNK_ROWS = 1_000;

export type MoveStep = "frozen" | "copied" | "verified" | "flipped" | "waited" | "purged";

export interface TableReport {
  table: string;
  rows: number;
  /** SHA-256 (hex) of the rows in key order, equal in both databases. */
  checksum: string;
}

export interface MoveReport {
  moveId: string;
  orgId: string;
  from: string;
  to: string;
  tables: TableReport[];
  waitedMs: number;
}

export interface MoveOptions {
  directory: D1Database;
  databases: Databases;
  /** The bindings the databases are found in, by name. */
  bindings: Readonly<Record<string, unknown>>;
  orgId: string;
  to: string;
  /** Waits `ms` milliseconds (real time in the CLI). */
  wait: (ms: number) => Promise<void>;
  /** How long the Worker's isolates trust the directory (DIRECTORY_CACHE_SECONDS); 60 s by default. */
  cacheTtlMs?: number;
  now?: () => Date;
  log?: (line: string) => void;
  /** Called as each step completes, before the next begins. */
  onStep?: (step: MoveStep) => Promise<void> | void;
}

/** A move refused before anything was changed: wrong database, another jurisdiction, a move running. */
export class MoveRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MoveRefused";
  }
}

const iso = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;
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
async function summarise(db: D1Database, shape: OrgTableShape, orgId: string): Promise<TableReport> {
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
async function copyTable(source: D1Database, target: D1Database, shape: OrgTableShape, orgId: string) {
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

const freezeRow = (db: D1Database, orgId: string, state: string, other: string, since: string) =>
  db
    .prepare(
      `insert into org_freezes (org_id, state, other_database, since) values (?, ?, ?, ?)
       on conflict (org_id) do update set state = excluded.state, other_database = excluded.other_database, since = excluded.since`,
    )
    .bind(orgId, state, other, since);

const dropFreeze = (db: D1Database, orgId: string) =>
  db.prepare("delete from org_freezes where org_id = ?").bind(orgId);

/** The last migration a database has applied; both ends of a move must agree. */
async function schemaVersion(db: D1Database): Promise<string | null> {
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
async function clearTarget(target: D1Database, orgId: string, from: string, since: string) {
  await freezeRow(target, orgId, "importing", from, since).run();
  for (const shape of ORG_TABLE_SHAPES) {
    await deleteRows(target, shape, orgId, { before: [], after: [] });
  }
}

interface Ends {
  dir: DirectoryDb;
  source: D1Database;
  target: D1Database;
  move: MoveRecord;
}

/** Checks everything a move needs before it changes anything; answers both ends. */
async function prepare(options: MoveOptions): Promise<Ends> {
  const { databases, orgId, to } = options;
  const dir = createDirectoryDb(options.directory);
  const placement = await readPlacement(dir, orgId);
  if (placement === null) throw new MoveRefused(`The directory does not know organisation ${orgId}`);
  const from = placement.database;
  const fromEntry = databases.byBinding.get(from);
  const toEntry = databases.byBinding.get(to);
  if (toEntry === undefined) throw new MoveRefused(`${to} is not one of D1_DATABASES`);
  if (fromEntry === undefined)
    throw new MoveRefused(`${orgId} is on ${from}, which D1_DATABASES does not list`);
  if (from === to) throw new MoveRefused(`${orgId} is on ${to} already`);
  const fromJurisdiction = placement.jurisdiction ?? "none";
  const toJurisdiction = toEntry.jurisdiction ?? "none";
  if (fromJurisdiction !== toJurisdiction || (fromEntry.jurisdiction ?? "none") !== fromJurisdiction) {
    throw new MoveRefused(
      `${orgId} is in jurisdiction ${fromJurisdiction} and ${to} in ${toJurisdiction}: its audit log cannot ` +
        "follow it there, so moves between jurisdictions are refused",
    );
  }
  const source = databaseBinding(options.bindings, from);
  const target = databaseBinding(options.bindings, to);
  const [fromVersion, toVersion] = await Promise.all([schemaVersion(source), schemaVersion(target)]);
  if (fromVersion !== toVersion) {
    throw new MoveRefused(
      `${from} is at migration ${fromVersion} and ${to} at ${toVersion}: migrate both first (npm run db:migrate:local, or :remote)`,
    );
  }
  const frozen = await source
    .prepare("select state from org_freezes where org_id = ?")
    .bind(orgId)
    .first<{ state: string }>();
  if (frozen !== null) {
    throw new MoveRefused(
      `${from} holds ${orgId} ${frozen.state}: an earlier move did not finish (npm run org:list)`,
    );
  }
  const move = { moveId: randomUUID(), orgId, fromDatabase: from, toDatabase: to };
  return { dir, source, target, move };
}

/** Moves the organisation (see above); answers what was copied. Throws MoveRefused or the failure. */
export async function moveOrganisation(options: MoveOptions): Promise<MoveReport> {
  const now = () => iso(options.now?.() ?? new Date());
  const log = options.log ?? (() => {});
  const step = async (ends: Ends, name: MoveStep) => {
    log(`${name}`);
    await noteMoveStep(ends.dir, ends.move.moveId, name);
    await options.onStep?.(name);
  };
  const ends = await prepare(options);
  const { dir, source, target, move } = ends;
  const { orgId } = move;
  if (!(await beginMove(dir, move, now()))) {
    throw new MoveRefused(`A move of ${orgId} is running already`);
  }
  let flipped = false;
  try {
    await clearTarget(target, orgId, move.fromDatabase, now());
    // Plain insert: a freeze row that appeared since the check means another mover; this one stops.
    await source
      .prepare("insert into org_freezes (org_id, state, other_database, since) values (?, 'frozen', ?, ?)")
      .bind(orgId, move.toDatabase, now())
      .run();
    await step(ends, "frozen");

    for (const shape of ORG_TABLE_SHAPES) await copyTable(source, target, shape, orgId);
    await step(ends, "copied");

    const tables: TableReport[] = [];
    for (const shape of ORG_TABLE_SHAPES) {
      const [there, here] = await Promise.all([
        summarise(source, shape, orgId),
        summarise(target, shape, orgId),
      ]);
      if (there.rows !== here.rows || there.checksum !== here.checksum) {
        throw new Error(
          `${shape.name}: ${there.rows} rows in ${move.fromDatabase} (${there.checksum.slice(0, 12)}), ` +
            `${here.rows} in ${move.toDatabase} (${here.checksum.slice(0, 12)})`,
        );
      }
      tables.push(there);
    }
    await step(ends, "verified");

    if (!(await flipPlacement(dir, move, now()))) {
      throw new Error(`The directory no longer places ${orgId} on ${move.fromDatabase}`);
    }
    flipped = true;
    await target.batch([dropFreeze(target, orgId)]);
    await freezeRow(source, orgId, "moved", move.toDatabase, now()).run();
    await step(ends, "flipped");

    const waitedMs = (options.cacheTtlMs ?? DIRECTORY_CACHE_TTL_MS) + MOVE_CACHE_MARGIN_MS;
    await options.wait(waitedMs);
    await step(ends, "waited");

    await purgeMovedRows(source, orgId);
    await step(ends, "purged");
    await finishMove(dir, move.moveId, "done", `moved to ${move.toDatabase}`, now());
    return { moveId: move.moveId, orgId, from: move.fromDatabase, to: move.toDatabase, tables, waitedMs };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (!flipped) {
      // Nothing was written to the source: empty the target and lift the freeze.
      await clearTarget(target, orgId, move.fromDatabase, now());
      await target.batch([dropFreeze(target, orgId)]);
      await source
        .prepare("delete from org_freezes where org_id = ? and state = 'frozen' and other_database = ?")
        .bind(orgId, move.toDatabase)
        .run();
    }
    await finishMove(
      dir,
      move.moveId,
      "failed",
      flipped
        ? `failed after the flip (served from ${move.toDatabase}): ${reason}`
        : `rolled back: ${reason}`,
      now(),
    );
    throw err;
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
