/**
 * The audit object's SQL, all synchronous so a caller can compose it inside one
 * `transactionSync`. Only the object calls these.
 */
import {
  ANNOTATION_ACTION,
  DELETION_ACTION,
  ERASED_COLUMNS,
  linkHash,
  PAYLOAD_FIELDS,
  payloadHash,
} from "./chain";
import { entryId } from "./entry-id";
import { leafHash, type MerkleFrontier } from "./merkle";
import { type LogHead, putNodes } from "./tree-store";
import type { AuditAnnotation, AuditChanges, AuditEntry, AuditListQuery, AuditRow } from "./types";

/** Every column of `entries`. */
const ENTRY_COLUMNS = [...PAYLOAD_FIELDS, "redacted", "payload_hash", "prev_hash", "hash"] as const;

/** The fields of a new entry; the writer adds the sequence number and the hashes. */
export type EntryFields = Omit<AuditRow, "seq" | "redacted" | "payload_hash" | "prev_hash" | "hash">;

export interface Statement {
  sql: string;
  params: SqlStorageValue[];
}

/** A statement binds at most 100 parameters. */
const MAX_BOUND_PARAMETERS = 100;
const ENTRY_ROWS_PER_INSERT = Math.floor(MAX_BOUND_PARAMETERS / ENTRY_COLUMNS.length);
const MENTOR_ROWS_PER_INSERT = Math.floor(MAX_BOUND_PARAMETERS / 2);

/** Runs `statement(n)` over `rows` in pieces of at most `per` rows, binding each row's values. */
function insertRows<T>(
  sql: SqlStorage,
  rows: readonly T[],
  per: number,
  statement: (count: number) => string,
  values: (row: T) => SqlStorageValue[],
): void {
  for (let start = 0; start < rows.length; start += per) {
    const chunk = rows.slice(start, start + per);
    sql.exec(statement(chunk.length), ...chunk.flatMap(values));
  }
}

const entryInsert = (count: number) =>
  `INSERT INTO entries (${ENTRY_COLUMNS.join(", ")}) VALUES ${Array.from(
    { length: count },
    () => `(${ENTRY_COLUMNS.map(() => "?").join(", ")})`,
  ).join(", ")}`;
const mentorInsert = (count: number) =>
  `INSERT INTO entry_mentors (mentor_id, seq) VALUES ${Array.from({ length: count }, () => "(?, ?)").join(", ")}`;
const REDACT_ENTRY = `UPDATE entries SET redacted = 1, ${ERASED_COLUMNS.map((c) => `${c} = NULL`).join(", ")} WHERE seq = ?`;

const SELECT_BY_SEQ = "SELECT * FROM entries WHERE seq = ?";
export const SELECT_BY_EVENT_ID = "SELECT * FROM entries WHERE event_id = ?";
export const SELECT_CHUNK = "SELECT * FROM entries WHERE seq > ? ORDER BY seq LIMIT ?";
export const SELECT_RANGE_CHUNK = "SELECT * FROM entries WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?";
export const SELECT_FIRST_RECORDED_FROM =
  "SELECT seq FROM entries WHERE redacted = 0 AND recorded_at >= ? ORDER BY recorded_at, seq LIMIT 1";
export const SELECT_LAST_RECORDED_TO =
  "SELECT seq FROM entries WHERE redacted = 0 AND recorded_at <= ? ORDER BY recorded_at DESC, seq DESC LIMIT 1";
export const SELECT_LATEST_ANNOTATION = `SELECT * FROM entries WHERE target_seq = ? AND action = '${ANNOTATION_ACTION}' AND redacted = 0 ORDER BY seq DESC LIMIT 1`;

function one(sql: SqlStorage, query: string, ...params: SqlStorageValue[]): AuditRow | null {
  return sql.exec<AuditRow>(query, ...params).toArray()[0] ?? null;
}

export const rowBySeq = (sql: SqlStorage, seq: number) => one(sql, SELECT_BY_SEQ, seq);
export const rowByEventId = (sql: SqlStorage, eventId: string) => one(sql, SELECT_BY_EVENT_ID, eventId);

/** The entries holding any of these event IDs, by event ID, a statement per 100 IDs. */
export function rowsByEventIds(sql: SqlStorage, eventIds: readonly string[]): Map<string, AuditRow> {
  const found = new Map<string, AuditRow>();
  const unique = [...new Set(eventIds)];
  for (let start = 0; start < unique.length; start += MAX_BOUND_PARAMETERS) {
    const chunk = unique.slice(start, start + MAX_BOUND_PARAMETERS);
    const query = `SELECT * FROM entries WHERE event_id IN (${chunk.map(() => "?").join(", ")})`;
    for (const row of sql.exec<AuditRow>(query, ...chunk)) found.set(row.event_id, row);
  }
  return found;
}
export const latestAnnotationRow = (sql: SqlStorage, seq: number) => one(sql, SELECT_LATEST_ANNOTATION, seq);

