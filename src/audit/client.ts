import type { AuditLog } from "./audit-log.do";
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

/** What the Worker may ask of an organisation's audit log. Each call is one round trip. */
export interface AuditClient {
  append(events: AuditEventInput[]): Promise<AppendOutcome>;
  appendKeyed(event: AuditEventInput, key: AuditIdempotencyKey): Promise<KeyedAppendOutcome>;
  keep(key: AuditIdempotencyKey, response: KeptResponse): Promise<KeepOutcome>;
  list(query: AuditListQuery): Promise<AuditListResult>;
  get(seq: number): Promise<AuditEntryDetail | null>;
  trail(attributionId: string): Promise<TrailItem[]>;
  annotate(seq: number, note: AuditNote, actor: AuditActor): Promise<AnnotateResult>;
  redact(seq: number, actor: AuditActor): Promise<RedactResult>;
  verify(): Promise<VerifyReport>;
  startVerify(): Promise<FullAuditStatus>;
  checkpoint(): Promise<CheckpointResult>;
  checkpoints(afterSize: number, limit: number): Promise<SignedCheckpoint[]>;
  proof(seq: number, treeSize: number | null): Promise<InclusionResult>;
  consistency(from: number, to: number | null): Promise<ConsistencyResult>;
  exportRange(range: AuditExportRange): Promise<AuditExportSpan>;
  exportChunk(afterSeq: number, lastSeq: number, limit: number): Promise<AuditRow[]>;
}

/** The namespace of the organisations' audit objects, as the Worker binds it. */
export interface AuditBinding {
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

/**
 * The audit objects of organisations whose database is in `jurisdiction` (SPEC §13): an EU
 * organisation's log lives in the EU like its rows. `ignore` is for workerd, which has no
 * jurisdictions (`npm run dev`, the tests); there the plain namespace serves.
 */
export function auditBindingFor(
  env: AuditBinding,
  jurisdiction: DurableObjectJurisdiction | null,
  ignore: boolean,
): AuditBinding {
  if (jurisdiction === null || ignore) return env;
  return { AUDIT_LOG: env.AUDIT_LOG.jurisdiction(jurisdiction) };
}

/** The audit log of one organisation: its own Durable Object, named by the organisation ID. */
export function auditClient(env: AuditBinding, orgId: string): AuditClient {
  const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(orgId));
  // Each call awaits its RpcPromise so callers get a plain Promise: a rejected RpcPromise handed
  // on as is was reported as unhandled even when the caller caught it.
  return {
    append: async (events) => await stub.append(events),
    appendKeyed: async (event, key) => await stub.appendKeyed(event, key),
    keep: async (key, response) => await stub.keep(key, response),
    list: async (query) => await stub.list(query),
    get: async (seq) => await stub.get(seq),
    trail: async (attributionId) => await stub.trail(attributionId),
    annotate: async (seq, note, actor) => await stub.annotate(seq, note, actor),
    redact: async (seq, actor) => await stub.redact(seq, actor),
    verify: async () => await stub.verify(),
    startVerify: async () => await stub.startVerify(),
    checkpoint: async () => await stub.checkpoint(),
    checkpoints: async (afterSize, limit) => await stub.checkpoints(afterSize, limit),
    proof: async (seq, treeSize) => await stub.proof(seq, treeSize),
    consistency: async (from, to) => await stub.consistency(from, to),
    exportRange: async (range) => await stub.exportRange(range),
    exportChunk: async (afterSeq, lastSeq, limit) => await stub.exportChunk(afterSeq, lastSeq, limit),
  };
}
