import { nowIso } from "../lib/time";
import type { AuditLogStub } from "./client";
import { type ExportFormat, exportHeader, exportLine, exportTrailerLine } from "./export-file";
import type { AuditExportRange, AuditExportSpan } from "./types";

/** Rows pulled from the object per call: one round trip per 500 entries, about 0.5 MiB each. */
export const EXPORT_CHUNK_ROWS = 500;

/**
 * The file of an export span, pulled from the object chunk by chunk as the reader asks for
 * more (the stream holds at most one chunk), so a large log never sits in the Worker's memory.
 * A failure mid-stream ends the body without its trailer, which the verifier reports.
 */
export function exportStream(
  log: Pick<AuditLogStub, "exportChunk">,
  span: AuditExportSpan,
  range: AuditExportRange,
  format: ExportFormat,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cursor = span.first_seq - 1;
  let rows = 0;
  let head: { seq: number; hash: string } | null = null;
  let headerSent = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!headerSent) {
          headerSent = true;
          const header = exportHeader(format);
          if (header !== "") {
            controller.enqueue(encoder.encode(header));
            return;
          }
        }
        const chunk =
          cursor < span.last_seq ? await log.exportChunk(cursor, span.last_seq, EXPORT_CHUNK_ROWS) : [];
        const last = chunk.at(-1);
        if (last === undefined) {
          const trailer = exportTrailerLine(format, {
            rows,
            from: range.from ?? null,
            to: range.to ?? null,
            head,
            verifiable: span.verifiable,
            checkpoint: span.checkpoint,
            tree_size: span.verifiable ? span.last_seq : null,
            unverifiable_reason: span.unverifiable_reason,
            log_head_seq: span.log_head_seq,
            exported_at: nowIso(),
          });
          controller.enqueue(encoder.encode(trailer));
          controller.close();
          return;
        }
        controller.enqueue(encoder.encode(chunk.map((row) => exportLine(format, row)).join("")));
        cursor = last.seq;
        head = { seq: last.seq, hash: last.hash };
        rows += chunk.length;
      },
    },
    // Pull only when the reader wants more, so at most one chunk is held at a time.
    { highWaterMark: 0 },
  );
}
