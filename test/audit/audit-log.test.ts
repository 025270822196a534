import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERASED_COLUMNS, linkHash, payloadHash } from "../../src/audit/chain";
import { type AuditLogStub, auditLogOf } from "../../src/audit/client";
import { AUDIT_CHUNK_ROWS } from "../../src/audit/full-audit";
import { migrate, SCHEMA_VERSION } from "../../src/audit/migrations";
import {
  listStatements,
  SELECT_BY_EVENT_ID,
  SELECT_CHUNK,
  SELECT_FIRST_RECORDED_FROM,
  SELECT_LAST_RECORDED_TO,
  SELECT_LATEST_ANNOTATION,
  SELECT_RANGE_CHUNK,
} from "../../src/audit/store";
import type { AppendResult, AuditEntry, AuditListQuery, AuditRow, VerifyReport } from "../../src/audit/types";
import { newOrg } from "../helpers/api";
import { appended, event } from "../helpers/audit";

const ADMIN = {
  actor_id: "admin-007",
  actor_name: "Ada Admin",
  ip_address: "10.0.0.1",
  user_agent: "Tests/1.0",
};

/** Starts the full re-hash and runs the object's alarm until it is done; answers the verdict. */
async function fullyVerified(client: AuditLogStub, stub: DurableObjectStub): Promise<VerifyReport> {
  await client.startVerify();
  for (let run = 0; run < 1000 && (await runDurableObjectAlarm(stub)); run += 1);
  return client.verify();
}

/**
 * A call of the object's stub, awaited where it is made: a rejected RpcPromise handed on as it is
 * was reported as unhandled even when the caller caught it.
 */
const awaited = async (call: () => PromiseLike<unknown>): Promise<unknown> => await call();

function created(result: AppendResult | undefined): AuditEntry {
  if (result?.status !== "created") throw new Error(`expected a created entry, got ${result?.status}`);
  return result.entry;
}

function setup(): { org: string; client: AuditLogStub; stub: DurableObjectStub } {
  const org = newOrg("audit");
  return {
    org,
    client: auditLogOf(env.AUDIT_LOG, org),
    stub: env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(org)),
  };
}

/** Appends `count` events, at most 500 per call (the object's limit). */
async function appendMany(client: AuditLogStub, count: number, prefix = "evt"): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    appended(
      await client.append(Array.from({ length: size }, (_, i) => event(`${prefix}-${start + i + 1}`))),
    );
  }
}

function storedRows(stub: DurableObjectStub): Promise<AuditRow[]> {
  return runInDurableObject(stub, (_instance, state) =>
    state.storage.sql.exec<AuditRow>("SELECT * FROM entries ORDER BY seq").toArray(),
  );
}

const page = (query: Partial<AuditListQuery> = {}): AuditListQuery => ({ limit: 20, offset: 0, ...query });

