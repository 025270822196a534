/**
 * The check of a statement bundle (statement.ts) away from the service, with public keys only:
 * `npm run verify-statement` runs it in Node, the page `/statements/verify` in a browser, the
 * tests in workerd. WebCrypto only, so it runs the same in all three.
 *
 * Every check runs, in the order of STATEMENT_CHECKS, and the first that fails is the answer,
 * with a sentence a reader who is not technical can act on.
 */
import { decodeHex, encodeHex } from "./bytes.ts";
import { entryId } from "./entry-id.ts";
import { EXPORT_COLUMNS, exportRow } from "./export-file.ts";
import { inclusionSides } from "./inclusion.ts";
import {
  type NoteKey,
  type NoteSignature,
  type ParsedCheckpoint,
  type ParsedNote,
  parseCheckpoint,
  parseNote,
} from "./note.ts";
import { canonicalJson, entryPayload } from "./payload.ts";
import {
  MAX_STATEMENT_ENTRIES,
  STATEMENT_ENTRY_MODES,
  STATEMENT_ISSUED_ACTION,
  STATEMENT_NOTE_HEADER,
  type Statement,
  type StatementEntry,
  statementJcs,
  statementNoteText,
  VERIFICATIONS,
} from "./statement.ts";
import type { AuditRow } from "./types.ts";
import { leafHashOf, nodeHashOf, sha256Text, verifyEd25519 } from "./webcrypto.ts";

/** The checks, in the order they run; a CLI exits with the failing one's code and prints its tag. */
export const STATEMENT_CHECKS = [
  { check: "well_formed", tag: "MALFORMED", exit: 10 },
  { check: "totals", tag: "TOTALS", exit: 11 },
  { check: "statement_hash", tag: "CHANGED", exit: 12 },
  { check: "signature", tag: "SIGNATURE", exit: 13 },
  { check: "signed_text", tag: "SIGNED_TEXT", exit: 14 },
  { check: "log_entry", tag: "LOG_ENTRY", exit: 15 },
  { check: "entry_hash", tag: "ENTRY_CHANGED", exit: 16 },
  { check: "inclusion", tag: "NOT_IN_LOG", exit: 17 },
  { check: "checkpoint", tag: "CHECKPOINT", exit: 18 },
] as const;

export type StatementCheck = (typeof STATEMENT_CHECKS)[number]["check"];

export interface VerifiedStatement {
  ok: true;
  statement: Statement;
  /** The key that signed the statement. */
  signed_by: NoteKey;
  /** The `statement_issued` entry, `log-NNN`. */
  log_entry_id: string;
  /** The size of the signed tree the entry is proved in. */
  tree_size: number;
  checkpoint_signed_by: NoteKey;
}

export interface FailedStatement {
  ok: false;
  check: StatementCheck;
  /** One plain sentence: what is wrong, specifically. */
  reason: string;
}

export type StatementVerdict = VerifiedStatement | FailedStatement;

const failed = (check: StatementCheck, reason: string): FailedStatement => ({ ok: false, check, reason });

/** The bundle's text: JSON, then every check. */
export async function verifyStatementText(text: string, keys: readonly NoteKey[]): Promise<StatementVerdict> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return failed("well_formed", "This is not a statement of hours: the text is not valid JSON.");
  }
  return verifyStatementBundle(value, keys);
}

