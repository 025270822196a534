/**
 * Reading a statement bundle (statement.ts) as its checks need it: every member of the shape it
 * must have, and nothing more, or `Malformed` saying where, for the reader. Part of the check
 * away from the service (statement-verify.ts), so WebCrypto only.
 */
import { decodeHex } from "./bytes.ts";
import { EXPORT_COLUMNS, exportRow } from "./export-file.ts";
import { type ParsedCheckpoint, type ParsedNote, parseCheckpoint, parseNote } from "./note.ts";
import {
  MAX_STATEMENT_ENTRIES,
  STATEMENT_ENTRY_MODES,
  type Statement,
  type StatementEntry,
  VERIFICATIONS,
} from "./statement.ts";
import type { AuditRow } from "./types.ts";

/** A bundle whose shape is wrong; the message says where, for the reader. */
export class Malformed extends Error {}

export interface ReadBundle {
  statement: Statement;
  statement_hash: string;
  note: ParsedNote;
  entry: AuditRow;
  leaf_index: number;
  audit_path: Uint8Array[];
  checkpoint: ParsedCheckpoint;
}

type Members = Record<string, unknown>;

/** An object with exactly these members: anything more would be signed but never shown. */
function members(value: unknown, where: string, keys: readonly string[]): Members {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Malformed(`${where} is not an object`);
  const record = value as Members;
  const missing = keys.find((key) => !Object.hasOwn(record, key));
  if (missing !== undefined) throw new Malformed(`${where} has no "${missing}"`);
  const extra = Object.keys(record).find((key) => !keys.includes(key));
  if (extra !== undefined) throw new Malformed(`${where} has "${extra}", which is not part of a statement`);
  return record;
}

function text(value: unknown, where: string, pattern: RegExp = /\S/, shape = "a text"): string {
  if (typeof value !== "string" || !pattern.test(value)) throw new Malformed(`${where} is not ${shape}`);
  // RFC 8785 has no form for half of a UTF-16 surrogate pair.
  if (!value.isWellFormed()) throw new Malformed(`${where} holds a broken character`);
  return value;
}

function count(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max)
    throw new Malformed(`${where} is not a whole number from ${min} to ${max}`);
  return value;
}

function list(value: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new Malformed(`${where} is not a list`);
  if (value.length > max) throw new Malformed(`${where} holds more than ${max} items`);
  return value;
}

function oneOf<T extends string>(value: unknown, where: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value))
    throw new Malformed(`${where} is not one of ${allowed.join(", ")}`);
  return value as T;
}

const STATEMENT_ID = /^stmt-\d{8}-\d{3,9}$/;
const ORG_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** `<AUDIT_LOG_ORIGIN>/<org>`: no space, `+` or line break, so it is one line of the signed text. */
const ORIGIN = /^[^\s+]{1,200}\/[A-Za-z0-9._-]{1,64}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const HEX_HASH = /^[0-9a-f]{64}$/;
/** Far more than any tree's height (2^64 leaves). */
const MAX_AUDIT_PATH = 64;
const MAX_MINUTES_PER_ENTRY = 24 * 60;

/** Whether a date or time in the shapes above names a moment that exists (no 30 February). */
function exists(iso: string): boolean {
  const time = Date.parse(iso);
  return !Number.isNaN(time) && new Date(time).toISOString() === iso;
}
const isDate = (value: string) => DATE.test(value) && exists(`${value}T00:00:00.000Z`);
const isInstant = (value: string) => INSTANT.test(value) && exists(value.replace("Z", ".000Z"));

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const date = (value: unknown, where: string) => text(value, where, DATE, "a date (YYYY-MM-DD)");
const instant = (value: unknown, where: string) => {
  const read = text(value, where, INSTANT, "a UTC time (YYYY-MM-DDThh:mm:ssZ)");
  if (!isInstant(read)) throw new Malformed(`${where} is not a real time`);
  return read;
};

const STATEMENT_MEMBERS = [
  "statement_id",
  "origin",
  "org_id",
  "mentor",
  "period",
  "totals",
  "entries",
  "issued_at",
  "issued_by",
] as const;
const ENTRY_MEMBERS = [
  "id",
  "occurred_at",
  "activity_type",
  "duration_minutes",
  "entry_mode",
  "verification",
];
const TYPE_TOTAL_MEMBERS = ["activity_type", "label", "activities", "minutes"];

function readEntry(value: unknown, where: string): StatementEntry {
  const m = members(value, where, ENTRY_MEMBERS);
  const entry: StatementEntry = {
    id: text(m.id, `${where}.id`),
    occurred_at: instant(m.occurred_at, `${where}.occurred_at`),
    activity_type: text(m.activity_type, `${where}.activity_type`),
    duration_minutes: count(m.duration_minutes, `${where}.duration_minutes`, 1, MAX_MINUTES_PER_ENTRY),
    entry_mode: oneOf(m.entry_mode, `${where}.entry_mode`, STATEMENT_ENTRY_MODES),
    verification: oneOf(m.verification, `${where}.verification`, VERIFICATIONS),
  };
  // What makes an activity count (SPEC §15) depends on who entered it.
  const counts =
    entry.entry_mode === "self" ? entry.verification !== "confirmed" : entry.verification === "confirmed";
  if (!counts) {
    throw new Malformed(
      `${where} is a ${entry.entry_mode} entry marked ${entry.verification}, which does not make it count`,
    );
  }
  return entry;
}