describe("appending", () => {
  it("numbers entries from 1 and shows the number as log-NNN", async () => {
    const { client } = setup();
    const results = appended(await client.append([event("a"), event("b")]));
    expect(results.map((r) => created(r).id)).toEqual(["log-001", "log-002"]);
    expect(results.map((r) => created(r).seq)).toEqual([1, 2]);
  });

  it("uses occurred_at, normalised to UTC seconds, as the timestamp and keeps the append time", async () => {
    const { client } = setup();
    const [late, now] = appended(
      await client.append([event("late", { occurred_at: "2026-03-20T10:00:00.750+01:00" }), event("now")]),
    );
    expect(created(late).timestamp).toBe("2026-03-20T09:00:00Z");
    expect(created(late).recorded_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(created(late).recorded_at).not.toBe(created(late).timestamp);
    expect(created(now).timestamp).toBe(created(now).recorded_at);
  });

  it("keeps every event field, names included", async () => {
    const { client } = setup();
    const input = event("full", {
      actor_name: "Jordan Lee",
      mentor_name: "Sam Rivera",
      attribution_id: "attr-20260324-001",
      batch_id: "batch-0042",
      mentor_ids: ["mentor-482", "mentor-510"],
      activity_type_id: "one-on-one",
      activity_date: "2026-03-24T14:00:00Z",
      mentor_count: 2,
      skipped_count: 0,
      changes: { duration_minutes: { from: 30, to: 45 }, notes: { from: null, to: "moved" } },
      ip_address: "192.168.1.42",
      user_agent: "EircodexApp/2.1 Android",
    });
    expect(created(appended(await client.append([input]))[0])).toMatchObject(input);
  });

  it("gives 50 concurrent appends contiguous sequence numbers and a valid, signed log", async () => {
    const { client, stub } = setup();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => client.append([event(`c-${i}`)])));
    const seqs = results.map((outcome) => created(appended(outcome)[0]).seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await client.verify()).toMatchObject({ valid: true, checkpoint_valid: true, tree_size: 50 });
    // One checkpoint per append call, and the empty tree's.
    expect((await client.checkpoints(0, 100)).map((c) => c.tree_size)).toEqual(seqs);
    expect(await fullyVerified(client, stub)).toMatchObject({
      valid: true,
      full_audit: { status: "done", checked_through: 50, first_bad_seq: null, reason: null },
    });
  });

  it("answers the existing entry for an event ID it already holds and writes nothing", async () => {
    const { client } = setup();
    const first = created(appended(await client.append([event("same")]))[0]);
    const [again] = appended(await client.append([event("same", { mentor_id: "mentor-510" })]));
    expect(again).toEqual({ status: "existing", entry: first });
    const [inBatch, repeated] = appended(await client.append([event("twice"), event("twice")]));
    expect(repeated).toEqual({ status: "existing", entry: created(inBatch) });
    const { total } = await client.list(page());
    expect(total).toBe(2);
  });

  it("appends a list all or nothing", async () => {
    const { client } = setup();
    await expect(
      awaited(() => client.append([event("ok"), event("bad", { action: "Bad Action" })])),
    ).rejects.toThrow("events.1.action");
    await expect(
      awaited(() => client.append([event("ok"), event("ok2", { mentor_count: -1 })])),
    ).rejects.toThrow("events.1.mentor_count");
    expect((await client.list(page())).total).toBe(0);
    expect((await client.verify()).tree_size).toBe(0);
  });

  it("refuses the actions it writes itself", async () => {
    const { client } = setup();
    for (const action of ["entry_deleted", "entry_annotated"]) {
      await expect(awaited(() => client.append([event("x", { action })]))).rejects.toThrow(
        /written by the audit log itself/,
      );
    }
    expect((await client.list(page())).total).toBe(0);
  });

  it("keeps each organisation's log apart", async () => {
    const one = setup();
    const other = setup();
    await appendMany(one.client, 3);
    const [first] = appended(await other.client.append([event("evt-1")]));
    expect(created(first).id).toBe("log-001");
    expect((await other.client.list(page())).total).toBe(1);
    expect(await other.client.get(2)).toBeNull();
    expect((await one.client.verify()).tree_size).toBe(3);
  });
});

describe("listing", () => {
  async function seeded() {
    const ctx = setup();
    await ctx.client.append([
      event("1", {
        action: "proxy_created",
        actor_id: "coord-119",
        attribution_id: "attr-1",
        occurred_at: "2026-03-01T09:00:00Z",
      }),
      event("2", {
        action: "proxy_updated",
        actor_id: "admin-007",
        attribution_id: "attr-1",
        occurred_at: "2026-03-10T09:00:00Z",
      }),
      event("3", {
        action: "bulk_submission",
        coordinator_id: "coord-007",
        actor_id: "coord-007",
        mentor_id: null,
        activity_id: null,
        batch_id: "batch-0042",
        mentor_ids: ["mentor-482", "mentor-510"],
        occurred_at: "2026-03-20T09:00:00Z",
      }),
      event("4", { action: "proxy_deleted", mentor_id: "mentor-033", occurred_at: "2026-03-30T09:00:00Z" }),
    ]);
    return ctx;
  }
  const seqsOf = (entries: AuditEntry[]) => entries.map((e) => e.seq);

  it("answers newest first with the total, and oldest first on request", async () => {
    const { client } = await seeded();
    const desc = await client.list(page({ limit: 3 }));
    expect(seqsOf(desc.entries)).toEqual([4, 3, 2]);
    expect(desc.total).toBe(4);
    expect(seqsOf((await client.list(page({ order: "asc", limit: 2, offset: 2 }))).entries)).toEqual([3, 4]);
  });

  it("filters by actions, actor, attribution, coordinator, batch and time", async () => {
    const { client } = await seeded();
    const seqs = async (query: Partial<AuditListQuery>) => seqsOf((await client.list(page(query))).entries);
    expect(await seqs({ actions: ["proxy_created", "proxy_deleted"] })).toEqual([4, 1]);
    expect(await seqs({ actor_id: "admin-007" })).toEqual([2]);
    expect(await seqs({ attribution_id: "attr-1" })).toEqual([2, 1]);
    expect(await seqs({ coordinator_id: "coord-007" })).toEqual([3]);
    expect(await seqs({ batch_id: "batch-0042" })).toEqual([3]);
    expect(await seqs({ from: "2026-03-10T09:00:00Z", to: "2026-03-20T09:00:00Z" })).toEqual([3, 2]);
    expect(await seqs({ from: "2026-03-10T10:00:00+01:00" })).toEqual([4, 3, 2]);
  });

  it("finds a mentor named by mentor_id or among mentor_ids", async () => {
    const { client } = await seeded();
    const result = await client.list(page({ mentor_id: "mentor-482" }));
    expect(seqsOf(result.entries)).toEqual([3, 2, 1]);
    expect(result.total).toBe(3);
  });
});

