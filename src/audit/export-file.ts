/**
 * The audit export file: its two formats and the check of a file away from the service.
 * Pure and free of Workers APIs, so the Worker writes files with it and `npm run verify-export`
 * reads them with it, in Node.
 *
 * A file is one line per entry, in sequence order, then one trailer line:
 * - `ndjson`: each entry a JSON object of its EXPORT_COLUMNS (an AuditRow), then
 *   `{"export_trailer": ExportTrailer}`;
 * - `csv`: a header line of EXPORT_COLUMNS, each entry a record, then
 *   `#export_trailer <ExportTrailer as JSON>`. Strings are always quoted (`""` escapes a quote
 *   and a quoted value may span lines), integers are bare, and NULL is an empty bare field, so
 *   NULL and the empty string stay apart, as the payload hash needs.
 *
 * Lines end in `\n` alone. Redacted entries are included with their hashes and NULL payload
 * columns, so the chain can be walked across them.
 */
import {
  type ChainWalk,
  finishWalk,
  GENESIS_HASH,
  headCheckpoint,
  PAYLOAD_FIELDS,
  sameDigest,
  startWalkAt,
  walkRows,
} from "./chain.ts";
import { entryId } from "./entry-id.ts";
import type { AuditRow, ChainFaultReason } from "./types.ts";

export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_MEDIA_TYPES = {
  ndjson: "application/x-ndjson",
  csv: "text/csv",
} as const satisfies Record<ExportFormat, string>;

/** Every column of an entry, in file order. */
export const EXPORT_COLUMNS = [
  "seq",
  "event_id",
  "redacted",
  ...PAYLOAD_FIELDS.filter((field) => field !== "seq" && field !== "event_id"),
  "payload_hash",
  "prev_hash",
  "hash",
] as const satisfies readonly (keyof AuditRow)[];

type ExportColumn = (typeof EXPORT_COLUMNS)[number];

const INTEGER_COLUMNS: ReadonlySet<string> = new Set([
  "seq",
  "redacted",
  "mentor_count",
  "skipped_count",
  "target_seq",
]);
/** Columns no row lacks, redacted or not. */
const REQUIRED_COLUMNS: ReadonlySet<string> = new Set([
  "seq",
  "event_id",
  "redacted",
  "payload_hash",
  "prev_hash",
  "hash",
]);

/** What a file covers, written after its last entry. */
export interface ExportTrailer {
  /** Entries in the file. */
  rows: number;
  /** The bounds the export was asked for, on `recorded_at`; null when open. */
  from: string | null;
  to: string | null;
  /** The last entry of the file; null for an empty file. */
  head: { seq: number; hash: string } | null;
  /** HMAC-SHA-256 of `<seq>:<hash>` of `head` under the chain key, as the log signs its head. */
  checkpoint: string | null;
  /** The log's head when the export began; the file is complete when it ends there. */
  log_head_seq: number;
  exported_at: string;
}

const NDJSON_TRAILER_KEY = "export_trailer";
const CSV_TRAILER_PREFIX = "#export_trailer ";

function csvValue(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  return `"${value.replaceAll('"', '""')}"`;
}

export function exportHeader(format: ExportFormat): string {
  return format === "csv" ? `${EXPORT_COLUMNS.join(",")}\n` : "";
}

export function exportLine(format: ExportFormat, row: AuditRow): string {
  if (format === "csv") return `${EXPORT_COLUMNS.map((column) => csvValue(row[column])).join(",")}\n`;
  const record: Partial<Record<ExportColumn, string | number | null>> = {};
  for (const column of EXPORT_COLUMNS) record[column] = row[column];
  return `${JSON.stringify(record)}\n`;
}

export function exportTrailerLine(format: ExportFormat, trailer: ExportTrailer): string {
  return format === "csv"
    ? `${CSV_TRAILER_PREFIX}${JSON.stringify(trailer)}\n`
    : `${JSON.stringify({ [NDJSON_TRAILER_KEY]: trailer })}\n`;
}

