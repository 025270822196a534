import { DurableObject } from "cloudflare:workers";
import { HttpStatus } from "../lib/http-status";
import { MAX_CHECKPOINT_PAGE, MAX_TRAIL_EVENTS } from "../lib/limits";
import { logLine } from "../lib/log";
import { nowIso } from "../lib/time";
import {
  ALARM_PAUSE_MS,
  buildTreeStep,
  fullAuditStatus,
  fullAuditStep,
  isBuilding,
  NEVER_AUDITED,
  startFullAudit,
} from "./alarm-work";
import { ANNOTATION_ACTION, DELETION_ACTION, RECORD_ACTIONS } from "./chain";
import { eventFields, recordFields } from "./entry-fields";
import { entryId } from "./entry-id";
import {
  auditActorSchema,
  auditEventSchema,
  auditEventsSchema,
  auditExportRangeSchema,
  auditIdempotencyKeySchema,
  auditListQuerySchema,
  auditNoteSchema,
  exportChunkSchema,
  keptResponseSchema,
  OpaqueId,
  type ParsedEvent,
  parseInput,
  seqSchema,
  treeSizeSchema,
} from "./events";
import { exportSpan } from "./export-span";
import { heldAnswer, keepAnswer } from "./kept-answers";
import { type AuditKeyBindings, type AuditKeys, auditKeys, originOf } from "./keys";
import { rootHash } from "./merkle";
import { migrate } from "./migrations";
import { consistencyOf, inclusionOf, toSigned } from "./proofs";
import {
  LogWriter,
  latestAnnotationRow,
  listRows,
  redactRow,
  rowBySeq,
  rowsBetween,
  rowsByEventIds,
  toAnnotation,
  toEntry,
  trailRows,
} from "./store";
import { entrySummary } from "./summary";
import {
  checkLastSigned,
  checkpointsAfter,
  frontierOf,
  type LogHead,
  lastCheckpoint,
  logLength,
  readHead,
  type SignedCheck,
  StoredTree,
  signCheckpoint,
  type TreeFault,
  treeSize,
} from "./tree-store";
import type {
  AnnotateResult,
  AppendOutcome,
  AppendRefusal,
  AppendResult,
  AuditActor,
  AuditEntry,
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
  FullAuditStatus,
  InclusionResult,
  KeepOutcome,
  KeptResponse,
  KeyedAppendOutcome,
  RedactResult,
  SignedCheckpoint,
  TrailItem,
  Unavailable,
  VerifyReport,
} from "./types";

/** The system `POST`'s answer to an appended (or already recorded) event, as the Worker sends it. */
function appendedResponse(status: "created" | "existing", entry: AuditEntry): KeptResponse {
  return {
    status: status === "created" ? HttpStatus.CREATED : HttpStatus.OK,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(entrySummary(entry)),
  };
}

/**
 * One per organisation: the single writer of that organisation's audit log, a transparency
 * log (SPEC §9). Every write runs in one `transactionSync` without awaiting anything: it checks
 * that the stored tree still gives the last signed root, appends, grows the Merkle tree and
 * signs a checkpoint of the new size, so no other call interleaves and nothing is signed that
 * does not extend what was signed before.
 */