describe("annotating", () => {
  it("appends an annotation record, leaves the entry as it was and keeps the log valid", async () => {
    const { client } = setup();
    await appendMany(client, 2);
    const before = await client.get(1);
    const result = await client.annotate(
      1,
      { annotation: "Reviewed on 2026-03-26", reviewed_by: "admin-007" },
      ADMIN,
    );
    if (result.status !== "annotated") throw new Error(result.status);
    expect(result.record).toMatchObject({
      seq: 3,
      action: "entry_annotated",
      target_seq: 1,
      actor_id: "admin-007",
    });
    const after = await client.get(1);
    expect(after?.entry).toEqual(before?.entry);
    expect(after?.annotation).toEqual({
      annotation: "Reviewed on 2026-03-26",
      reviewed_by: "admin-007",
      updated_at: result.record.timestamp,
      record_id: "log-003",
    });
    expect(await client.verify()).toMatchObject({ valid: true, tree_size: 3 });
  });

  it("shows the latest of several annotations", async () => {
    const { client } = setup();
    await appendMany(client, 1);
    await client.annotate(1, { annotation: "first", reviewed_by: "admin-007" }, ADMIN);
    await client.annotate(1, { annotation: "second", reviewed_by: "comp-001" }, ADMIN);
    expect((await client.get(1))?.annotation).toMatchObject({
      annotation: "second",
      reviewed_by: "comp-001",
    });
  });

  it("does not annotate a missing entry or a record of the log's own", async () => {
    const { client } = setup();
    await appendMany(client, 1);
    await client.annotate(1, { annotation: "note", reviewed_by: "admin-007" }, ADMIN);
    expect(await client.annotate(9, { annotation: "x", reviewed_by: "admin-007" }, ADMIN)).toEqual({
      status: "not_found",
    });
    expect(await client.annotate(2, { annotation: "x", reviewed_by: "admin-007" }, ADMIN)).toEqual({
      status: "not_annotatable",
      action: "entry_annotated",
    });
  });
});

describe("redacting", () => {
  it("erases the payload but what places it, keeps the hashes, records who deleted it, and the log still verifies", async () => {
    const { client, stub } = setup();
    await client.append([event("1"), event("2", { mentor_ids: ["mentor-482", "mentor-510"] }), event("3")]);
    const before = (await storedRows(stub))[1];
    const result = await client.redact(2, ADMIN);
    if (result.status !== "redacted") throw new Error(result.status);
    expect(result.record).toMatchObject({
      seq: 4,
      action: "entry_deleted",
      target_seq: 2,
      actor_id: "admin-007",
    });
    expect(result.record.actor_name).toBe("Ada Admin");

    const row = (await storedRows(stub))[1];
    expect(row).toMatchObject({
      seq: 2,
      event_id: "2",
      redacted: 1,
      action: null,
      mentor_ids: null,
      timestamp: null,
      // The references that place the event stay, so its record's trail still shows it.
      activity_id: "pa-2",
    });
    expect([row?.payload_hash, row?.prev_hash, row?.hash]).toEqual([
      before?.payload_hash,
      before?.prev_hash,
      before?.hash,
    ]);
    expect(await client.get(2)).toBeNull();
    expect((await client.list(page())).entries.map((e) => e.seq)).toEqual([4, 3, 1]);
    expect((await client.list(page({ mentor_id: "mentor-510" }))).total).toBe(0);
    expect(await client.verify()).toMatchObject({ valid: true, tree_size: 4 });
    expect(await fullyVerified(client, stub)).toMatchObject({ valid: true, full_audit: { reason: null } });
  });

  it("answers not found the second time and never erases a deletion record", async () => {
    const { client } = setup();
    await appendMany(client, 1);
    await client.redact(1, ADMIN);
    expect(await client.redact(1, ADMIN)).toEqual({ status: "not_found" });
    expect(await client.redact(2, ADMIN)).toEqual({ status: "not_redactable", action: "entry_deleted" });
  });

  it("does not bring a deleted event back when its ID is appended again", async () => {
    const { client } = setup();
    await client.append([event("gone")]);
    await client.redact(1, ADMIN);
    expect(appended(await client.append([event("gone")]))).toEqual([
      { status: "redacted", id: "log-001", seq: 1 },
    ]);
    expect((await client.list(page())).total).toBe(1);
  });
});

