/**
 * Why a statement bundle fails each check after its shape (statement-verify.ts runs them in
 * order): the totals, the signatures, the signed text, the log entry and its inclusion in the
 * signed log. Each answers one plain sentence, or null.
 */
import { encodeHex } from "./bytes.ts";
import { entryId } from "./entry-id.ts";
import { inclusionSides } from "./inclusion.ts";
import type { NoteKey, NoteSignature, ParsedCheckpoint, ParsedNote } from "./note.ts";
import {
  STATEMENT_ISSUED_ACTION,
  STATEMENT_NOTE_HEADER,
  type Statement,
  statementNoteText,
} from "./statement.ts";
import type { AuditRow } from "./types.ts";
import { leafHashOf, nodeHashOf, verifyEd25519 } from "./webcrypto.ts";

/** Why the totals are not the sums of the entries, or null. */
export function totalsProblem(statement: Statement): string | null {
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

export type Signer =
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
export async function signerOf(
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

export function signatureProblem(
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
export function signedTextProblem(
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
export function logEntryProblem(entry: AuditRow, statement: Statement, statementHash: string): string | null {
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
export async function inclusionProblem(
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