/** Never throws for what it is given; only where the runtime cannot verify Ed25519 (Ed25519Unsupported). */
export async function verifyStatementBundle(
  value: unknown,
  keys: readonly NoteKey[],
): Promise<StatementVerdict> {
  let bundle: ReadBundle;
  try {
    bundle = readBundle(value);
  } catch (err) {
    if (err instanceof Malformed)
      return failed("well_formed", `This is not a complete statement of hours: ${err.message}.`);
    throw err;
  }
  const { statement, note, entry, checkpoint } = bundle;

  const totals = totalsProblem(statement);
  if (totals !== null) return failed("totals", `The totals do not add up: ${totals}.`);

  const hash = await sha256Text(statementJcs(statement));
  if (encodeHex(hash) !== bundle.statement_hash) {
    return failed(
      "statement_hash",
      "The statement was changed after it was issued: its contents do not match the hash that was signed.",
    );
  }

  const signer = await signerOf(note, keys);
  if (!("key" in signer)) return failed("signature", signatureProblem("The statement", signer, keys));

  const textProblem = signedTextProblem(note, statement, hash, signer.key);
  if (textProblem !== null) return failed("signed_text", textProblem);

  const entryProblem = logEntryProblem(entry, statement, bundle.statement_hash);
  if (entryProblem !== null) return failed("log_entry", entryProblem);

  let recomputed: string | null;
  try {
    recomputed = encodeHex(await sha256Text(canonicalJson(entryPayload(entry))));
  } catch {
    recomputed = null;
  }
  if (recomputed !== entry.payload_hash) {
    return failed(
      "entry_hash",
      `The log entry was changed: the fields of ${entryId(entry.seq)} do not match its payload hash.`,
    );
  }

  const inclusion = await inclusionProblem(entry, bundle.leaf_index, bundle.audit_path, checkpoint);
  if (inclusion !== null) return failed("inclusion", inclusion);

  const checkpointSigner = await signerOf(checkpoint, keys);
  if (!("key" in checkpointSigner))
    return failed("checkpoint", signatureProblem("The log checkpoint", checkpointSigner, keys));
  if (checkpoint.origin !== statement.origin) {
    return failed(
      "checkpoint",
      `The log checkpoint is of another log: ${checkpoint.origin}, not this statement's ${statement.origin}.`,
    );
  }
  if (!checkpoint.origin.startsWith(`${checkpointSigner.key.name}/`)) {
    return failed(
      "checkpoint",
      `The log checkpoint was signed by the key of ${checkpointSigner.key.name}, which does not keep the log ${checkpoint.origin}.`,
    );
  }

  return {
    ok: true,
    statement,
    signed_by: signer.key,
    log_entry_id: entryId(entry.seq),
    tree_size: checkpoint.treeSize,
    checkpoint_signed_by: checkpointSigner.key,
  };
}

// --- Reading the bundle -------------------------------------------------------------------------

/** A bundle whose shape is wrong; the message says where, for the reader. */
class Malformed extends Error {}

