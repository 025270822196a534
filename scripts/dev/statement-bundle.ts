// Signed statement bundles (SPEC §16) in the exact format the verifier checks, made with the audit
// log's own code: the statement's JCS hash and signature note, a log holding its
// `statement_issued` entry among others, that entry's inclusion proof and a signed checkpoint.
// For the verifier's tests and the README's worked example; the log here lives in memory, not in
// an organisation's audit object.
import { createHash } from "node:crypto";
import { GENESIS_HASH, linkHash, payloadHash } from "../../src/audit/chain.ts";
import { exportLine } from "../../src/audit/export-file.ts";
import {
  type Hash,
  inclusionProof,
  leafHash,
  type NodeReader,
  nodeHash,
  rootHash,
  toHex,
} from "../../src/audit/merkle.ts";
import { checkpointText, keyIdOf, signingKey, signNote, verifierKey } from "../../src/audit/signed-note.ts";
import {
  STATEMENT_ISSUED_ACTION,
  type Statement,
  type StatementBundle,
  type StatementEntry,
  statementJcs,
  statementNoteText,
} from "../../src/audit/statement.ts";
import type { AuditRow } from "../../src/audit/types.ts";

/** The key name and origin prefix of a deployment that keeps wrangler.toml's AUDIT_LOG_ORIGIN. */
export const DEFAULT_LOG_NAME = "mentor-activity-api";

const LABELS: Record<string, string> = {
  mentoring: "One-to-one mentoring",
  workshop: "Group workshop",
  outreach: "Community outreach",
};

/** A statement whose totals are the sums of its entries, as the service computes them. */
export function statementOf(fields: Omit<Statement, "totals" | "origin"> & { log_name?: string }): Statement {
  const { log_name: logName = DEFAULT_LOG_NAME, ...rest } = fields;
  const types = [...new Set(fields.entries.map((entry) => entry.activity_type))].sort();
  const of = (type: string) => fields.entries.filter((entry) => entry.activity_type === type);
  const minutes = (entries: readonly StatementEntry[]) =>
    entries.reduce((sum, entry) => sum + entry.duration_minutes, 0);
  return {
    statement_id: rest.statement_id,
    origin: `${logName}/${rest.org_id}`,
    org_id: rest.org_id,
    mentor: rest.mentor,
    period: rest.period,
    totals: {
      activities: fields.entries.length,
      minutes: minutes(fields.entries),
      by_activity_type: types.map((type) => ({
        activity_type: type,
        label: LABELS[type] ?? type,
        activities: of(type).length,
        minutes: minutes(of(type)),
      })),
    },
    entries: rest.entries,
    issued_at: rest.issued_at,
    issued_by: rest.issued_by,
  };
}

/** Sam Rivera's first quarter of 2026 in org-demo: three activities, 3.25 hours. */
export function exampleStatement(
  overrides: Partial<Omit<Statement, "totals" | "origin">> & { log_name?: string } = {},
): Statement {
  return statementOf({
    statement_id: "stmt-20260401-001",
    org_id: "org-demo",
    mentor: { id: "mentor-042", name: "Sam Rivera" },
    period: { from: "2026-01-01", to: "2026-03-31", time_zone: "Europe/London" },
    entries: [
      {
        id: "act-101",
        occurred_at: "2026-01-14T16:00:00Z",
        activity_type: "mentoring",
        duration_minutes: 60,
        entry_mode: "self",
        verification: "approved",
      },
      {
        id: "act-117",
        occurred_at: "2026-02-03T17:30:00Z",
        activity_type: "workshop",
        duration_minutes: 90,
        entry_mode: "proxy",
        verification: "confirmed",
      },
      {
        id: "act-142",
        occurred_at: "2026-03-10T16:00:00Z",
        activity_type: "mentoring",
        duration_minutes: 45,
        entry_mode: "self",
        verification: "not_required",
      },
    ],
    issued_at: "2026-04-01T09:30:00Z",
    issued_by: "coord-007",
    ...overrides,
  });
}

export interface LogKey {
  /** Base64 PKCS#8 Ed25519, as AUDIT_SIGNING_KEY holds it. */
  signingKey: string;
  /** The key name (AUDIT_LOG_ORIGIN). */
  name?: string;
}

/** The `<name>+<key ID>+<key>` verifier key of a signing key, as /.well-known/audit-log-keys lists it. */
export function verifierKeyOf(key: LogKey): string {
  const name = key.name ?? DEFAULT_LOG_NAME;
  const { publicKey } = signingKey(key.signingKey);
  return verifierKey({ name, keyId: keyIdOf(name, publicKey), publicKey });
}

function signWith(key: LogKey, text: string): string {
  const name = key.name ?? DEFAULT_LOG_NAME;
  const { privateKey, publicKey } = signingKey(key.signingKey);
  return signNote(text, name, keyIdOf(name, publicKey), privateKey);
}

/** The hex SHA-256 of a statement's JCS text, written apart from the verifier's WebCrypto one. */
export const statementHash = (statement: Statement): string =>
  createHash("sha256").update(statementJcs(statement), "utf8").digest("hex");