/** Splits one CSV record; bare fields are integers or NULL, quoted ones strings. */
function csvFields(record: string): (string | number | null)[] | null {
  const fields: (string | number | null)[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let value = "";
      i += 1;
      for (;;) {
        const quote = record.indexOf('"', i);
        if (quote === -1) return null;
        value += record.slice(i, quote);
        if (record[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const end = record.indexOf(",", i);
      const bare = record.slice(i, end === -1 ? undefined : end);
      if (bare !== "" && !/^-?\d+$/.test(bare)) return null;
      fields.push(bare === "" ? null : Number(bare));
      i = end === -1 ? record.length : end;
    }
    if (i === record.length) return fields;
    if (record[i] !== ",") return null;
    i += 1;
  }
}

/** A row from parsed columns, or null when a column is missing or of the wrong type. */
function toRow(values: Record<string, unknown>): AuditRow | null {
  const row: Record<string, string | number | null> = {};
  for (const column of EXPORT_COLUMNS) {
    const value = values[column];
    const ok =
      value === null
        ? !REQUIRED_COLUMNS.has(column)
        : INTEGER_COLUMNS.has(column)
          ? Number.isSafeInteger(value)
          : typeof value === "string";
    if (!ok) return null;
    row[column] = value as string | number | null;
  }
  return row as AuditRow;
}

export type ExportFaultReason = ChainFaultReason | "malformed_line" | "missing_trailer" | "trailer_mismatch";

export interface ExportFault {
  /** The file's line (from 1) where the fault was found; null when it is about the whole file. */
  line: number | null;
  seq: number | null;
  reason: ExportFaultReason;
  detail: string;
}

export interface ExportVerdict {
  valid: boolean;
  entries_checked: number;
  /** The last entry walked. */
  head: { seq: number; hash: string } | null;
  /** Whether the trailer's checkpoint was checked under a key. */
  checkpoint_checked: boolean;
  fault: ExportFault | null;
}

/** Entries walked per step, so a large file is checked in bounded memory. */
const WALK_CHUNK_ROWS = 500;

/**
 * Checks an export file fed to it line by line: every link and payload hash, the deletion
 * records, the trailer, and with the chain key the trailer's checkpoint. It stops at the first
 * fault and names the line of the first bad row.
 */
export class ExportVerifier {
  private walk: ChainWalk | null = null;
  private pending: { row: AuditRow; line: number }[] = [];
  private trailer: ExportTrailer | null = null;
  private fault: ExportFault | null = null;
  private line = 0;
  private headerSeen: boolean;
  /** A CSV record whose quoted value spans lines, until its closing quote arrives. */
  private partial: { text: string; line: number } | null = null;

  // Plain fields rather than parameter properties: Node strips types but cannot compile those.
  private readonly format: ExportFormat;
  private readonly key: string | undefined;

  constructor(format: ExportFormat, key?: string) {
    this.format = format;
    this.key = key;
    this.headerSeen = format !== "csv";
  }

  /** Feeds the next line, without its `\n`. */
  push(text: string): void {
    this.line += 1;
    if (this.fault) return;
    if (this.partial) {
      this.partial.text += `\n${text}`;
      if (!this.complete(this.partial.text)) return;
      const { text: record, line } = this.partial;
      this.partial = null;
      this.record(record, line);
      return;
    }
    if (text === "") return;
    if (this.format === "csv" && this.headerSeen && !text.startsWith("#") && !this.complete(text)) {
      this.partial = { text, line: this.line };
      return;
    }
    this.record(text, this.line);
  }

  private complete(record: string): boolean {
    return (record.split('"').length - 1) % 2 === 0;
  }

  private malformed(line: number, detail: string): void {
    this.fault = { line, seq: null, reason: "malformed_line", detail };
  }

  private record(text: string, line: number): void {
    if (this.trailer !== null) {
      this.malformed(line, "Text after the trailer line");
      return;
    }
    if (!this.headerSeen) {
      this.headerSeen = true;
      if (text !== EXPORT_COLUMNS.join(","))
        this.malformed(line, "The CSV header is not the export's columns");
      return;
    }
    const parsed = this.format === "csv" ? this.parseCsv(text) : this.parseNdjson(text);
    if (parsed === "trailer" || this.fault) return;
    if (parsed === null) {
      this.malformed(line, "Not an entry of the export's format");
      return;
    }
    this.walk ??= startWalkAt(parsed.seq, parsed.seq === 1 ? GENESIS_HASH : parsed.prev_hash);
    this.pending.push({ row: parsed, line });
    if (this.pending.length >= WALK_CHUNK_ROWS) this.flush();
  }

  private parseNdjson(text: string): AuditRow | "trailer" | null {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return null;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
    if (NDJSON_TRAILER_KEY in value) {
      this.trailer = (value as Record<string, unknown>)[NDJSON_TRAILER_KEY] as ExportTrailer;
      return "trailer";
    }
    return toRow(value as Record<string, unknown>);
  }

  private parseCsv(text: string): AuditRow | "trailer" | null {
    if (text.startsWith(CSV_TRAILER_PREFIX)) {
      try {
        this.trailer = JSON.parse(text.slice(CSV_TRAILER_PREFIX.length)) as ExportTrailer;
      } catch {
        return null;
      }
      return "trailer";
    }
    const fields = csvFields(text);
    if (fields === null || fields.length !== EXPORT_COLUMNS.length) return null;
    return toRow(Object.fromEntries(EXPORT_COLUMNS.map((column, i) => [column, fields[i] ?? null])));
  }

  private flush(): void {
    if (this.walk === null || this.pending.length === 0) return;
    const step = walkRows(
      this.walk,
      this.pending.map((p) => p.row),
    );
    if (step.fault) {
      // The walk stops at the bad row, so the rows it checked in this chunk come before it.
      const at = this.pending[step.walk.entries_checked - this.walk.entries_checked];
      this.fault = { line: at?.line ?? null, ...step.fault };
    }
    this.walk = step.walk;
    this.pending = [];
  }

  /** The verdict once every line has been fed. */
  finish(): ExportVerdict {
    if (!this.fault && this.partial) this.malformed(this.partial.line, "A quoted value is never closed");
    if (!this.fault) this.flush();
    if (!this.fault) this.checkTrailer();
    const walk = this.walk;
    const head = walk && walk.entries_checked > 0 ? { seq: walk.next_seq - 1, hash: walk.prev_hash } : null;
    return {
      valid: this.fault === null,
      entries_checked: walk?.entries_checked ?? 0,
      head,
      checkpoint_checked: this.fault === null && this.key !== undefined,
      fault: this.fault,
    };
  }

  private checkTrailer(): void {
    const trailer = this.trailer;
    const walk = this.walk;
    const wholeFile = (reason: ExportFaultReason, detail: string, seq: number | null = null) => {
      this.fault = { line: null, seq, reason, detail };
    };
    if (trailer === null || typeof trailer !== "object") {
      wholeFile("missing_trailer", "The file has no trailer line: it was cut short");
      return;
    }
    const entries = walk?.entries_checked ?? 0;
    const last = walk && entries > 0 ? { seq: walk.next_seq - 1, hash: walk.prev_hash } : null;
    if (trailer.rows !== entries || trailer.head?.seq !== last?.seq || trailer.head?.hash !== last?.hash) {
      wholeFile(
        "trailer_mismatch",
        `The trailer covers ${trailer.rows} entries up to ${trailer.head ? entryId(trailer.head.seq) : "none"}, ` +
          `the file holds ${entries} up to ${last ? entryId(last.seq) : "none"}`,
      );
      return;
    }
    // Only a file that reaches the log's head must hold the deletion record of every redacted entry.
    if (walk && last && last.seq === trailer.log_head_seq) {
      const open = finishWalk(walk);
      if (open) {
        wholeFile(open.reason, open.detail, open.seq);
        return;
      }
    }
    if (this.key === undefined || last === null) return;
    const expected = headCheckpoint(this.key, last.seq, last.hash);
    if (typeof trailer.checkpoint !== "string" || !sameDigest(expected, trailer.checkpoint)) {
      wholeFile(
        "checkpoint_mismatch",
        "The links hold but the trailer's keyed checkpoint does not: the file was rewritten, or the key is not the log's",
      );
    }
  }
}
