/**
 * The audit object's own schema, in ordered steps. SQLite-backed Durable Objects have no
 * `PRAGMA user_version`, so the applied version lives in `schema_meta`.
 */
interface Migration {
  version: number;
  statements: readonly string[];
}

// Every filter index is partial on live rows and ends in `seq`, so a page filtered on one
// column is read in sequence order straight from the index. Queries must say `redacted = 0` literally for
// SQLite to pick a partial index.
const LIVE = "WHERE redacted = 0";

const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE entries (
        seq INTEGER PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        redacted INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1)),
        action TEXT,
        actor_id TEXT,
        actor_name TEXT,
        coordinator_id TEXT,
        mentor_id TEXT,
        mentor_name TEXT,
        activity_id TEXT,
        attribution_id TEXT,
        batch_id TEXT,
        mentor_ids TEXT,
        activity_type_id TEXT,
        activity_date TEXT,
        mentor_count INTEGER,
        skipped_count INTEGER,
        changes TEXT,
        ip_address TEXT,
        user_agent TEXT,
        target_seq INTEGER,
        annotation TEXT,
        reviewed_by TEXT,
        timestamp TEXT,
        recorded_at TEXT,
        payload_hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      )`,
      // One row: the last entry and its keyed checkpoint, rewritten by every append.
      `CREATE TABLE chain_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        checkpoint TEXT NOT NULL
      )`,
      // Every mentor an entry names, through mentor_id or mentor_ids, so one index serves both.
      `CREATE TABLE entry_mentors (
        mentor_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (mentor_id, seq)
      ) WITHOUT ROWID`,
      // The unfiltered list reads a page in order from here and counts live entries without the table.
      `CREATE INDEX entries_live_idx ON entries (seq) ${LIVE}`,
      `CREATE INDEX entries_action_idx ON entries (action, seq) ${LIVE}`,
      `CREATE INDEX entries_actor_idx ON entries (actor_id, seq) ${LIVE}`,
      `CREATE INDEX entries_coordinator_idx ON entries (coordinator_id, seq) ${LIVE}`,
      `CREATE INDEX entries_activity_idx ON entries (activity_id, seq) ${LIVE}`,
      `CREATE INDEX entries_attribution_idx ON entries (attribution_id, seq) ${LIVE}`,
      `CREATE INDEX entries_batch_idx ON entries (batch_id, seq) ${LIVE}`,
      `CREATE INDEX entries_timestamp_idx ON entries (timestamp, seq) ${LIVE}`,
      `CREATE INDEX entries_target_idx ON entries (target_seq, seq) ${LIVE}`,
    ],
  },
  {
    version: 2,
    statements: [
      // An export's bounds are append times; recorded_at grows with seq, so its ends are index lookups.
      `CREATE INDEX entries_recorded_idx ON entries (recorded_at, seq) ${LIVE}`,
    ],
  },
  {
    // The transparency log (SPEC §9): a Merkle tree over the entries' payload hashes with
    // Ed25519-signed checkpoints replaces the HMAC checkpoint of the chain head. A log that
    // predates it has its tree built by the alarm, in chunks, from `tree_size` 0 on.
    version: 3,
    statements: [
      // Complete subtrees only: (level, index) covers leaves [index·2^level, (index+1)·2^level).
      `CREATE TABLE tree_nodes (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (level, idx)
      ) WITHOUT ROWID`,
      // Every checkpoint signed, at most one per tree size and key.
      `CREATE TABLE checkpoints (
        tree_size INTEGER NOT NULL,
        key_id TEXT NOT NULL,
        root_hash TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (tree_size, key_id)
      ) WITHOUT ROWID`,
      // One row: the progress of the alarm's re-hash. The tree's size is its last leaf's index + 1.
      `CREATE TABLE log_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        full_audit TEXT
      )`,
      "INSERT INTO log_state (id, full_audit) VALUES (1, NULL)",
      // The HMAC of the head under AUDIT_CHAIN_KEY is retired: only the key holder could check it.
      "DROP TABLE chain_head",
      // Who a member event is about (member_created, member_updated).
      "ALTER TABLE entries ADD COLUMN member_id TEXT",
      // Only the entries that name a member or an attribution, so other appends pay nothing for them.
      "CREATE INDEX entries_member_idx ON entries (member_id, seq) WHERE member_id IS NOT NULL",
      // A record's trail shows its redacted events too (a redaction keeps attribution_id), so the
      // attribution index holds redacted rows as well.
      "DROP INDEX entries_attribution_idx",
      "CREATE INDEX entries_attribution_idx ON entries (attribution_id, seq) WHERE attribution_id IS NOT NULL",
    ],
  },
  {
    // The system POST's Idempotency-Keys, kept with the appends they answer (kept-answers.ts).
    version: 4,
    statements: [
      `CREATE TABLE idempotency_keys (
        caller_id TEXT NOT NULL,
        key TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        headers TEXT NOT NULL,
        body TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (caller_id, key)
      ) WITHOUT ROWID`,
      "CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at)",
    ],
  },
  {
    // The alarm's jobs as followers (followers.ts), each with its own row of state. A re-hash
    // under way keeps its progress in its row and goes on from where it stood.
    version: 5,
    statements: [
      `CREATE TABLE followers (
        name TEXT PRIMARY KEY,
        state TEXT NOT NULL
      ) WITHOUT ROWID`,
      `INSERT INTO followers (name, state)
        SELECT 'full-audit', full_audit FROM log_state WHERE id = 1 AND full_audit IS NOT NULL`,
      "DROP TABLE log_state",
    ],
  },
  {
    // The payload columns of a `statement_issued` entry (SPEC §16). Older rows hold NULL there,
    // which the payload leaves out, so their hashes stay valid.
    version: 6,
    statements: [
      "ALTER TABLE entries ADD COLUMN statement_id TEXT",
      "ALTER TABLE entries ADD COLUMN statement_hash TEXT",
    ],
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Brings the object's tables to SCHEMA_VERSION, one transaction per step. */
export function migrate(storage: DurableObjectStorage): void {
  const { sql } = storage;
  sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_meta (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
  );
  const current =
    sql.exec<{ version: number }>("SELECT version FROM schema_meta WHERE id = 1").toArray()[0]?.version ?? 0;
  if (current > SCHEMA_VERSION) {
    // Older code must not write into a schema it does not know.
    throw new Error(`Audit log schema version ${current} is newer than this code's ${SCHEMA_VERSION}`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
    storage.transactionSync(() => {
      for (const statement of migration.statements) sql.exec(statement);
      sql.exec(
        "INSERT INTO schema_meta (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        migration.version,
      );
    });
  }
}
