/**
 * The check of an audit export file away from the service (`npm run verify-export`): every row's
 * hashes, the chain, the Merkle root of a full export against its signed checkpoint. Pure and
 * free of Workers APIs, so it runs in Node and in the tests alike.
 */
import { type ChainWalk, finishWalk, GENESIS_HASH, startWalkAt, walkRows } from "./chain.ts";
import { entryId } from "./entry-id.ts";
import { csvFields, csvRecordComplete } from "./export-csv.ts";
import {
  CSV_TRAILER_PREFIX,
  EXPORT_COLUMN_LISTS,
  EXPORT_COLUMNS,
  type ExportColumn,
  type ExportFormat,
  type ExportTrailer,
  exportRow,
  NDJSON_TRAILER_KEY,
} from "./export-file.ts";
import { leafHash, MerkleFrontier, sameHash, toHex } from "./merkle.ts";
import { type NoteKey, parseCheckpoint, verifyCheckpoint } from "./signed-note.ts";
import type { AuditRow, ChainFaultReason } from "./types.ts";

export type ExportFaultReason =
  | ChainFaultReason
  | "malformed_line"
  | "missing_trailer"
  | "trailer_mismatch"
  | "checkpoint_missing"
  | "signature_invalid"
  | "origin_mismatch";

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
  /** Whether the file is a whole signed tree whose root was recomputed and compared. */
  verifiable: boolean;
  /** Why it is not, when it is not. */
  unverifiable_reason: string | null;
  /** The key that signed the checkpoint, when the file is verifiable and valid. */
  signed_by: NoteKey | null;
  /** The checkpoint's origin, when the file carries one. */
  origin: string | null;
  fault: ExportFault | null;
}

/** Entries walked per step, so a large file is checked in bounded memory. */
const WALK_CHUNK_ROWS = 500;

export interface VerifyOptions {
  /**
   * Public keys the checkpoint may be signed with (the log's current and retired keys). With none,
   * no checkpoint can be trusted, so a file that carries one fails with signature_invalid.
   */
  keys: readonly NoteKey[];
  /** The organisation whose log this is: the origin must then be `<key name>/<org>`. */
  org?: string;
}

/**
 * Checks an export file fed to it line by line: every payload hash and chain link, the deletion
 * records, the trailer, the Merkle root of all the leaves against the trailer's checkpoint, and
 * with public keys that checkpoint's signature. It stops at the first fault and names the line
 * of the first bad row.
 */
export class ExportVerifier {
  private walk: ChainWalk | null = null;
  private pending: { row: AuditRow; line: number }[] = [];
  private readonly tree = new MerkleFrontier();
  private firstSeq: number | null = null;
  private trailer: ExportTrailer | null = null;
  private fault: ExportFault | null = null;
  private line = 0;
  private headerSeen: boolean;
  /** The CSV file's columns, as its header names them (an older file lacks columns added since). */
  private columns: readonly ExportColumn[] = EXPORT_COLUMNS;
  /** A CSV record whose quoted value spans lines, until its closing quote arrives. */
  private partial: { text: string; line: number } | null = null;
  private signedBy: NoteKey | null = null;
  private origin: string | null = null;

  // Plain fields rather than parameter properties: Node strips types but cannot compile those.
  private readonly format: ExportFormat;
  private readonly options: VerifyOptions;

  constructor(format: ExportFormat, options: VerifyOptions) {
    this.format = format;
    this.options = options;
    this.headerSeen = format !== "csv";
  }

