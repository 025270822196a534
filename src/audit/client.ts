import type { AuditLog } from "./audit-log.do";
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
  RedactResult,
  VerifyReport,
} from "./types";

/** What the Worker may ask of an organisation's audit log. Each call is one round trip. */
export interface AuditClient {
  append(events: AuditEventInput[]): Promise<AppendResult[]>;
  list(query: AuditListQuery): Promise<AuditListResult>;
  get(seq: number): Promise<AuditEntryDetail | null>;
  annotate(seq: number, note: AuditNote, actor: AuditActor): Promise<AnnotateResult>;
  redact(seq: number, actor: AuditActor): Promise<RedactResult>;
  verify(): Promise<VerifyReport>;
  exportRange(range: AuditExportRange): Promise<AuditExportSpan>;
  exportChunk(afterSeq: number, lastSeq: number, limit: number): Promise<AuditRow[]>;
}

/** The namespace of the organisations' audit objects, as the Worker binds it. */
export interface AuditBinding {
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

/** The audit log of one organisation: its own Durable Object, named by the organisation ID. */
export function auditClient(env: AuditBinding, orgId: string): AuditClient {
  const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(orgId));
  // Each call awaits its RpcPromise so callers get a plain Promise: a rejected RpcPromise handed
  // on as is was reported as unhandled even when the caller caught it.
  return {
    append: async (events) => await stub.append(events),
    list: async (query) => await stub.list(query),
    get: async (seq) => await stub.get(seq),
    annotate: async (seq, note, actor) => await stub.annotate(seq, note, actor),
    redact: async (seq, actor) => await stub.redact(seq, actor),
    verify: async () => await stub.verify(),
    exportRange: async (range) => await stub.exportRange(range),
    exportChunk: async (afterSeq, lastSeq, limit) => await stub.exportChunk(afterSeq, lastSeq, limit),
  };
}