function readStatement(value: unknown): Statement {
  const m = members(value, "the statement", STATEMENT_MEMBERS);
  const mentor = members(m.mentor, "statement.mentor", ["id", "name"]);
  const period = members(m.period, "statement.period", ["from", "to", "time_zone"]);
  const totals = members(m.totals, "statement.totals", ["activities", "minutes", "by_activity_type"]);
  const orgId = text(m.org_id, "statement.org_id", ORG_ID, "an organisation ID");
  const statement: Statement = {
    statement_id: text(
      m.statement_id,
      "statement.statement_id",
      STATEMENT_ID,
      "a statement ID (stmt-YYYYMMDD-NNN)",
    ),
    origin: text(m.origin, "statement.origin", ORIGIN, "a log origin (<name>/<organisation>)"),
    org_id: orgId,
    mentor: { id: text(mentor.id, "statement.mentor.id"), name: text(mentor.name, "statement.mentor.name") },
    period: {
      from: date(period.from, "statement.period.from"),
      to: date(period.to, "statement.period.to"),
      time_zone: text(period.time_zone, "statement.period.time_zone"),
    },
    totals: {
      activities: count(totals.activities, "statement.totals.activities", 0, MAX_STATEMENT_ENTRIES),
      minutes: count(
        totals.minutes,
        "statement.totals.minutes",
        0,
        MAX_STATEMENT_ENTRIES * MAX_MINUTES_PER_ENTRY,
      ),
      by_activity_type: list(
        totals.by_activity_type,
        "statement.totals.by_activity_type",
        MAX_STATEMENT_ENTRIES,
      ).map((item, i) => {
        const where = `statement.totals.by_activity_type[${i}]`;
        const row = members(item, where, TYPE_TOTAL_MEMBERS);
        return {
          activity_type: text(row.activity_type, `${where}.activity_type`),
          label: text(row.label, `${where}.label`),
          activities: count(row.activities, `${where}.activities`, 0, MAX_STATEMENT_ENTRIES),
          minutes: count(row.minutes, `${where}.minutes`, 0, MAX_STATEMENT_ENTRIES * MAX_MINUTES_PER_ENTRY),
        };
      }),
    },
    entries: list(m.entries, "statement.entries", MAX_STATEMENT_ENTRIES).map((item, i) =>
      readEntry(item, `statement.entries[${i}]`),
    ),
    issued_at: instant(m.issued_at, "statement.issued_at"),
    issued_by: text(m.issued_by, "statement.issued_by"),
  };
  if (!statement.origin.endsWith(`/${orgId}`))
    throw new Malformed(`statement.origin ${statement.origin} is not the log of organisation ${orgId}`);
  if (!isDate(statement.period.from)) throw new Malformed("statement.period.from is not a real date");
  if (!isDate(statement.period.to)) throw new Malformed("statement.period.to is not a real date");
  if (statement.period.from > statement.period.to)
    throw new Malformed("statement.period ends before it begins");
  if (!isTimeZone(statement.period.time_zone))
    throw new Malformed("statement.period.time_zone is not a time zone (such as Europe/London)");
  const seenEntries = new Set<string>();
  for (const entry of statement.entries) {
    if (seenEntries.has(entry.id)) throw new Malformed(`statement.entries lists activity ${entry.id} twice`);
    seenEntries.add(entry.id);
  }
  const seenTypes = new Set<string>();
  for (const row of statement.totals.by_activity_type) {
    if (seenTypes.has(row.activity_type))
      throw new Malformed(`statement.totals.by_activity_type lists ${row.activity_type} twice`);
    seenTypes.add(row.activity_type);
  }
  return statement;
}

export function readBundle(value: unknown): ReadBundle {
  const m = members(value, "the file", ["statement", "statement_hash", "signature", "log_entry"]);
  const statement = readStatement(m.statement);
  const statementHash = text(m.statement_hash, "statement_hash", HEX_HASH, "a SHA-256 hash in hex");
  const note = parseNote(text(m.signature, "signature"));
  if (note === null) throw new Malformed("signature is not a signed note");
  const log = members(m.log_entry, "log_entry", ["entry", "leaf_index", "audit_path", "checkpoint"]);
  const row = exportRow(members(log.entry, "log_entry.entry", EXPORT_COLUMNS));
  if (row === null || row.seq < 1 || !HEX_HASH.test(row.payload_hash))
    throw new Malformed("log_entry.entry is not an entry of the audit log");
  const auditPath = list(log.audit_path, "log_entry.audit_path", MAX_AUDIT_PATH).map((item, i) => {
    const bytes = decodeHex(text(item, `log_entry.audit_path[${i}]`, HEX_HASH, "a SHA-256 hash in hex"));
    if (bytes === null) throw new Malformed(`log_entry.audit_path[${i}] is not a SHA-256 hash in hex`);
    return bytes;
  });
  const checkpoint = parseCheckpoint(text(log.checkpoint, "log_entry.checkpoint"));
  if (checkpoint === null) throw new Malformed("log_entry.checkpoint is not a signed checkpoint");
  return {
    statement,
    statement_hash: statementHash,
    note,
    entry: row,
    leaf_index: count(log.leaf_index, "log_entry.leaf_index", 0, Number.MAX_SAFE_INTEGER),
    audit_path: auditPath,
    checkpoint,
  };
}
