import { randomUUID } from "node:crypto";
import { type Databases, databaseBinding } from "./databases.ts";
import {
  clearTarget,
  copyTable,
  dropFreeze,
  freezeRow,
  purgeMovedRows,
  schemaVersion,
  summarise,
  type TableReport,
} from "./move-tables.ts";
import { ORG_TABLE_SHAPES } from "./org-tables.ts";
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

export type MoveStep = "frozen" | "copied" | "verified" | "flipped" | "waited" | "purged";

export { freezesOf, organisationsIn, purgeMovedRows } from "./move-tables.ts";
export type { TableReport };

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
