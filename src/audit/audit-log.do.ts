import { DurableObject } from "cloudflare:workers";
import { nowIso } from "../lib/time";
import {
  ANNOTATION_ACTION,
  canonicalJson,
  checkHead,
  DELETION_ACTION,
  finishWalk,
  GENESIS_HASH,
  headCheckpoint,
  RECORD_ACTIONS,
  startWalk,
  walkRows,
} from "./chain";
import { entryId } from "./entry-id";
import {
  auditActorSchema,
  auditEventsSchema,
  auditExportRangeSchema,
  auditListQuerySchema,
  auditNoteSchema,
  exportChunkSchema,
  type ParsedActor,
  type ParsedEvent,
  parseInput,
  seqSchema,
} from "./events";
import { migrate } from "./migrations";
import {
  ChainWriter,
  type EntryFields,
  latestAnnotationRow,
  listRows,
  readHead,
  redactRow,
  rowByEventId,
  rowBySeq,
  rowsAfter,
  rowsBetween,
  SELECT_FIRST_RECORDED_FROM,
  SELECT_LAST_RECORDED_TO,
  seqWhere,
  toAnnotation,
  toEntry,
} from "./store";
import type {
  AnnotateResult,
  AppendResult,
  AuditActor,
  AuditEntryDetail,
  AuditEventInput,
  AuditExportRange,
  AuditExportSpan,
  AuditListQuery,
  AuditListResult,
  AuditNote,
  AuditRow,
  ChainFault,
  RedactResult,
  VerifyReport,
} from "./types";

/** Rows read per query while verifying, so no step holds the whole log. */
export const VERIFY_CHUNK_ROWS = 500;

function eventFields(event: ParsedEvent, recordedAt: string): EntryFields {
  return {
    event_id: event.event_id,
    action: event.action,
    actor_id: event.actor_id,
    actor_name: event.actor_name ?? null,
    coordinator_id: event.coordinator_id ?? null,
    mentor_id: event.mentor_id ?? null,
    mentor_name: event.mentor_name ?? null,
    activity_id: event.activity_id ?? null,
    attribution_id: event.attribution_id ?? null,
    batch_id: event.batch_id ?? null,
    mentor_ids: event.mentor_ids ? canonicalJson(event.mentor_ids) : null,
    activity_type_id: event.activity_type_id ?? null,
    activity_date: event.activity_date ?? null,
    mentor_count: event.mentor_count ?? null,
    skipped_count: event.skipped_count ?? null,
    changes: event.changes ? canonicalJson(event.changes) : null,
    ip_address: event.ip_address ?? null,
    user_agent: event.user_agent ?? null,
    target_seq: null,
    annotation: null,
    reviewed_by: null,
    timestamp: event.occurred_at ?? recordedAt,
    recorded_at: recordedAt,
  };
}

/** A record the object writes about one of its entries (an annotation or a deletion). */
function recordFields(
  action: string,
  targetSeq: number,
  actor: ParsedActor,
  now: string,
  note: AuditNote | null,
): EntryFields {
  return {
    ...eventFields({ event_id: `${action}:${crypto.randomUUID()}`, action, ...actor }, now),
    target_seq: targetSeq,
    annotation: note?.annotation ?? null,
    reviewed_by: note?.reviewed_by ?? null,
  };
}

/**
 * One per organisation: the single writer of that organisation's audit log. Every write runs
 * in one `transactionSync` without awaiting anything, so no other call interleaves with it and
 * sequence numbers stay contiguous.
 */
/** The bindings the audit object reads. */
export interface AuditLogEnv {
  /** Key of the HMAC checkpoint over the chain head. */
  AUDIT_CHAIN_KEY?: string;
}