export function rowsAfter(sql: SqlStorage, seq: number, limit: number): AuditRow[] {
  return sql.exec<AuditRow>(SELECT_CHUNK, seq, limit).toArray();
}

/** Rows after `afterSeq` up to `lastSeq`, at most `limit` of them, redacted ones included. */
export function rowsBetween(sql: SqlStorage, afterSeq: number, lastSeq: number, limit: number): AuditRow[] {
  return sql.exec<AuditRow>(SELECT_RANGE_CHUNK, afterSeq, lastSeq, limit).toArray();
}

/** The sequence number a one-column `SELECT seq` lookup finds, or null. */
export function seqWhere(sql: SqlStorage, query: string, ...params: SqlStorageValue[]): number | null {
  return sql.exec<{ seq: number }>(query, ...params).toArray()[0]?.seq ?? null;
}

function mentorsOf(row: Pick<AuditRow, "mentor_id" | "mentor_ids">): Set<string> {
  const mentors = new Set<string>(row.mentor_ids ? (JSON.parse(row.mentor_ids) as string[]) : []);
  if (row.mentor_id) mentors.add(row.mentor_id);
  return mentors;
}

/**
 * Appends entries after the last one. Use inside one `transactionSync`. Each entry gets the next
 * sequence number, its payload hash, its link in the hash chain (kept for exports and tools that
 * walk it) and, when the tree is given (it is being built otherwise), its leaf and the complete
 * subtrees it closes.
 */
export class LogWriter {
  private readonly sql: SqlStorage;
  private readonly tree: MerkleFrontier | null;
  private seq: number;
  private hash: string;
  private rows: AuditRow[] = [];
  private nodes: { level: number; index: number; hash: Uint8Array }[] = [];

  /**
   * Appends after `head`; with `tree`, the stored edge of the tree, every entry is also a leaf
   * (without it, while an old log's tree is being built, entries wait for the build). Rows are
   * written by commit(), a few to a statement.
   */
  constructor(sql: SqlStorage, tree: MerkleFrontier | null, head: Pick<LogHead, "length" | "lastHash">) {
    this.sql = sql;
    this.tree = tree;
    this.seq = head.length;
    this.hash = head.lastHash;
  }

  /** Entries added so far. */
  get appended(): number {
    return this.rows.length;
  }

  add(fields: EntryFields): AuditRow {
    const seq = this.seq + 1;
    const unhashed: AuditRow = {
      seq,
      redacted: 0,
      ...fields,
      payload_hash: "",
      prev_hash: this.hash,
      hash: "",
    };
    const payload_hash = payloadHash(unhashed);
    const row: AuditRow = { ...unhashed, payload_hash, hash: linkHash(this.hash, payload_hash) };
    this.rows.push(row);
    if (this.tree) {
      if (this.tree.size !== seq - 1)
        throw new Error(`The tree holds ${this.tree.size} leaves, not ${seq - 1}`);
      this.nodes.push(...this.tree.append(leafHash(payload_hash)));
    }
    this.seq = seq;
    this.hash = row.hash;
    return row;
  }

  /** Writes the entries, their mentor index rows and the tree's new nodes; answers the grown tree, if any. */
  commit(): MerkleFrontier | null {
    const rows = this.rows;
    insertRows(this.sql, rows, ENTRY_ROWS_PER_INSERT, entryInsert, (row) =>
      ENTRY_COLUMNS.map((column) => row[column]),
    );
    const mentors = rows.flatMap((row) => [...mentorsOf(row)].map((mentor) => [mentor, row.seq] as const));
    insertRows(this.sql, mentors, MENTOR_ROWS_PER_INSERT, mentorInsert, ([mentor, seq]) => [mentor, seq]);
    putNodes(this.sql, this.nodes);
    this.nodes = [];
    this.rows = [];
    return this.tree;
  }
}

/** Erases an entry's payload and its mentor index rows; its hashes stay so the chain holds. */
export function redactRow(sql: SqlStorage, row: AuditRow): void {
  sql.exec(REDACT_ENTRY, row.seq);
  for (const mentor of mentorsOf(row)) {
    sql.exec("DELETE FROM entry_mentors WHERE mentor_id = ? AND seq = ?", mentor, row.seq);
  }
}

const FILTER_COLUMNS = [
  "actor_id",
  "coordinator_id",
  "activity_id",
  "attribution_id",
  "batch_id",
  "member_id",
] as const;

