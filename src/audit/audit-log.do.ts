import { DurableObject } from "cloudflare:workers";
import { MAX_CHECKPOINT_PAGE, MAX_TRAIL_EVENTS } from "../lib/limits";
import { nowIso } from "../lib/time";
import { annotateEntry, type EntryLog, redactEntry } from "./entry-writes";
import {
  auditActorSchema,
  auditEventSchema,
  auditEventsSchema,
  auditExportRangeSchema,
  auditIdempotencyKeySchema,
  auditListQuerySchema,
  auditNoteSchema,
  entryWriteOptionsSchema,
  exportChunkSchema,
  keptResponseSchema,
  OpaqueId,
  parseInput,
  seqSchema,
  treeSizeSchema,
} from "./events";
import { exportSpan } from "./export-span";
import { type Follower, runFollowers, scheduleFollowers } from "./followers";
import { fullAudit, NEVER_AUDITED, startFullAudit } from "./full-audit";
import { appendedResponse, heldAnswer, keepAnswer } from "./kept-answers";
import { type AuditKeyBindings, auditKeys } from "./keys";
import { migrate } from "./migrations";
import { consistencyOf, inclusionOf, toSigned } from "./proofs";
import { trailItem, verifyReport } from "./reports";
import { appendEvents, SignedLog } from "./signed-log";
import {
  latestAnnotationRow,
  listRows,
  rowBySeq,
  rowsBetween,
  toAnnotation,
  toEntry,
  trailRows,
} from "./store";
import { isBuilding, treeBuild } from "./tree-build";
import { checkpointsAfter, lastCheckpoint, treeSize } from "./tree-store";
import type {
  AnnotateResult,
  AppendOutcome,
  AuditActor,
  AuditEntryDetail,
  AuditEventInput,
  AuditExportRange,
  AuditExportSpan,
  AuditIdempotencyKey,
  AuditListQuery,
  AuditListResult,
  AuditNote,
  AuditRow,
  CheckpointResult,
  ConsistencyResult,
  EntryWriteOptions,
  FullAuditStatus,
  InclusionResult,
  KeepOutcome,
  KeptResponse,
  KeyedAppendOutcome,
  RedactResult,
  SignedCheckpoint,
  TrailItem,
  VerifyReport,
} from "./types";

/**
 * One per organisation: the single writer of that organisation's audit log, a transparency
 * log (SPEC §9). Its writes and their checkpoints go through `SignedLog`, one `transactionSync`
 * each; its background jobs (building a predating log's tree, the full re-hash) are followers
 * that its alarm runs a step at a time (followers.ts).
 */
export class AuditLog extends DurableObject<AuditKeyBindings> {
  private readonly log: SignedLog;
  private readonly entries: EntryLog;
  /** In the order a tie between two followers due at once is broken. */
  private readonly followers: readonly Follower[];