describe("the full re-hash", () => {
  it("re-hashes a log longer than one chunk and finds nothing wrong", async () => {
    const { client, stub } = setup();
    await appendMany(client, AUDIT_CHUNK_ROWS, "a");
    await appendMany(client, 20, "b");
    const report = await fullyVerified(client, stub);
    expect(report).toMatchObject({
      valid: true,
      checkpoint_valid: true,
      tree_size: AUDIT_CHUNK_ROWS + 20,
      full_audit: {
        status: "done",
        tree_size: AUDIT_CHUNK_ROWS + 20,
        checked_through: AUDIT_CHUNK_ROWS + 20,
        reason: null,
      },
    });
  });

  it("reports the first entry whose stored field was altered, past the first chunk too", async () => {
    const { client, stub } = setup();
    await appendMany(client, AUDIT_CHUNK_ROWS, "a");
    await appendMany(client, 10, "b");
    const tampered = AUDIT_CHUNK_ROWS + 3;
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE entries SET activity_id = 'pa-forged' WHERE seq = ?", tampered);
      state.storage.sql.exec("UPDATE entries SET mentor_id = 'mentor-999' WHERE seq = ?", tampered + 2);
    });
    // The tree and the checkpoint are untouched, so the O(log n) check cannot see it; the re-hash does.
    expect(await client.verify()).toMatchObject({ valid: true, checkpoint_valid: true });
    const report = await fullyVerified(client, stub);
    expect(report).toMatchObject({
      valid: false,
      checkpoint_valid: true,
      full_audit: { status: "done", first_bad_seq: tampered },
    });
    expect(report.full_audit.reason).toMatch(/^payload_hash_mismatch/);
  });

  it("notices an entry hidden by marking it redacted", async () => {
    const { client, stub } = setup();
    await appendMany(client, 3);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(
        `UPDATE entries SET redacted = 1, ${ERASED_COLUMNS.map((c) => `${c} = NULL`).join(", ")} WHERE seq = 2`,
      );
    });
    const report = await fullyVerified(client, stub);
    expect(report.full_audit).toMatchObject({ first_bad_seq: 2 });
    expect(report.full_audit.reason).toMatch(/^unrecorded_redaction/);
  });

  it("notices content written into a redacted entry, whose payload hash it trusts", async () => {
    const { client, stub } = setup();
    await appendMany(client, 3);
    expect(await client.redact(2, ADMIN)).toMatchObject({ status: "redacted" });
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE entries SET actor_name = 'Somebody Else' WHERE seq = 2");
    });
    const report = await fullyVerified(client, stub);
    expect(report.full_audit).toMatchObject({ first_bad_seq: 2 });
    expect(report.full_audit.reason).toMatch(/^redacted_entry_not_erased/);
  });

  it("notices entries deleted from the end, and refuses to append after them", async () => {
    const { client, stub } = setup();
    await appendMany(client, 4);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("DELETE FROM entries WHERE seq > 2");
    });
    expect(await client.verify()).toMatchObject({ valid: false, checkpoint_valid: false });
    expect((await client.verify()).checkpoint_problem).toMatch(/^entries_missing/);
    expect(await client.append([event("after")])).toMatchObject({ status: "refused", reason: "untrusted" });
  });

  it("finds a chain rewritten row by row: the links hold again but not the tree's leaves", async () => {
    const { client, stub } = setup();
    await appendMany(client, 5);
    await runInDurableObject(stub, (_instance, state) => {
      const { sql } = state.storage;
      const rows = sql.exec<AuditRow>("SELECT * FROM entries ORDER BY seq").toArray();
      let prev = "";
      for (const row of rows) {
        if (row.seq === 2) row.mentor_id = "mentor-999";
        if (row.seq >= 2) {
          row.prev_hash = prev;
          row.payload_hash = payloadHash(row);
          row.hash = linkHash(prev, row.payload_hash);
          sql.exec(
            "UPDATE entries SET mentor_id = ?, prev_hash = ?, payload_hash = ?, hash = ? WHERE seq = ?",
            row.mentor_id,
            row.prev_hash,
            row.payload_hash,
            row.hash,
            row.seq,
          );
        }
        prev = row.hash;
      }
    });
    const report = await fullyVerified(client, stub);
    expect(report).toMatchObject({ valid: false, full_audit: { first_bad_seq: 2 } });
    expect(report.full_audit.reason).toMatch(/^leaf_mismatch/);
  });

  it("answers a valid empty log, its empty tree signed", async () => {
    const { client } = setup();
    const report = await client.verify();
    expect(report).toMatchObject({
      valid: true,
      checkpoint_valid: true,
      tree_size: 0,
      full_audit: { status: "never" },
    });
    expect(report.root_hash).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});

