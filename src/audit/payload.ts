/**
 * What an entry's payload hash is taken over, free of crypto and of Node so that a browser can
 * recompute it as the Worker and verify-export do (chain.ts hashes it).
 *
 * Canonical JSON (the exact text every payload hash is taken over), equal to RFC 8785 (JCS)
 * for the values an entry holds:
 * - no whitespace anywhere;
 * - objects: members sorted by key in UTF-16 code unit order, written `"key":value` and joined
 *   by `,`; members whose value is `undefined` are left out, as `JSON.stringify` does;
 * - arrays: elements in order, joined by `,`;
 * - strings: `JSON.stringify` escaping (`"`, `\` and control characters escaped, everything
 *   else literal), hashed as UTF-8;
 * - numbers: finite only, in ECMAScript's shortest round-trip form (`JSON.stringify`);
 * - `true`, `false`, `null` as literals.
 *
 * The payload of an entry is an object of its PAYLOAD_FIELDS columns (every stored column but
 * `redacted` and the three hashes). Top-level members whose column is NULL are left out;
 * nested nulls, as in `{"from":null,"to":"x"}`, stay.
 * `mentor_ids` and `changes` enter the payload as the JSON values they store, not as strings.
 */
import type { AuditRow, JsonValue } from "./types.ts";

export function canonicalJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new TypeError("Canonical JSON has no form for a non-finite number");
      return JSON.stringify(value);
    case "object": {
      if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
      const members = Object.entries(value)
        .filter(([, member]) => member !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`);
      return `{${members.join(",")}}`;
    }
    default:
      throw new TypeError(`Canonical JSON has no form for a ${typeof value}`);
  }
}

/**
 * The stored columns an entry's payload is made of. A later schema version may add columns
 * here; older rows hold NULL in them, which the payload leaves out, so their hashes stay valid.
 */
export const PAYLOAD_FIELDS = [
  "seq",
  "event_id",
  "action",
  "actor_id",
  "actor_name",
  "coordinator_id",
  "mentor_id",
  "mentor_name",
  "activity_id",
  "attribution_id",
  "batch_id",
  "mentor_ids",
  "activity_type_id",
  "activity_date",
  "mentor_count",
  "skipped_count",
  "changes",
  "ip_address",
  "user_agent",
  "target_seq",
  "annotation",
  "reviewed_by",
  "timestamp",
  "recorded_at",
  "member_id",
  "statement_id",
  "statement_hash",
] as const satisfies readonly (keyof AuditRow)[];

const JSON_FIELDS: ReadonlySet<string> = new Set(["mentor_ids", "changes"]);

/**
 * The value a JSON column enters the payload as. The column holds canonical JSON, and must: the
 * hash is over the parsed value, so a text that parses to it but reads otherwise (a duplicate
 * key, whose first value a reader sees and `JSON.parse` drops) would verify.
 */
function jsonColumn(field: string, text: string): JsonValue {
  const value = JSON.parse(text) as JsonValue;
  if (canonicalJson(value) !== text) throw new SyntaxError(`${field} is not canonical JSON`);
  return value;
}

/** The object an entry's payload hash is taken over. Throws when a JSON column is not canonical JSON. */
export function entryPayload(row: AuditRow): { [key: string]: JsonValue } {
  const payload: { [key: string]: JsonValue } = {};
  for (const field of PAYLOAD_FIELDS) {
    const value = row[field];
    if (value === null || value === undefined) continue;
    payload[field] = JSON_FIELDS.has(field) && typeof value === "string" ? jsonColumn(field, value) : value;
  }
  return payload;
}