  constructor(ctx: DurableObjectState, env: AuditKeyBindings) {
    super(ctx, env);
    this.log = new SignedLog(ctx.storage, () => auditKeys(this.env), ctx.id.name);
    this.entries = { sql: ctx.storage.sql, log: this.log, org: ctx.id.name };
    this.followers = [treeBuild(() => this.log.signFirst()), fullAudit];
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage);
      const { sql } = ctx.storage;
      // A new log starts with a signed empty tree, so a witness has a first checkpoint to hold.
      if (!isBuilding(sql) && treeSize(sql) === 0) ctx.storage.transactionSync(() => this.log.signFirst());
      await scheduleFollowers(ctx.storage, this.followers);
    });
  }

  /** Appends events in order, all or none; an event ID already held answers its entry. */
  append(events: AuditEventInput[]): AppendOutcome {
    const parsed = parseInput(auditEventsSchema, events, "events");
    const recordedAt = nowIso();
    const outcome = this.log.write((writer) =>
      appendEvents(this.ctx.storage.sql, writer, parsed, recordedAt),
    );
    return Array.isArray(outcome) ? { status: "appended", results: outcome } : outcome;
  }

  /**
   * The system `POST` with an Idempotency-Key: appends one event and keeps the response that
   * answers it under the key, in the one transaction of the append, so a retry after any failure
   * is answered that response again; a key that already holds an answer appends nothing. An event
   * ID recorded and since redacted keeps nothing: its 409 is kept by `keep` like any other outcome.
   */
  appendKeyed(event: AuditEventInput, key: AuditIdempotencyKey): KeyedAppendOutcome {
    const parsed = parseInput(auditEventSchema, event, "event");
    const checkedKey = parseInput(auditIdempotencyKeySchema, key, "key");
    const now = new Date();
    const recordedAt = nowIso();
    const { sql } = this.ctx.storage;
    // Nothing is awaited from here on, so no other call runs between the look-up and the append.
    const held = heldAnswer(sql, checkedKey, recordedAt);
    if (held.status !== "free") return held;
    return this.log.write((writer): KeyedAppendOutcome => {
      const [result] = appendEvents(sql, writer, [parsed], recordedAt);
      if (result === undefined) throw new Error("An append of one event answered no result");
      if (result.status === "redacted") return { status: "appended", result, kept: false };
      keepAnswer(sql, checkedKey, appendedResponse(result.status, result.entry), now);
      return { status: "appended", result, kept: true };
    });
  }

  /**
   * Keeps the outcome of a keyed system `POST` that did not reach `appendKeyed` (a 4xx before
   * it, or its 409), unless the key already holds an answer, which is answered instead.
   */
  keep(key: AuditIdempotencyKey, response: KeptResponse): KeepOutcome {
    const checkedKey = parseInput(auditIdempotencyKeySchema, key, "key");
    const checked = parseInput(keptResponseSchema, response, "response");
    const now = new Date();
    const { sql } = this.ctx.storage;
    return this.ctx.storage.transactionSync((): KeepOutcome => {
      const held = heldAnswer(sql, checkedKey, nowIso());
      if (held.status !== "free") return held;
      keepAnswer(sql, checkedKey, checked, now);
      return { status: "kept" };
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

  /** An attribution's events, oldest first, its redacted ones included as such. */
  trail(attributionId: string): TrailItem[] {
    const id = parseInput(OpaqueId, attributionId, "attribution_id");
    return trailRows(this.ctx.storage.sql, id, MAX_TRAIL_EVENTS).map(({ row, deletion }) =>
      trailItem(row, deletion),
    );
  }

  /**
   * Appends an `entry_annotated` record about an entry (entry-writes.ts). With a key, its answer
   * is kept with the record; with the version an If-Match read, a changed entry is `stale`.
   */
  annotate(seq: number, note: AuditNote, actor: AuditActor, options: EntryWriteOptions = {}): AnnotateResult {
    return annotateEntry(
      this.entries,
      this.entryWrite(seq, actor, options),
      parseInput(auditNoteSchema, note, "note"),
    );
  }

  /** Erases an entry's payload and appends an `entry_deleted` record naming it (entry-writes.ts); options as `annotate`'s. */
  redact(seq: number, actor: AuditActor, options: EntryWriteOptions = {}): RedactResult {
    return redactEntry(this.entries, this.entryWrite(seq, actor, options));
  }

  private entryWrite(seq: number, actor: AuditActor, options: EntryWriteOptions) {
    return {
      seq: parseInput(seqSchema, seq, "seq"),
      actor: parseInput(auditActorSchema, actor, "actor"),
      options: parseInput(entryWriteOptionsSchema, options, "options"),
      now: new Date(),
    };
  }

  checkpoint(): CheckpointResult {
    const unavailable = this.log.unavailable();
    if (unavailable) return unavailable;
    const last = lastCheckpoint(this.ctx.storage.sql);
    return last === null ? { status: "none" } : { status: "ok", checkpoint: toSigned(last) };
  }

  checkpoints(afterSize: number, limit: number): SignedCheckpoint[] {
    const after = parseInput(treeSizeSchema, afterSize, "after_size");
    // One more than a page: the caller reads one ahead to tell whether another page follows.
    const count = parseInput(treeSizeSchema.min(1).max(MAX_CHECKPOINT_PAGE + 1), limit, "limit");
    return checkpointsAfter(this.ctx.storage.sql, after, count).map(toSigned);
  }

  /** The audit path of entry `seq` in the signed tree of `size` (default: the latest signed). */
  proof(seq: number, size: number | null): InclusionResult {
    const target = parseInput(seqSchema, seq, "seq");
    const checkedSize = size === null ? null : parseInput(treeSizeSchema, size, "tree_size");
    return this.log.unavailable() ?? inclusionOf(this.ctx.storage.sql, target, checkedSize);
  }

  /** The consistency proof between two signed sizes; `to` defaults to the latest signed. */
  consistency(from: number, to: number | null): ConsistencyResult {
    const first = parseInput(treeSizeSchema, from, "from");
    const last = to === null ? null : parseInput(treeSizeSchema, to, "to");
    return this.log.unavailable() ?? consistencyOf(this.ctx.storage.sql, first, last);
  }

  /** The log's state in O(log n): the latest checkpoint checked against the stored tree, and the last re-hash. */
  verify(): VerifyReport {
    return verifyReport(this.ctx.storage.sql, () => this.log.check());
  }

  /** Starts the full re-hash (POST /verify), run by the alarm in chunks; answers its status. */
  async startVerify(): Promise<FullAuditStatus> {
    const status = startFullAudit(this.ctx.storage.sql, nowIso());
    if (status === null) return NEVER_AUDITED;
    await scheduleFollowers(this.ctx.storage, this.followers);
    return status;
  }

  /** A step of the follower due first; then the alarm is set for the next one due, if any. */
  override async alarm(): Promise<void> {
    const next = await runFollowers(this.ctx.storage, this.followers);
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  /**
   * The span of entries an export covers. A full export (no bounds) runs to the last signed
   * tree size and carries that checkpoint, once the object has checked that its stored tree still
   * gives it; a ranged export carries none, since it cannot be checked against a root.
   */
  exportRange(range: AuditExportRange): AuditExportSpan {
    const { from, to } = parseInput(auditExportRangeSchema, range, "range");
    // Only a full export is checked against the signed tree; a ranged one carries no checkpoint.
    const whole = from === undefined && to === undefined;
    return exportSpan(this.ctx.storage.sql, { from, to }, whole ? this.log.unavailable() : null);
  }

  /** Raw rows after `afterSeq` up to `lastSeq`, redacted ones included: one chunk of an export. */
  exportChunk(afterSeq: number, lastSeq: number, limit: number): AuditRow[] {
    const args = parseInput(exportChunkSchema, { after_seq: afterSeq, last_seq: lastSeq, limit }, "chunk");
    return rowsBetween(this.ctx.storage.sql, args.after_seq, args.last_seq, args.limit);
  }
}
