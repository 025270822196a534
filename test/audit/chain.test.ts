import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  DELETION_ACTION,
  ERASED_COLUMNS,
  GENESIS_HASH,
  linkHash,
  PAYLOAD_FIELDS,
  payloadHash,
  startWalk,
  verifyRows,
  walkRows,
} from "../../src/audit/chain";
import { entryId, entrySeq } from "../../src/audit/entry-id";
import type { AuditRow } from "../../src/audit/types";
import { entryFields } from "../helpers/audit";

const encoder = new TextEncoder();
const hex = (buffer: ArrayBuffer) =>
  [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");

/** SHA-256 through WebCrypto, independent of the node:crypto code under test. */
async function webSha256(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

const { event_id: _, ...emptyFields } = entryFields();
const EMPTY_ROW: Omit<AuditRow, "seq" | "event_id" | "payload_hash" | "prev_hash" | "hash"> = {
  redacted: 0,
  ...emptyFields,
};

/** Builds a valid chain of rows, one per set of fields, the way the object links them. */
function chainOf(fields: Partial<AuditRow>[]): AuditRow[] {
  const rows: AuditRow[] = [];
  let prev = GENESIS_HASH;
  fields.forEach((extra, index) => {
    const seq = index + 1;
    const row: AuditRow = {
      ...EMPTY_ROW,
      seq,
      event_id: `evt-${seq}`,
      ...extra,
      payload_hash: "",
      prev_hash: prev,
      hash: "",
    };
    row.payload_hash = payloadHash(row);
    row.hash = linkHash(prev, row.payload_hash);
    rows.push(row);
    prev = row.hash;
  });
  return rows;
}

describe("entry IDs", () => {
  it("zero-pads the sequence number to at least three digits", () => {
    expect([1, 99, 999, 1000].map(entryId)).toEqual(["log-001", "log-099", "log-999", "log-1000"]);
  });

  it("reads back only the canonical form of an ID", () => {
    expect(entrySeq("log-001")).toBe(1);
    expect(entrySeq("log-1000")).toBe(1000);
    expect(entrySeq("log-0001")).toBeNull();
    expect(entrySeq("log-000")).toBeNull();
    expect(entrySeq("log-1")).toBeNull();
    expect(entrySeq("LOG-001")).toBeNull();
  });
});

describe("canonical JSON", () => {
  it("sorts keys at every level, keeps array order and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], c: { z: null, y: "é" } })).toBe(
      '{"a":[true,null,"x"],"b":1,"c":{"y":"é","z":null}}',
    );
  });

  it("leaves out undefined members and escapes strings as JSON.stringify does", () => {
    expect(canonicalJson({ to: undefined, from: 'a"b\\\n\u0001' })).toBe('{"from":"a\\"b\\\\\\n\\u0001"}');
  });

  it("writes numbers in their shortest form and refuses non-finite ones", () => {
    expect(canonicalJson([1.5, 10, -0, 1e21])).toBe("[1.5,10,0,1e+21]");
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  it("gives the same text for the same value built in a different key order", () => {
    expect(canonicalJson({ x: { b: 2, a: 1 }, y: [{ d: 4, c: 3 }] })).toBe(
      canonicalJson({ y: [{ c: 3, d: 4 }], x: { a: 1, b: 2 } }),
    );
  });
});

describe("hashes", () => {
  it("takes the payload hash over the canonical payload without null columns or hashes", async () => {
    const [row] = chainOf([
      { mentor_ids: '["mentor-482","mentor-510"]', changes: '{"notes":{"from":null,"to":"x"}}' },
    ]);
    if (!row) throw new Error("no row");
    const expected =
      '{"action":"proxy_created","actor_id":"coord-119","changes":{"notes":{"from":null,"to":"x"}},' +
      '"coordinator_id":"coord-119","event_id":"evt-1","mentor_ids":["mentor-482","mentor-510"],' +
      '"recorded_at":"2026-03-20T09:00:01Z","seq":1,"timestamp":"2026-03-20T09:00:00Z"}';
    expect(row.payload_hash).toBe(await webSha256(expected));
  });

  it("links each entry as SHA-256 of prev_hash followed by payload_hash", async () => {
    const payload = "a".repeat(64);
    expect(linkHash(GENESIS_HASH, payload)).toBe(await webSha256(`${GENESIS_HASH}${payload}`));
  });
});

describe("verifying rows", () => {
  const five = () => chainOf([{}, { mentor_id: "mentor-482" }, {}, { batch_id: "batch-0042" }, {}]);

  it("accepts an intact chain", () => {
    const { walk, fault } = verifyRows(five());
    expect(fault).toBeNull();
    expect(walk.entries_checked).toBe(5);
  });

  it("gives the same result walked in chunks as in one go", () => {
    const rows = five();
    const first = walkRows(startWalk(), rows.slice(0, 2));
    const second = walkRows(first.walk, rows.slice(2));
    expect(second).toEqual(verifyRows(rows));
  });

  it("names the first entry whose stored field was changed", () => {
    const rows = five();
    const third = rows[2];
    if (!third) throw new Error("no row");
    third.coordinator_id = "coord-007";
    expect(verifyRows(rows).fault).toMatchObject({ seq: 3, reason: "payload_hash_mismatch" });
  });

  it("names the entry after one whose hashes were recomputed in place", () => {
    const rows = five();
    const second = rows[1];
    if (!second) throw new Error("no row");
    second.mentor_id = "mentor-999";
    second.payload_hash = payloadHash(second);
    second.hash = linkHash(second.prev_hash, second.payload_hash);
    expect(verifyRows(rows).fault).toMatchObject({ seq: 3, reason: "prev_hash_mismatch" });
  });

  it("reports a missing entry as a sequence gap", () => {
    const rows = five();
    rows.splice(1, 1);
    expect(verifyRows(rows).fault).toMatchObject({ seq: 2, reason: "sequence_gap" });
  });

  it("treats unreadable stored JSON as a changed payload", () => {
    const rows = chainOf([{ mentor_ids: '["mentor-482"]' }]);
    const row = rows[0];
    if (!row) throw new Error("no row");
    row.mentor_ids = "[not json";
    expect(verifyRows(rows).fault).toMatchObject({ seq: 1, reason: "payload_hash_mismatch" });
  });

  it("trusts a redacted entry's payload hash when a deletion record names it", () => {
    const rows = chainOf([{}, {}, { action: DELETION_ACTION, coordinator_id: null, target_seq: 2 }]);
    const second = rows[1];
    if (!second) throw new Error("no row");
    const erased = PAYLOAD_FIELDS.filter((field) => field !== "seq" && field !== "event_id");
    Object.assign(second, { redacted: 1 }, Object.fromEntries(erased.map((field) => [field, null])));
    expect(verifyRows(rows).fault).toBeNull();
  });

  it("rejects a redacted entry that no deletion record names", () => {
    const rows = five();
    const second = rows[1];
    if (!second) throw new Error("no row");
    Object.assign(second, { redacted: 1 }, Object.fromEntries(ERASED_COLUMNS.map((field) => [field, null])));
    expect(verifyRows(rows).fault).toMatchObject({ seq: 2, reason: "unrecorded_redaction" });
  });

  it("rejects a redacted entry that still holds, or was given, what a redaction erases", () => {
    const rows = chainOf([{}, {}, { action: DELETION_ACTION, coordinator_id: null, target_seq: 2 }]);
    const second = rows[1];
    if (!second) throw new Error("no row");
    Object.assign(second, { redacted: 1 }, Object.fromEntries(ERASED_COLUMNS.map((field) => [field, null])));
    expect(verifyRows(rows).fault).toBeNull();
    second.actor_name = "Somebody Else";
    expect(verifyRows(rows).fault).toMatchObject({ seq: 2, reason: "redacted_entry_not_erased" });
    second.actor_name = null;
    second.redacted = 2;
    expect(verifyRows(rows).fault).toMatchObject({ seq: 2, reason: "redacted_entry_not_erased" });
  });

  it("rejects a deletion record whose entry is not redacted", () => {
    const rows = chainOf([{}, { action: DELETION_ACTION, target_seq: 1 }]);
    expect(verifyRows(rows).fault).toMatchObject({ seq: 1, reason: "deletion_record_mismatch" });
  });
});
