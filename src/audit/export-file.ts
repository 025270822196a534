/**
 * The audit export file: its two formats (export-verify.ts checks a file away from the service).
 * Pure and free of Workers APIs, so the Worker writes files with it and `npm run verify-export`
 * reads them with it, in Node.
 *
 * A file is one line per entry, in sequence order, then one trailer line:
 * - `ndjson`: each entry a JSON object of its EXPORT_COLUMNS (an AuditRow), then
 *   `{"export_trailer": ExportTrailer}`;
 * - `csv`: a header line of EXPORT_COLUMNS, each entry a record (export-csv.ts), then
 *   `#export_trailer <ExportTrailer as JSON>`.
 *
 * Lines end in `\n` alone. Redacted entries are included with their hashes and NULL payload
 * columns, so the chain and the tree can be rebuilt across them. A full export runs from entry 1
 * to a signed tree size and its trailer carries that signed checkpoint: anyone with the public
 * key can recompute every leaf and the root and check the signature.
 */
import { csvValue } from "./export-csv.ts";
import { PAYLOAD_FIELDS } from "./payload.ts";
import type { AuditRow } from "./types.ts";

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

export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

export const INTEGER_COLUMNS: ReadonlySet<string> = new Set([
  "seq",
  "redacted",
  "mentor_count",
  "skipped_count",
  "target_seq",
]);
/** Columns no row lacks, redacted or not. */
export const REQUIRED_COLUMNS: ReadonlySet<string> = new Set([
  "seq",
  "event_id",
  "redacted",
  "payload_hash",
  "prev_hash",
  "hash",
]);

/**
 * Columns added to the export after its first format, a group per change, oldest first. A file
 * written before a group was added lacks it and every later one: its CSV header is one of
 * `exportHeaders()`, and its rows read as null there. That is safe to accept, since a column left
 * out of a row is left out of its payload too, so a row that dropped a value it held no longer
 * gives its payload hash.
 */
export const LATER_COLUMN_GROUPS: readonly (readonly ExportColumn[])[] = [["statement_id", "statement_hash"]];

const LATER_COLUMNS: ReadonlySet<string> = new Set(LATER_COLUMN_GROUPS.flat());

/** The column lists of every format an export has had, newest (EXPORT_COLUMNS) first. */
export const EXPORT_COLUMN_LISTS: readonly (readonly ExportColumn[])[] = Array.from(
  { length: LATER_COLUMN_GROUPS.length + 1 },
  (_, dropped) => {
    const absent = new Set(LATER_COLUMN_GROUPS.slice(LATER_COLUMN_GROUPS.length - dropped).flat());
    return EXPORT_COLUMNS.filter((column) => !absent.has(column));
  },
);

/**
 * A row from parsed columns, or null when a column is missing or of the wrong type. A column
 * added after the file's format (LATER_COLUMN_GROUPS) may be absent, and reads as null.
 */
export function exportRow(values: Record<string, unknown>): AuditRow | null {
  const row: Record<string, string | number | null> = {};
  for (const column of EXPORT_COLUMNS) {
    const given = values[column];
    const value = given === undefined && LATER_COLUMNS.has(column) ? null : given;
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

/** What a file covers, written after its last entry. */
export interface ExportTrailer {
  /** Entries in the file. */
  rows: number;
  /** The bounds the export was asked for, on `recorded_at`; null when open. */
  from: string | null;
  to: string | null;
  /** The last entry of the file, as the hash chain links it; null for an empty file. */
  head: { seq: number; hash: string } | null;
  /** Whether the file is a whole signed tree (entries 1..tree_size) that its checkpoint vouches for. */
  verifiable: boolean;
  /** The signed checkpoint note of `tree_size` entries; null when the file is not verifiable. */
  checkpoint: string | null;
  tree_size: number | null;
  /** Why the file cannot be checked against a signed root, when it cannot. */
  unverifiable_reason: string | null;
  /** The log's length when the export began. */
  log_head_seq: number;
  exported_at: string;
}

export const NDJSON_TRAILER_KEY = "export_trailer";
export const CSV_TRAILER_PREFIX = "#export_trailer ";

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