  /** Feeds the next line, without its `\n`. */
  push(text: string): void {
    this.line += 1;
    if (this.fault) return;
    if (this.partial) {
      this.partial.text += `\n${text}`;
      if (!csvRecordComplete(this.partial.text)) return;
      const { text: record, line } = this.partial;
      this.partial = null;
      this.record(record, line);
      return;
    }
    if (text === "") return;
    if (this.format === "csv" && this.headerSeen && !text.startsWith("#") && !csvRecordComplete(text)) {
      this.partial = { text, line: this.line };
      return;
    }
    this.record(text, this.line);
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
      const columns = EXPORT_COLUMN_LISTS.find((list) => list.join(",") === text);
      if (columns === undefined) this.malformed(line, "The CSV header is not the export's columns");
      else this.columns = columns;
      return;
    }
    const parsed = this.format === "csv" ? this.parseCsv(text) : this.parseNdjson(text);
    if (parsed === "trailer" || this.fault) return;
    if (parsed === null) {
      this.malformed(line, "Not an entry of the export's format");
      return;
    }
    this.firstSeq ??= parsed.seq;
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
    return exportRow(value as Record<string, unknown>);
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
    const columns = this.columns;
    if (fields === null || fields.length !== columns.length) return null;
    return exportRow(Object.fromEntries(columns.map((column, i) => [column, fields[i] ?? null])));
  }

  private flush(): void {
    if (this.walk === null || this.pending.length === 0) return;
    const step = walkRows(
      this.walk,
      this.pending.map((p) => p.row),
    );
    // Every row the walk accepted is a leaf of the tree the checkpoint signs.
    const accepted = step.walk.entries_checked - this.walk.entries_checked;
    for (const { row } of this.pending.slice(0, accepted)) this.tree.append(leafHash(row.payload_hash));
    if (step.fault) {
      const at = this.pending[accepted];
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
    const verifiable = this.fault === null && this.trailer?.verifiable === true;
    return {
      valid: this.fault === null,
      entries_checked: walk?.entries_checked ?? 0,
      head,
      verifiable,
      unverifiable_reason: verifiable
        ? null
        : (this.trailer?.unverifiable_reason ??
          (this.fault ? null : "The trailer does not say the file is verifiable")),
      signed_by: this.signedBy,
      origin: this.origin,
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
    // A file that reaches the log's head must hold the deletion record of every redacted entry.
    // So must every verifiable file, whatever its unsigned trailer says of the head: a redaction
    // appends its deletion record in the same call, under the same checkpoint, so both lie inside
    // the signed tree the file is checked against.
    if (walk && last && (trailer.verifiable === true || last.seq === trailer.log_head_seq)) {
      const open = finishWalk(walk);
      if (open) {
        wholeFile(open.reason, open.detail, open.seq);
        return;
      }
    }
    if (trailer.verifiable !== true) return;
    this.checkCheckpoint(trailer, entries);
  }

  /** A verifiable file: its leaves must give the signed root of exactly its entries. */
  private checkCheckpoint(trailer: ExportTrailer, entries: number): void {
    const wholeFile = (reason: ExportFaultReason, detail: string) => {
      this.fault = { line: null, seq: null, reason, detail };
    };
    const note = typeof trailer.checkpoint === "string" ? parseCheckpoint(trailer.checkpoint) : null;
    if (note === null) {
      wholeFile("checkpoint_missing", "The file says it is verifiable but carries no readable checkpoint");
      return;
    }
    this.origin = note.origin;
    if ((this.firstSeq ?? 1) !== 1 || note.treeSize !== entries || trailer.tree_size !== entries) {
      wholeFile(
        "trailer_mismatch",
        `The checkpoint covers ${note.treeSize} entries from log-001; the file holds ${entries} from ` +
          `${this.firstSeq === null ? "none" : entryId(this.firstSeq)}`,
      );
      return;
    }
    // Is the note authentic, is it this organisation's log, and do the entries give its root?
    const signer = verifyCheckpoint(note, this.options.keys);
    if (signer === null) {
      wholeFile("signature_invalid", "The checkpoint is not signed by any of the given public keys");
      return;
    }
    const expected = this.options.org === undefined ? null : `${signer.name}/${this.options.org}`;
    if ((expected !== null && note.origin !== expected) || !note.origin.startsWith(`${signer.name}/`)) {
      wholeFile(
        "origin_mismatch",
        `The checkpoint is of ${note.origin}, not ${expected ?? `${signer.name}/…`}`,
      );
      return;
    }
    const root = this.tree.root();
    if (!sameHash(root, note.root)) {
      wholeFile(
        "root_mismatch",
        `The file's entries give root ${toHex(root)}, not the checkpoint's: a row was changed, added or removed`,
      );
      return;
    }
    this.signedBy = signer;
  }
}