interface ReadBundle {
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

function readBundle(value: unknown): ReadBundle {
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

// --- The checks ---------------------------------------------------------------------------------

/** Why the totals are not the sums of the entries, or null. */
function totalsProblem(statement: Statement): string | null {
  const { totals, entries } = statement;
  if (totals.activities !== entries.length)
    return `the statement says ${totals.activities} activities, but it lists ${entries.length}`;
  const minutes = entries.reduce((sum, entry) => sum + entry.duration_minutes, 0);
  if (totals.minutes !== minutes)
    return `the statement says ${totals.minutes} minutes in all, but its activities add up to ${minutes}`;
  const byType = new Map<string, { activities: number; minutes: number }>();
  for (const entry of entries) {
    const sum = byType.get(entry.activity_type) ?? { activities: 0, minutes: 0 };
    byType.set(entry.activity_type, {
      activities: sum.activities + 1,
      minutes: sum.minutes + entry.duration_minutes,
    });
  }
  for (const row of totals.by_activity_type) {
    const name = `${row.label} (${row.activity_type})`;
    const sum = byType.get(row.activity_type);
    if (sum === undefined) return `the statement counts ${name}, but none of its activities is of that type`;
    if (row.activities !== sum.activities)
      return `the statement says ${row.activities} activities of ${name}, but it lists ${sum.activities}`;
    if (row.minutes !== sum.minutes)
      return `the statement says ${row.minutes} minutes of ${name}, but those activities add up to ${sum.minutes}`;
  }
  const listed = new Set(totals.by_activity_type.map((row) => row.activity_type));
  const left = [...byType.keys()].find((type) => !listed.has(type));
  if (left !== undefined) return `activities of type ${left} are missing from the totals by type`;
  return null;
}

type Signer =
  | { key: NoteKey }
  /** No signature of any key given. */
  | { unknown: NoteSignature[] }
  /** A key given has a signature there that does not verify. */
  | { invalid: NoteKey };

const keyName = (key: { name: string; keyId: string }) => `${key.name}+${key.keyId}`;

/**
 * Who of `keys` signed the note, as signed-note.ts's verifyCheckpoint decides: signatures of
 * unknown keys are ignored, a signature of a known key must verify, and at least one must.
 */
async function signerOf(
  note: { text: string; signatures: NoteSignature[] },
  keys: readonly NoteKey[],
): Promise<Signer> {
  let signer: NoteKey | null = null;
  for (const signature of note.signatures) {
    const key = keys.find((k) => k.name === signature.name && k.keyId === signature.keyId);
    if (key === undefined) continue;
    if (!(await verifyEd25519(key.publicKey, signature.signature, note.text))) return { invalid: key };
    signer ??= key;
  }
  return signer === null ? { unknown: note.signatures } : { key: signer };
}

function signatureProblem(
  what: string,
  signer: Exclude<Signer, { key: NoteKey }>,
  keys: readonly NoteKey[],
): string {
  if ("invalid" in signer)
    return `${what}'s signature is not valid: it claims to be by ${keyName(signer.invalid)}, but that key did not sign this text.`;
  if (keys.length === 0)
    return `${what}'s signature cannot be checked: no public key of the organisation was given.`;
  return (
    `${what} is not signed by a key of the organisation: it was signed by ` +
    `${signer.unknown.map(keyName).join(", ")}, which is not among the keys given (${keys.map(keyName).join(", ")}).`
  );
}

/** Why the signed note is not the signature of this statement, or null. */
function signedTextProblem(
  note: ParsedNote,
  statement: Statement,
  hash: Uint8Array,
  signer: NoteKey,
): string | null {
  const [header, origin, statementId] = note.lines;
  if (header !== STATEMENT_NOTE_HEADER)
    return `The signature is not that of a statement of hours: its text begins with "${header}", not ${STATEMENT_NOTE_HEADER}.`;
  if (note.lines.length !== 4)
    return `The signature is not that of a statement of hours: its text has ${note.lines.length} lines, not 4.`;
  if (origin !== statement.origin)
    return `The signature is for another organisation's log: it names ${origin}, the statement ${statement.origin}.`;
  if (statementId !== statement.statement_id)
    return `The signature is for another statement: it names ${statementId}, this is ${statement.statement_id}.`;
  if (note.text !== statementNoteText(statement.origin, statement.statement_id, hash))
    return `The signature is for other contents: the hash it signed is not that of this statement.`;
  if (statement.origin !== `${signer.name}/${statement.org_id}`)
    return `The statement names the log ${statement.origin}, but it was signed by the key of ${signer.name}, whose log of ${statement.org_id} is ${signer.name}/${statement.org_id}.`;
  return null;
}

/** Why the log entry is not the record of this statement's issue, or null. */
function logEntryProblem(entry: AuditRow, statement: Statement, statementHash: string): string | null {
  const id = entryId(entry.seq);
  if (entry.redacted !== 0) return `The record of this statement was erased from the log: ${id} is redacted.`;
  if (entry.action !== STATEMENT_ISSUED_ACTION)
    return `The log entry is not the record of a statement: ${id} records ${entry.action ?? "nothing"}, not ${STATEMENT_ISSUED_ACTION}.`;
  if (entry.statement_id !== statement.statement_id)
    return `The log entry records another statement: ${id} is the issue of ${entry.statement_id ?? "no statement"}, not of ${statement.statement_id}.`;
  if (entry.statement_hash !== statementHash)
    return `The log recorded other contents under ${statement.statement_id}: the hash in ${id} is not that of this statement.`;
  if (entry.mentor_id !== statement.mentor.id)
    return `The log entry records the statement for another mentor: ${id} names ${entry.mentor_id ?? "no mentor"}, not ${statement.mentor.id}.`;
  return null;
}

/** Why the entry's leaf and audit path do not give the checkpoint's root, or null. */
async function inclusionProblem(
  entry: AuditRow,
  leafIndex: number,
  auditPath: Uint8Array[],
  checkpoint: ParsedCheckpoint,
): Promise<string | null> {
  const id = entryId(entry.seq);
  if (leafIndex !== entry.seq - 1)
    return `The inclusion proof is for another entry: it proves position ${leafIndex} of the log, and ${id} is at position ${entry.seq - 1}.`;
  if (leafIndex >= checkpoint.treeSize)
    return `The log entry is not in the signed log: ${id} comes after the checkpoint's ${checkpoint.treeSize} entries.`;
  const sides = inclusionSides(leafIndex, checkpoint.treeSize, auditPath.length);
  let root: Uint8Array | null = null;
  if (sides !== null) {
    root = await leafHashOf(entry.payload_hash);
    for (const [i, hash] of auditPath.entries())
      root = sides[i] === "left" ? await nodeHashOf(hash, root) : await nodeHashOf(root, hash);
  }
  if (root === null || encodeHex(root) !== encodeHex(checkpoint.root))
    return `The log entry is not in the signed log: its inclusion proof does not lead to the root of the checkpoint of ${checkpoint.treeSize} entries.`;
  return null;
}
