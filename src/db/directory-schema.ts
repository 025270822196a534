import { sql } from "drizzle-orm";
import { check, index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * The directory: its own small D1 database (binding DIRECTORY, migrations in
 * migrations-directory/) that says which database holds each organisation (SPEC §13). It is
 * never moved or split itself, so every database that holds organisations stays
 * interchangeable: any of them can be emptied, retired or added without the map moving with it.
 */

/** Each organisation and the database (a D1 binding's name) it lives on. */
export const organisations = sqliteTable(
  "organisations",
  {
    orgId: text("org_id").primaryKey(),
    /** The binding name, as `D1_DATABASES` lists it (`DB_1`, …). */
    database: text("database").notNull(),
    /**
     * The jurisdiction of that database when the organisation was placed (null: none). Its audit
     * object lives in the same jurisdiction and cannot follow it out, so the Worker refuses to
     * serve an organisation whose database no longer reports the jurisdiction recorded here.
     */
    jurisdiction: text("jurisdiction"),
    placedAt: text("placed_at").notNull(),
    /** Set when a move flips the organisation to another database. */
    movedAt: text("moved_at"),
  },
  // Placement counts organisations per database.
  (t) => [index("organisations_database_idx").on(t.database)],
);

export const MOVE_STATES = ["running", "done", "failed"] as const;
export type MoveState = (typeof MOVE_STATES)[number];

/** Every move, as `npm run org:move` records it: one running at a time per organisation. */
export const orgMoves = sqliteTable(
  "org_moves",
  {
    moveId: text("move_id").primaryKey(),
    orgId: text("org_id").notNull(),
    fromDatabase: text("from_database").notNull(),
    toDatabase: text("to_database").notNull(),
    state: text("state", { enum: MOVE_STATES }).notNull(),
    /** The last step reached (frozen, copied, verified, flipped, purged), or why it failed. */
    detail: text("detail").notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
  },
  (t) => [
    index("org_moves_org_idx").on(t.orgId, t.startedAt),
    // A second move of an organisation cannot start while one runs, whoever starts it.
    uniqueIndex("org_moves_one_running_uq").on(t.orgId).where(sql`${t.state} = 'running'`),
    check(
      "org_moves_state_check",
      sql`${t.state} in (${sql.raw(MOVE_STATES.map((s) => `'${s}'`).join(", "))})`,
    ),
  ],
);
