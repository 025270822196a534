/**
 * The writes to an entry itself: an annotation (an `entry_annotated` record about it) and a
 * redaction (its payload erased, an `entry_deleted` record naming it). Each runs in one
 * synchronous stretch of its call, so no other call comes between its checks and its write: what
 * its Idempotency-Key holds (a retry is answered that, and writes nothing), whether the entry is
 * still the version its If-Match check read, then the write, with the answer the object builds
 * kept under the key in the write's own transaction, as the system `POST`'s append keeps its own.
 */
import { toIsoSeconds } from "../lib/time";
import { ANNOTATION_ACTION, DELETION_ACTION, RECORD_ACTIONS } from "./chain";
import { recordFields } from "./entry-fields";
import { entryId } from "./entry-id";
import type { ParsedActor } from "./events";
import { annotatedResponse, heldAnswer, keepAnswer, redactedResponse } from "./kept-answers";
import type { SignedLog } from "./signed-log";
import { latestAnnotationRow, redactRow, rowBySeq, toAnnotation, toEntry } from "./store";
import type { AnnotateResult, AuditNote, AuditRow, EntryWriteOptions, KeyHeld, RedactResult } from "./types";

/** The object's log and storage, and its name: the organisation its answers' tags are computed for. */
export interface EntryLog {
  readonly sql: SqlStorage;
  readonly log: SignedLog;
  readonly org: string | undefined;
}

/** A write aimed at an entry, as its call's arguments were checked. */
interface EntryWrite {
  readonly seq: number;
  readonly actor: ParsedActor;
  readonly options: EntryWriteOptions;
  readonly now: Date;
}

/** The entry a write may go on with; otherwise why not, or what its key already holds. */
function writable(
  sql: SqlStorage,
  { seq, options, now }: EntryWrite,
): { status: "writable"; row: AuditRow } | KeyHeld | { status: "not_found" } | { status: "stale" } {
  if (options.key !== undefined) {
    const held = heldAnswer(sql, options.key, toIsoSeconds(now));
    if (held.status !== "free") return held;
  }
  const row = rowBySeq(sql, seq);
  if (row === null || row.redacted !== 0) return { status: "not_found" };
  if (options.seen !== undefined) {
    const latest = latestAnnotationRow(sql, seq);
    if ((latest === null ? null : entryId(latest.seq)) !== options.seen.annotation)
      return { status: "stale" };
  }
  return { status: "writable", row };
}

/** Appends an `entry_annotated` record about an entry; the entry itself is not touched. */
export function annotateEntry(
  { sql, log, org }: EntryLog,
  write: EntryWrite,
  note: AuditNote,
): AnnotateResult {
  const found = writable(sql, write);
  if (found.status !== "writable") return found;
  const { row } = found;
  if (row.action !== null && RECORD_ACTIONS.includes(row.action)) {
    return { status: "not_annotatable", action: row.action };
  }
  return log.write((writer): AnnotateResult => {
    const fields = recordFields(ANNOTATION_ACTION, row, write.actor, toIsoSeconds(write.now), note);
    const record = toEntry(writer.add(fields));
    const annotation = toAnnotation(record);
    const { key } = write.options;
    if (key !== undefined)
      keepAnswer(sql, key, annotatedResponse(named(org), entryId(row.seq), annotation), write.now);
    return { status: "annotated", annotation, record };
  });
}

/**
 * Erases an entry's payload (keeping what places it) and appends an `entry_deleted` record
 * naming it. The entry keeps its payload hash, so its leaf and every proof stay valid;
 * deletion records themselves are never erased.
 */
export function redactEntry({ sql, log }: EntryLog, write: EntryWrite): RedactResult {
  const found = writable(sql, write);
  if (found.status !== "writable") return found;
  const { row } = found;
  if (row.action === DELETION_ACTION) return { status: "not_redactable", action: row.action };
  return log.write((writer): RedactResult => {
    redactRow(sql, row);
    const fields = recordFields(DELETION_ACTION, row, write.actor, toIsoSeconds(write.now), null);
    const record = toEntry(writer.add(fields));
    const { key } = write.options;
    if (key !== undefined) keepAnswer(sql, key, redactedResponse(entryId(row.seq), record), write.now);
    return { status: "redacted", record };
  });
}

/** The organisation of an object reached by its name, which every tag it computes names. */
function named(org: string | undefined): string {
  if (!org) throw new Error("The audit object was not reached by its organisation's name");
  return org;
}