export class AuditLog extends DurableObject<AuditLogEnv> {
  constructor(ctx: DurableObjectState, env: AuditLogEnv) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage));
  }

  private chainKey(): string {
    const key = this.env.AUDIT_CHAIN_KEY;
    if (!key) throw new Error("AUDIT_CHAIN_KEY is not set; the audit log cannot sign its head");
    return key;
  }

  /** Appends events in order, all or none; an event ID already held answers its entry. */
  append(events: AuditEventInput[]): AppendResult[] {
    const parsed = parseInput(auditEventsSchema, events, "events");
    const key = this.chainKey();
    const recordedAt = nowIso();
    const { sql } = this.ctx.storage;
    return this.ctx.storage.transactionSync(() => {
      const writer = new ChainWriter(sql, key);
      const results = parsed.map((event): AppendResult => {
        const existing = rowByEventId(sql, event.event_id);
        if (existing === null) {
          return { status: "created", entry: toEntry(writer.add(eventFields(event, recordedAt))) };
        }
        if (existing.redacted !== 0) {
          return { status: "redacted", id: entryId(existing.seq), seq: existing.seq };
        }
        return { status: "existing", entry: toEntry(existing) };
      });
      writer.commit();
      return results;
    });
  }

  list(query: AuditListQuery): AuditListResult {
    const { rows, total } = listRows(this.ctx.storage.sql, parseInput(auditListQuerySchema, query, "query"));
    return { entries: rows.map(toEntry), total };
  }

  /** A live entry with its latest annotation; null when there is none or it was deleted. */
  get(seq: number): AuditEntryDetail | null {
    const { sql } = this.ctx.storage;
    const row = rowBySeq(sql, parseInput(seqSchema, seq, "seq"));
    if (row === null || row.redacted !== 0) return null;
    const annotation = latestAnnotationRow(sql, row.seq);
    return { entry: toEntry(row), annotation: annotation ? toAnnotation(toEntry(annotation)) : null };
  }

  /** Appends an `entry_annotated` record about an entry; the entry itself is not touched. */
  annotate(seq: number, note: AuditNote, actor: AuditActor): AnnotateResult {
    const target = parseInput(seqSchema, seq, "seq");
    const checkedNote = parseInput(auditNoteSchema, note, "note");
    const checkedActor = parseInput(auditActorSchema, actor, "actor");
    const key = this.chainKey();
    const now = nowIso();
    const { sql } = this.ctx.storage;
    return this.ctx.storage.transactionSync((): AnnotateResult => {
      const row = rowBySeq(sql, target);
      if (row === null || row.redacted !== 0) return { status: "not_found" };
      if (row.action !== null && RECORD_ACTIONS.includes(row.action)) {
        return { status: "not_annotatable", action: row.action };
      }
      const writer = new ChainWriter(sql, key);
      const record = toEntry(
        writer.add(recordFields(ANNOTATION_ACTION, target, checkedActor, now, checkedNote)),
      );
      writer.commit();
      return { status: "annotated", annotation: toAnnotation(record), record };
    });
  }

  /**
   * Erases an entry's payload and appends an `entry_deleted` record naming it. The entry keeps
   * its hashes, so the chain still verifies; deletion records themselves are never erased.
   */
  redact(seq: number, actor: AuditActor): RedactResult {
    const target = parseInput(seqSchema, seq, "seq");
    const checkedActor = parseInput(auditActorSchema, actor, "actor");
    const key = this.chainKey();
    const now = nowIso();
    const { sql } = this.ctx.storage;
    return this.ctx.storage.transactionSync((): RedactResult => {
      const row = rowBySeq(sql, target);
      if (row === null || row.redacted !== 0) return { status: "not_found" };
      if (row.action === DELETION_ACTION) return { status: "not_redactable", action: row.action };
      redactRow(sql, row);
      const writer = new ChainWriter(sql, key);
      const record = toEntry(writer.add(recordFields(DELETION_ACTION, target, checkedActor, now, null)));
      writer.commit();
      return { status: "redacted", record };
    });
  }

  /**
   * Walks the whole chain in chunks of VERIFY_CHUNK_ROWS, then checks the stored head and its
   * keyed checkpoint. It runs without awaiting, so it judges one consistent state of the log.
   */
  verify(): VerifyReport {
    const key = this.chainKey();
    const { sql } = this.ctx.storage;
    let walk = startWalk();
    let fault: ChainFault | null = null;
    for (;;) {
      const rows = rowsAfter(sql, walk.next_seq - 1, VERIFY_CHUNK_ROWS);
      const step = walkRows(walk, rows);
      walk = step.walk;
      fault = step.fault;
      if (fault || rows.length < VERIFY_CHUNK_ROWS) break;
    }
    const stored = readHead(sql);
    fault ??= finishWalk(walk) ?? checkHead(walk, stored, key);
    // An empty log has no stored head; its head is the genesis value at sequence 0.
    const head = stored ?? { seq: 0, hash: GENESIS_HASH, checkpoint: headCheckpoint(key, 0, GENESIS_HASH) };
    return {
      valid: fault === null,
      entries_checked: walk.entries_checked,
      head: { seq: head.seq, hash: head.hash },
      checkpoint: fault === null ? head.checkpoint : null,
      fault,
    };
  }

  /**
   * The span of entries appended between `from` and `to`, with the keyed checkpoint of its last
   * entry, so an exported file can be checked away from the service. Entries appended after
   * this call are not in the span, so an export is one consistent cut of the log.
   */
  exportRange(range: AuditExportRange): AuditExportSpan {
    const { from, to } = parseInput(auditExportRangeSchema, range, "range");
    const key = this.chainKey();
    const { sql } = this.ctx.storage;
    const headSeq = readHead(sql)?.seq ?? 0;
    const first = from === undefined ? 1 : (seqWhere(sql, SELECT_FIRST_RECORDED_FROM, from) ?? headSeq + 1);
    const last = to === undefined ? headSeq : (seqWhere(sql, SELECT_LAST_RECORDED_TO, to) ?? 0);
    const lastRow = last >= first ? rowBySeq(sql, last) : null;
    if (lastRow === null) {
      return { first_seq: first, last_seq: first - 1, log_head_seq: headSeq, head: null, checkpoint: null };
    }
    return {
      first_seq: first,
      last_seq: lastRow.seq,
      log_head_seq: headSeq,
      head: { seq: lastRow.seq, hash: lastRow.hash },
      checkpoint: headCheckpoint(key, lastRow.seq, lastRow.hash),
    };
  }

  /** Raw rows after `afterSeq` up to `lastSeq`, redacted ones included: one chunk of an export. */
  exportChunk(afterSeq: number, lastSeq: number, limit: number): AuditRow[] {
    const args = parseInput(exportChunkSchema, { after_seq: afterSeq, last_seq: lastSeq, limit }, "chunk");
    return rowsBetween(this.ctx.storage.sql, args.after_seq, args.last_seq, args.limit);
  }
}