export class AuditLog extends DurableObject<AuditKeyBindings> {
  constructor(ctx: DurableObjectState, env: AuditKeyBindings) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage);
      const { sql } = ctx.storage;
      // A log that predates its tree has it built by the alarm, chunk by chunk.
      if (isBuilding(sql)) {
        if ((await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now());
        return;
      }
      // A new log starts with a signed empty tree, so a witness has a first checkpoint to hold.
      const signer = this.keys().signer;
      if (signer && lastCheckpoint(sql) === null && treeSize(sql) === 0 && this.ctx.id.name) {
        ctx.storage.transactionSync(() =>
          signCheckpoint(sql, signer, this.origin(), 0, rootHash(new StoredTree(sql), 0), nowIso()),
        );
      }
    });
  }

  private keys(): AuditKeys {
    return auditKeys(this.env);
  }

  /** The organisation is the object's name (`idFromName(org)`). */
  private origin(): string {
    const org = this.ctx.id.name;
    if (!org) throw new Error("The audit object was not reached by its organisation's name");
    return originOf(this.keys(), org);
  }

  /**
   * The last checkpoint this instance signed or verified: its signature need not be checked
   * again (a signature depends on the note's text alone), while the stored tree still is.
   */
  private trustedNote: string | null = null;

  /** The last signed checkpoint checked against the stored tree (see checkLastSigned). */
  private checkSigned(head: LogHead = readHead(this.ctx.storage.sql)): SignedCheck {
    const check = checkLastSigned(this.ctx.storage.sql, this.keys(), this.origin(), head, this.trustedNote);
    if (check.fault === null) this.trustedNote = check.note;
    return check;
  }

  /**
   * Runs a write in one transaction: refused when the object may not sign (no key, or the stored
   * tree no longer gives the last signed root; logged, since either needs an operator), else the
   * entries the write adds are appended and, when the tree is complete, a checkpoint of the new
   * size signed.
   */
  private write<T>(run: (writer: LogWriter) => T): T | AppendRefusal {
    const { sql } = this.ctx.storage;
    return this.ctx.storage.transactionSync(() => {
      const keys = this.keys();
      const signer = keys.signer;
      if (signer === null) {
        const detail = keys.problems.length > 0 ? keys.problems.join("; ") : "AUDIT_SIGNING_KEY is not set";
        logLine("error", "audit log refuses appends: no signing key", { detail });
        return { status: "refused", reason: "no_signing_key", detail };
      }
      const head = readHead(sql);
      const check = this.checkSigned(head);
      if (check.fault) {
        logLine("error", "audit log refuses appends: the stored tree does not extend the last signed one", {
          org: this.ctx.id.name,
          ...check.fault,
        });
        return { status: "refused", reason: "untrusted", detail: check.fault.detail };
      }
      const building = head.treeSize < head.length;
      const edge = building ? null : (check.frontier ?? frontierOf(head));
      const writer = new LogWriter(sql, edge, head);
      const result = run(writer);
      const tree = writer.commit();
      if (tree && (writer.appended > 0 || check.signedSize !== tree.size)) {
        this.trustedNote = signCheckpoint(sql, signer, this.origin(), tree.size, tree.root(), nowIso()).note;
      }
      return result;
    });
  }

  /** Appends events in order, all or none; an event ID already held answers its entry. */
  append(events: AuditEventInput[]): AppendOutcome {
    const parsed = parseInput(auditEventsSchema, events, "events");
    const recordedAt = nowIso();
    const outcome = this.write((writer) => this.appendParsed(writer, parsed, recordedAt));
    return Array.isArray(outcome) ? { status: "appended", results: outcome } : outcome;
  }

  private appendParsed(writer: LogWriter, parsed: ParsedEvent[], recordedAt: string): AppendResult[] {
    // One lookup for every event ID of the call; an ID twice in it is created once.
    const held = rowsByEventIds(
      this.ctx.storage.sql,
      parsed.map((event) => event.event_id),
    );
    return parsed.map((event): AppendResult => {
      const existing = held.get(event.event_id);
      if (existing === undefined) {
        const row = writer.add(eventFields(event, recordedAt));
        held.set(row.event_id, row);
        return { status: "created", entry: toEntry(row) };
      }
      if (existing.redacted !== 0)
        return { status: "redacted", id: entryId(existing.seq), seq: existing.seq };
      return { status: "existing", entry: toEntry(existing) };
    });
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
    return this.write((writer): KeyedAppendOutcome => {
      const [result] = this.appendParsed(writer, [parsed], recordedAt);
      if (result === undefined) throw new Error("An append of one event answered no result");
      if (result.status !== "redacted") {
        keepAnswer(sql, checkedKey, appendedResponse(result.status, result.entry), now);
      }
      return { status: "appended", result };
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
    return trailRows(this.ctx.storage.sql, id, MAX_TRAIL_EVENTS).map(
      ({ row, deletion }): TrailItem =>
        row.redacted === 0
          ? { kind: "entry", entry: toEntry(row) }
          : {
              kind: "redacted",
              id: entryId(row.seq),
              seq: row.seq,
              event_id: row.event_id,
              actor_id: deletion?.actor_id ?? null,
              at: deletion?.timestamp ?? null,
            },
    );
  }

  /** Appends an `entry_annotated` record about an entry; the entry itself is not touched. */
  annotate(seq: number, note: AuditNote, actor: AuditActor): AnnotateResult {
    const target = parseInput(seqSchema, seq, "seq");
    const checkedNote = parseInput(auditNoteSchema, note, "note");
    const checkedActor = parseInput(auditActorSchema, actor, "actor");
    const now = nowIso();
    const { sql } = this.ctx.storage;
    const row = rowBySeq(sql, target);
    if (row === null || row.redacted !== 0) return { status: "not_found" };
    if (row.action !== null && RECORD_ACTIONS.includes(row.action)) {
      return { status: "not_annotatable", action: row.action };
    }
    return this.write((writer): AnnotateResult => {
      const record = toEntry(
        writer.add(recordFields(ANNOTATION_ACTION, row, checkedActor, now, checkedNote)),
      );
      return { status: "annotated", annotation: toAnnotation(record), record };
    });
  }

  /**
   * Erases an entry's payload (keeping what places it) and appends an `entry_deleted` record
   * naming it. The entry keeps its payload hash, so its leaf and every proof stay valid;
   * deletion records themselves are never erased.
   */
  redact(seq: number, actor: AuditActor): RedactResult {
    const target = parseInput(seqSchema, seq, "seq");
    const checkedActor = parseInput(auditActorSchema, actor, "actor");
    const now = nowIso();
    const { sql } = this.ctx.storage;
    const row = rowBySeq(sql, target);
    if (row === null || row.redacted !== 0) return { status: "not_found" };
    if (row.action === DELETION_ACTION) return { status: "not_redactable", action: row.action };
    return this.write((writer): RedactResult => {
      redactRow(sql, row);
      return {
        status: "redacted",
        record: toEntry(writer.add(recordFields(DELETION_ACTION, row, checkedActor, now, null))),
      };
    });
  }

  /** Why proofs and signed state cannot be served now, or null. */
  private unavailable(): Unavailable | null {
    const { sql } = this.ctx.storage;
    if (isBuilding(sql)) {
      return {
        status: "building",
        detail: `The log's tree is being built (${treeSize(sql)} of ${logLength(sql)} entries); try again shortly`,
      };
    }
    const { fault } = this.checkSigned();
    if (fault) return { status: "untrusted", detail: fault.detail };
    return null;
  }

  checkpoint(): CheckpointResult {
    const unavailable = this.unavailable();
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
    return this.unavailable() ?? inclusionOf(this.ctx.storage.sql, target, checkedSize);
  }

  /** The consistency proof between two signed sizes; `to` defaults to the latest signed. */
  consistency(from: number, to: number | null): ConsistencyResult {
    const first = parseInput(treeSizeSchema, from, "from");
    const last = to === null ? null : parseInput(treeSizeSchema, to, "to");
    return this.unavailable() ?? consistencyOf(this.ctx.storage.sql, first, last);
  }

  /** The log's state in O(log n): the latest checkpoint checked against the stored tree, and the last re-hash. */
  verify(): VerifyReport {
    const { sql } = this.ctx.storage;
    const full = fullAuditStatus(sql);
    const last = lastCheckpoint(sql);
    const building = isBuilding(sql) ? { tree_size: treeSize(sql), log_length: logLength(sql) } : null;
    let problem: TreeFault | null;
    try {
      problem = this.checkSigned().fault;
    } catch (err) {
      problem = { reason: "missing_node", detail: err instanceof Error ? err.message : String(err) };
    }
    if (problem === null && last === null && building === null) {
      problem = {
        reason: "checkpoint_malformed",
        detail: "The log has no signed checkpoint (is AUDIT_SIGNING_KEY set?)",
      };
    }
    const checkpointValid = problem === null && last !== null;
    const auditFound = full.status === "done" && full.reason !== null;
    return {
      valid: checkpointValid && !auditFound,
      tree_size: last?.tree_size ?? 0,
      root_hash: last?.root_hash ?? null,
      checkpoint_valid: checkpointValid,
      checkpoint_problem: problem ? `${problem.reason}: ${problem.detail}` : null,
      building,
      full_audit: full,
    };
  }

  /** Starts the full re-hash (POST /verify), run by the alarm in chunks; answers its status. */
  async startVerify(): Promise<FullAuditStatus> {
    const status = startFullAudit(this.ctx.storage.sql, nowIso());
    if (status === null) return NEVER_AUDITED;
    if (status.status === "running") await this.ctx.storage.setAlarm(Date.now());
    return status;
  }

  /** One chunk of the background work: the tree of a predating log first, then a re-hash. */
  override async alarm(): Promise<void> {
    const { sql } = this.ctx.storage;
    const more = this.ctx.storage.transactionSync(() => {
      if (isBuilding(sql)) {
        const building = buildTreeStep(sql);
        const signer = this.keys().signer;
        if (!building && signer && lastCheckpoint(sql) === null) {
          const size = treeSize(sql);
          signCheckpoint(sql, signer, this.origin(), size, rootHash(new StoredTree(sql), size), nowIso());
        }
        return true;
      }
      return fullAuditStep(sql, nowIso());
    });
    if (more) await this.ctx.storage.setAlarm(Date.now() + ALARM_PAUSE_MS);
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
    return exportSpan(this.ctx.storage.sql, { from, to }, whole ? this.unavailable() : null);
  }

  /** Raw rows after `afterSeq` up to `lastSeq`, redacted ones included: one chunk of an export. */
  exportChunk(afterSeq: number, lastSeq: number, limit: number): AuditRow[] {
    const args = parseInput(exportChunkSchema, { after_seq: afterSeq, last_seq: lastSeq, limit }, "chunk");
    return rowsBetween(this.ctx.storage.sql, args.after_seq, args.last_seq, args.limit);
  }
}
