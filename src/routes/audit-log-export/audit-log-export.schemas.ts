import { z } from "@hono/zod-openapi";
import { EXPORT_COLUMNS, EXPORT_FORMATS } from "../../audit/export-file";
import { rangeInOrder } from "../../lib/fields";
import { IsoDateTime, IsoDateTimeFrom } from "../../lib/time";

const HASH_EXAMPLE = "9f2c1e4b7a0d3c5e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708";

export const ExportQuery = z
  .object({
    format: z.enum(EXPORT_FORMATS).default("ndjson").openapi({ description: "The file's format" }),
    from: IsoDateTimeFrom.optional().openapi({
      description:
        "Earliest append time (recorded_at), inclusive. With from or to the file cannot be checked against a signed root",
    }),
    to: IsoDateTime.optional().openapi({
      description:
        "Latest append time (recorded_at), inclusive. Without from and to: the whole log up to its last signed size",
    }),
  })
  .superRefine(rangeInOrder);

const EXPORT_ROW_EXAMPLE = {
  seq: 1,
  event_id: "attr-20260320-001:created",
  redacted: 0,
  action: "proxy_created",
  actor_id: "coord-119",
  coordinator_id: "coord-119",
  mentor_id: "mentor-482",
  activity_id: "pa-001",
  timestamp: "2026-03-20T09:00:00Z",
  recorded_at: "2026-03-20T09:00:02Z",
  payload_hash: HASH_EXAMPLE,
  prev_hash: "0".repeat(64),
  hash: HASH_EXAMPLE,
};
const TRAILER_EXAMPLE = {
  rows: 1,
  from: null,
  to: null,
  head: { seq: 1, hash: HASH_EXAMPLE },
  verifiable: true,
  checkpoint: "mentor-activity-api/org-demo\n1\nqh3c…=\n\n\u2014 mentor-activity-api 0L3o…==\n",
  tree_size: 1,
  unverifiable_reason: null,
  log_head_seq: 1,
  exported_at: "2026-03-26T12:00:00Z",
};

export const NdjsonExportSchema = z.string().openapi({
  description:
    "One JSON object per entry, in sequence order, with every column (`" +
    EXPORT_COLUMNS.join("`, `") +
    '`; absent values null), then one line `{"export_trailer": {rows, from, to, head, verifiable, checkpoint, ' +
    "tree_size, unverifiable_reason, log_head_seq, exported_at}}`. A whole-log export is `verifiable`: its " +
    "entries are the tree of `tree_size` leaves and `checkpoint` is the object's signed note of it.",
  example: `${JSON.stringify(EXPORT_ROW_EXAMPLE)}\n${JSON.stringify({ export_trailer: TRAILER_EXAMPLE })}\n`,
});

export const CsvExportSchema = z.string().openapi({
  description:
    "A header line of the columns, one record per entry, then `#export_trailer <JSON>` as in the NDJSON " +
    "format. Strings are always quoted, integers bare, and NULL is an empty bare field. A string beginning " +
    "with `=`, `+`, `-`, `@`, tab, CR or `'` is written with a leading `'`, so a spreadsheet shows it rather " +
    "than running it; `npm run verify-export` removes it before hashing.",
  example: `${EXPORT_COLUMNS.join(",")}\n...\n#export_trailer ${JSON.stringify(TRAILER_EXAMPLE)}\n`,
});
