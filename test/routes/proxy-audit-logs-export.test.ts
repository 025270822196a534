import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { paths } from "../../clients/typescript/index";
import { headCheckpoint } from "../../src/audit/chain";
import { auditClient } from "../../src/audit/client";
import {
  EXPORT_COLUMNS,
  type ExportFormat,
  type ExportTrailer,
  type ExportVerdict,
  ExportVerifier,
} from "../../src/audit/export-file";
import { EXPORT_CHUNK_ROWS } from "../../src/audit/export-stream";
import { ChainWriter, type EntryFields } from "../../src/audit/store";
import type { AuditEventInput } from "../../src/audit/types";
import { call } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";

const EXPORT = "/api/v1/proxy-audit-logs/export";
const CHAIN_KEY = "test-audit-chain-key";

type ExportQuery = paths[typeof EXPORT]["get"]["parameters"]["query"];

function event(id: string, extra: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    event_id: id,
    action: "proxy_created",
    actor_id: "coord-119",
    actor_name: 'Jordan "JL" Lee, coordinator',
    coordinator_id: "coord-119",
    mentor_id: "mentor-482",
    activity_id: `pa-${id}`,
    ...extra,
  };
}

/** Four entries, the second deleted: five rows with the entry_deleted record. */
async function seeded(): Promise<TestOrg> {
  const o = await testOrg("export");
  await auditClient(env, o.org).append([
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

function verify(text: string, format: ExportFormat, key?: string): ExportVerdict {
  const verifier = new ExportVerifier(format, key);
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
  it("streams NDJSON rows with their hashes, redacted rows included, and a keyed trailer", async () => {
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
    expect(rows[1]).toMatchObject({ event_id: "e2", redacted: 1, action: null, mentor_id: null });
    expect(rows[1]?.payload_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[4]).toMatchObject({ action: "entry_deleted", target_seq: 2 });

    const trailer = lines[5]?.export_trailer as ExportTrailer;
    const head = { seq: 5, hash: rows[4]?.hash as string };
    expect(trailer).toMatchObject({ rows: 5, from: null, to: null, head, log_head_seq: 5 });
    expect(trailer.checkpoint).toBe(headCheckpoint(CHAIN_KEY, head.seq, head.hash));
    expect(verify(text, "ndjson", CHAIN_KEY)).toEqual({
      valid: true,
      entries_checked: 5,
      head,
      checkpoint_checked: true,
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
    // The redacted row: only its sequence number, event ID, flag and hashes are left.
    expect(lines[2]).toMatch(/^2,"e2",1,(,){22}"[0-9a-f]{64}","[0-9a-f]{64}","[0-9a-f]{64}"$/);
    expect(lines.at(-1)).toBe("");
    expect(lines.at(-2)).toMatch(/^#export_trailer \{"rows":5,/);
    expect(verify(text, "csv", CHAIN_KEY)).toMatchObject({ valid: true, entries_checked: 5 });
  });

  it("keeps NULL and the empty string apart in CSV, and a value spanning lines", async () => {
    const o = await testOrg("export");
    await auditClient(env, o.org).append([
      event("multi", { changes: { notes: { from: null, to: "" } }, user_agent: "line\nbreak" }),
    ]);
    const { text } = await download(o.compliance, { format: "csv" });
    expect(text).toContain('"line\nbreak"');
    expect(verify(text, "csv", CHAIN_KEY)).toMatchObject({ valid: true, entries_checked: 1 });
  });

  it("pulls a log larger than one chunk in order", async () => {
    const o = await testOrg("export");
    const client = auditClient(env, o.org);
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
    expect(verify(text, "ndjson", CHAIN_KEY)).toMatchObject({ valid: true, entries_checked: total });
  });

  it("exports the run of entries appended between from and to, with the checkpoint of its last", async () => {
    const o = await testOrg("export");
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(o.org));
    const days = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"];
    // Entries appended on four days, written through the object's own chain writer.
    await runInDurableObject(stub, (_instance, state) => {
      const writer = new ChainWriter(state.storage.sql, CHAIN_KEY);
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
      checkpoint: headCheckpoint(CHAIN_KEY, 3, last.hash),
      log_head_seq: 4,
    });
    expect(verify(text, "ndjson", CHAIN_KEY)).toMatchObject({ valid: true, entries_checked: 2 });

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

function entryOn(eventId: string, recordedAt: string): EntryFields {
  return {
    event_id: eventId,
    action: "proxy_created",
    actor_id: "coord-119",
    actor_name: null,
    coordinator_id: "coord-119",
    mentor_id: "mentor-482",
    mentor_name: null,
    activity_id: null,
    attribution_id: null,
    batch_id: null,
    mentor_ids: null,
    activity_type_id: null,
    activity_date: null,
    mentor_count: null,
    skipped_count: null,
    changes: null,
    ip_address: null,
    user_agent: null,
    target_seq: null,
    annotation: null,
    reviewed_by: null,
    timestamp: recordedAt,
    recorded_at: recordedAt,
  };
}

describe("verifying an export file", () => {
  async function exported(format: ExportFormat): Promise<string> {
    const o = await seeded();
    return (await download(o.compliance, { format })).text;
  }

  it("names the row whose field was changed (NDJSON)", async () => {
    const lines = (await exported("ndjson")).split("\n");
    lines[2] = (lines[2] ?? "").replace('"mentor_id":null', '"mentor_id":"mentor-999"');
    expect(verify(lines.join("\n"), "ndjson").fault).toMatchObject({ line: 3, seq: 3 });
    expect(verify(lines.join("\n"), "ndjson").fault?.reason).toBe("payload_hash_mismatch");
  });

  it("names the row whose field was changed (CSV)", async () => {
    const lines = (await exported("csv")).split("\n");
    lines[4] = (lines[4] ?? "").replace('"coord-007"', '"coord-119"');
    expect(verify(lines.join("\n"), "csv").fault).toMatchObject({
      line: 5,
      seq: 4,
      reason: "payload_hash_mismatch",
    });
  });

  it("finds a removed row, a cut-short file, a hidden redaction and a wrong key", async () => {
    const lines = (await exported("ndjson")).split("\n");
    const without = [...lines.slice(0, 2), ...lines.slice(3)].join("\n");
    expect(verify(without, "ndjson").fault).toMatchObject({ line: 3, seq: 3, reason: "sequence_gap" });

    const cut = lines.slice(0, 3).join("\n");
    expect(verify(cut, "ndjson").fault).toMatchObject({ line: null, reason: "missing_trailer" });

    // Redacting a row in the file keeps its hashes valid, but no deletion record names it.
    const first = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    const hidden = Object.fromEntries(
      Object.entries(first).map(([k, v]) =>
        ["seq", "event_id", "payload_hash", "prev_hash", "hash"].includes(k) ? [k, v] : [k, null],
      ),
    );
    const redacted = [JSON.stringify({ ...hidden, redacted: 1 }), ...lines.slice(1)].join("\n");
    expect(verify(redacted, "ndjson").fault).toMatchObject({ seq: 1, reason: "unrecorded_redaction" });

    expect(verify(lines.join("\n"), "ndjson", "another-key").fault).toMatchObject({
      reason: "checkpoint_mismatch",
    });
    expect(verify(lines.join("\n"), "ndjson")).toMatchObject({ valid: true, checkpoint_checked: false });
  });
});