/** The note a statement's `signature` is. */
export function statementSignature(statement: Statement, key: LogKey): string {
  const hash = new Uint8Array(createHash("sha256").update(statementJcs(statement), "utf8").digest());
  return signWith(key, statementNoteText(statement.origin, statement.statement_id, hash));
}

export interface LogOptions {
  /** Entries of other events in the log before the first statement's, and after the last one's. */
  before?: number;
  after?: number;
  /** The checkpoint's origin; the statements' own by default. */
  checkpointOrigin?: string;
  /** The key the checkpoint is signed with; the statements' by default. */
  checkpointKey?: LogKey;
}

/** Every node of a tree held in memory: the complete subtree of 2^level leaves at index. */
function readerOf(leaves: readonly Hash[]): NodeReader {
  const memo = new Map<string, Hash>();
  const node = (level: number, index: number): Hash => {
    if (level === 0) {
      const leaf = leaves[index];
      if (leaf === undefined) throw new RangeError(`No leaf ${index}`);
      return leaf;
    }
    const key = `${level}:${index}`;
    const known = memo.get(key);
    if (known) return known;
    const made = nodeHash(node(level - 1, index * 2), node(level - 1, index * 2 + 1));
    memo.set(key, made);
    return made;
  };
  return { node };
}

/** An entry of another event (a proxy registration), as the log holds those around a statement's. */
function otherEvent(seq: number): Omit<AuditRow, "seq" | "redacted" | "payload_hash" | "prev_hash" | "hash"> {
  return {
    event_id: `event-${seq}`,
    action: "proxy_created",
    actor_id: "coord-007",
    actor_name: "Jordan Lee",
    coordinator_id: "coord-007",
    mentor_id: "mentor-042",
    mentor_name: "Sam Rivera",
    activity_id: `act-${seq}`,
    attribution_id: `attr-${seq}`,
    batch_id: null,
    mentor_ids: null,
    activity_type_id: "mentoring",
    activity_date: "2026-03-02",
    mentor_count: null,
    skipped_count: null,
    changes: null,
    ip_address: "203.0.113.7",
    user_agent: "mentor-app/3.1",
    target_seq: null,
    annotation: null,
    reviewed_by: null,
    timestamp: "2026-03-02T10:00:00Z",
    recorded_at: "2026-03-02T10:00:01Z",
    member_id: null,
    statement_id: null,
    statement_hash: null,
  };
}

function issuedEvent(statement: Statement): ReturnType<typeof otherEvent> {
  return {
    ...otherEvent(0),
    event_id: `statement:${statement.statement_id}`,
    action: STATEMENT_ISSUED_ACTION,
    actor_id: statement.issued_by,
    actor_name: null,
    coordinator_id: null,
    mentor_id: statement.mentor.id,
    mentor_name: statement.mentor.name,
    activity_id: null,
    attribution_id: null,
    activity_type_id: null,
    activity_date: null,
    ip_address: null,
    user_agent: null,
    timestamp: statement.issued_at,
    recorded_at: statement.issued_at,
    statement_id: statement.statement_id,
    statement_hash: statementHash(statement),
  };
}

/**
 * Issues `statements` into one log: `before` other entries, one `statement_issued` entry per
 * statement, `after` other entries, and a checkpoint of the whole tree. Answers each statement's
 * bundle, its log entry proved against that checkpoint.
 */
export function issueStatements(
  statements: readonly Statement[],
  key: LogKey,
  options: LogOptions = {},
): StatementBundle[] {
  const events = [
    ...Array.from({ length: options.before ?? 3 }, (_, i) => otherEvent(i + 1)),
    ...statements.map(issuedEvent),
  ];
  for (let i = 0; i < (options.after ?? 2); i += 1) events.push(otherEvent(events.length + 1));
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  for (const [i, fields] of events.entries()) {
    const unhashed = { seq: i + 1, redacted: 0, ...fields, payload_hash: "", prev_hash: prev, hash: "" };
    const payload = payloadHash(unhashed);
    const row = { ...unhashed, payload_hash: payload, hash: linkHash(prev, payload) };
    rows.push(row);
    prev = row.hash;
  }
  const reader = readerOf(rows.map((row) => leafHash(row.payload_hash)));
  const size = rows.length;
  const origin = options.checkpointOrigin ?? statements[0]?.origin ?? "";
  const checkpoint = signWith(
    options.checkpointKey ?? key,
    checkpointText(origin, size, rootHash(reader, size)),
  );
  return statements.map((statement) => {
    const row = rows.find((r) => r.statement_id === statement.statement_id);
    if (row === undefined) throw new Error(`No entry for ${statement.statement_id}`);
    return {
      statement,
      statement_hash: statementHash(statement),
      signature: statementSignature(statement, key),
      log_entry: {
        // Exactly the row an NDJSON export writes.
        entry: JSON.parse(exportLine("ndjson", row)) as AuditRow,
        leaf_index: row.seq - 1,
        audit_path: inclusionProof(reader, row.seq - 1, size).map(toHex),
        checkpoint,
      },
    };
  });
}

/** One statement's bundle, in a log of a few other entries. */
export function issueStatement(statement: Statement, key: LogKey, options: LogOptions = {}): StatementBundle {
  const [bundle] = issueStatements([statement], key, options);
  if (bundle === undefined) throw new Error("issueStatements answers one bundle per statement");
  return bundle;
}