describe("storage", () => {
  it("records its schema version and migrates only once", async () => {
    const { client, stub } = setup();
    await appendMany(client, 1);
    const versions = await runInDurableObject(stub, (_instance, state) => {
      migrate(state.storage);
      return state.storage.sql.exec<{ version: number }>("SELECT version FROM schema_meta").toArray();
    });
    expect(versions).toEqual([{ version: SCHEMA_VERSION }]);
    expect((await client.list(page())).total).toBe(1);
  });

  it("serves every list filter and lookup from an index, never a scan of the entries table", async () => {
    const { client, stub } = setup();
    await appendMany(client, 3);
    const filters: [Partial<AuditListQuery>, RegExp][] = [
      [{}, /USING (COVERING )?INDEX entries_live_idx/],
      [{ coordinator_id: "c" }, /SEARCH e USING (COVERING )?INDEX entries_coordinator_idx/],
      [{ actor_id: "a", order: "asc" }, /SEARCH e USING (COVERING )?INDEX entries_actor_idx/],
      [{ activity_id: "a" }, /SEARCH e USING (COVERING )?INDEX entries_activity_idx/],
      [{ attribution_id: "a" }, /SEARCH e USING (COVERING )?INDEX entries_attribution_idx/],
      [{ batch_id: "b" }, /SEARCH e USING (COVERING )?INDEX entries_batch_idx/],
      [{ member_id: "m" }, /SEARCH e USING (COVERING )?INDEX entries_member_idx/],
      [
        { actions: ["proxy_created", "proxy_updated"] },
        /SEARCH e USING (COVERING )?INDEX entries_action_idx/,
      ],
      [
        { from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z" },
        /SEARCH e USING (COVERING )?INDEX entries_timestamp_idx/,
      ],
      [{ mentor_id: "m" }, /SEARCH m USING PRIMARY KEY \(mentor_id=\?\)/],
    ];
    const lookups = [
      "SELECT seq, hash FROM entries WHERE seq = (SELECT max(seq) FROM entries)",
      "SELECT * FROM entries WHERE attribution_id = ? ORDER BY seq LIMIT ?",
      SELECT_BY_EVENT_ID,
      SELECT_CHUNK,
      SELECT_LATEST_ANNOTATION,
      SELECT_RANGE_CHUNK,
      SELECT_FIRST_RECORDED_FROM,
      SELECT_LAST_RECORDED_TO,
    ];
    const plans = await runInDurableObject(stub, (_instance, state) => {
      const explain = (sql: string, params: SqlStorageValue[]) =>
        state.storage.sql
          .exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...params)
          .toArray()
          .map((row) => row.detail)
          .join("\n");
      return {
        lists: filters.map(([filter]) => {
          const { page: pageQuery, count } = listStatements(page(filter));
          return [explain(pageQuery.sql, pageQuery.params), explain(count.sql, count.params)];
        }),
        lookups: lookups.map((sql) =>
          explain(
            sql,
            Array.from(sql.matchAll(/\?/g), () => 1),
          ),
        ),
      };
    });
    const tableScan = /SCAN (e|m|entries)(?! USING)/;
    filters.forEach(([, expected], i) => {
      for (const plan of plans.lists[i] ?? []) {
        expect(plan).toMatch(expected);
        expect(plan).not.toMatch(tableScan);
      }
    });
    for (const plan of plans.lookups) {
      expect(plan).toMatch(/^(SEARCH|SCAN) entries USING (INTEGER PRIMARY KEY|(COVERING )?INDEX)/);
      expect(plan).not.toMatch(tableScan);
    }
  });
});