/** The page and count statements of a list query; exported so their plans can be checked. */
export function listStatements(query: AuditListQuery): { page: Statement; count: Statement } {
  const where = ["e.redacted = 0"];
  const params: SqlStorageValue[] = [];
  let from = "entries e";
  // Ordering by the column the driving index holds lets SQLite read a page without sorting.
  let orderColumn = "e.seq";
  if (query.mentor_id !== undefined) {
    from = "entry_mentors m JOIN entries e ON e.seq = m.seq";
    orderColumn = "m.seq";
    where.push("m.mentor_id = ?");
    params.push(query.mentor_id);
  }
  for (const column of FILTER_COLUMNS) {
    const value = query[column];
    if (value === undefined) continue;
    where.push(`e.${column} = ?`);
    params.push(value);
  }
  if (query.actions !== undefined) {
    where.push(`e.action IN (${query.actions.map(() => "?").join(", ")})`);
    params.push(...query.actions);
  }
  if (query.from !== undefined) {
    where.push("e.timestamp >= ?");
    params.push(query.from);
  }
  if (query.to !== undefined) {
    where.push("e.timestamp <= ?");
    params.push(query.to);
  }
  const body = `FROM ${from} WHERE ${where.join(" AND ")}`;
  const order = query.order === "asc" ? "ASC" : "DESC";
  return {
    page: {
      sql: `SELECT e.* ${body} ORDER BY ${orderColumn} ${order} LIMIT ? OFFSET ?`,
      params: [...params, query.limit, query.offset],
    },
    count: { sql: `SELECT count(*) AS total ${body}`, params },
  };
}

export function listRows(sql: SqlStorage, query: AuditListQuery): { rows: AuditRow[]; total: number } {
  const { page, count } = listStatements(query);
  const rows = sql.exec<AuditRow>(page.sql, ...page.params).toArray();
  const total = sql.exec<{ total: number }>(count.sql, ...count.params).one().total;
  return { rows, total };
}

function required<T>(value: T | null, column: string, seq: number): T {
  if (value === null) throw new Error(`Audit entry ${entryId(seq)} has no ${column}`);
  return value;
}

/** A live row as the object answers it. */
export function toEntry(row: AuditRow): AuditEntry {
  return {
    id: entryId(row.seq),
    seq: row.seq,
    event_id: row.event_id,
    action: required(row.action, "action", row.seq),
    actor_id: required(row.actor_id, "actor_id", row.seq),
    actor_name: row.actor_name,
    coordinator_id: row.coordinator_id,
    mentor_id: row.mentor_id,
    mentor_name: row.mentor_name,
    activity_id: row.activity_id,
    attribution_id: row.attribution_id,
    batch_id: row.batch_id,
    mentor_ids: row.mentor_ids === null ? null : (JSON.parse(row.mentor_ids) as string[]),
    activity_type_id: row.activity_type_id,
    activity_date: row.activity_date,
    mentor_count: row.mentor_count,
    skipped_count: row.skipped_count,
    changes: row.changes === null ? null : (JSON.parse(row.changes) as AuditChanges),
    ip_address: row.ip_address,
    user_agent: row.user_agent,
    member_id: row.member_id,
    target_seq: row.target_seq,
    annotation: row.annotation,
    reviewed_by: row.reviewed_by,
    timestamp: required(row.timestamp, "timestamp", row.seq),
    recorded_at: required(row.recorded_at, "recorded_at", row.seq),
    payload_hash: row.payload_hash,
    prev_hash: row.prev_hash,
    hash: row.hash,
  };
}

/**
 * The events of one attribution, oldest first: live entries, and the redacted ones with who
 * redacted them and when, from their deletion records.
 */
export function trailRows(
  sql: SqlStorage,
  attributionId: string,
  limit: number,
): { row: AuditRow; deletion: { actor_id: string; timestamp: string } | null }[] {
  const rows = sql
    .exec<AuditRow>(
      "SELECT * FROM entries WHERE attribution_id = ? ORDER BY seq LIMIT ?",
      attributionId,
      limit,
    )
    .toArray();
  return rows.map((row) => {
    if (row.redacted === 0) return { row, deletion: null };
    const deletion =
      sql
        .exec<{ actor_id: string; timestamp: string }>(
          `SELECT actor_id, timestamp FROM entries WHERE target_seq = ? AND action = '${DELETION_ACTION}'
            AND redacted = 0 ORDER BY seq LIMIT 1`,
          row.seq,
        )
        .toArray()[0] ?? null;
    return { row, deletion };
  });
}

export function toAnnotation(record: AuditEntry): AuditAnnotation {
  return {
    annotation: required(record.annotation, "annotation", record.seq),
    reviewed_by: required(record.reviewed_by, "reviewed_by", record.seq),
    updated_at: record.timestamp,
    record_id: record.id,
  };
}
