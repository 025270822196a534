import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AuditLog } from "../../src/audit/audit-log.do";
import { linkHash, payloadHash } from "../../src/audit/chain";
import { type AuditLogStub, auditLogOf } from "../../src/audit/client";
import { leafHash, MerkleFrontier } from "../../src/audit/merkle";
import { migrate } from "../../src/audit/migrations";
import {
  keyIdOf,
  type NoteKey,
  parseCheckpoint,
  parseVerifierKey,
  verifyCheckpoint,
} from "../../src/audit/signed-note";
import type { AuditRow, SignedCheckpoint } from "../../src/audit/types";
import { WITNESS_EXIT, type WitnessState, witness } from "../../src/audit/witness";
import type { Env } from "../../src/env";
import { call, newOrg } from "../helpers/api";
import { appended, entryFields, event } from "../helpers/audit";
import { signToken } from "../helpers/auth";
import { api, TEST_ORIGIN, workerFetch } from "../helpers/client";
import { testOrg } from "../helpers/org";
import { rfcHex, rfcLeaf, rfcRoot, rfcVerifyConsistency, rfcVerifyInclusion } from "../helpers/rfc9162";

/** The public key of the test configuration's AUDIT_SIGNING_KEY (vitest.config.ts). */
const TEST_PUBLIC_KEY = "LlOe5yKmgKxZV/lDcm9exQ1rsJvICYGTcSiJdBnnLbI=";
/** A second key, for the rotation: base64 PKCS#8 and its public key. */
const NEXT_SIGNING_KEY = "MC4CAQAwBQYDK2VwBCIEIDG5ZiNYl5mFKWrk2XnHPP8SLc8q+QVe88Ptyo0uoYxJ";

function setup(): { org: string; client: AuditLogStub; stub: DurableObjectStub<AuditLog> } {
  const org = newOrg("tlog");
  return {
    org,
    client: auditLogOf(env.AUDIT_LOG, org),
    stub: env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(org)),
  };
}

/** Appends `count` events in calls of at most 500; each call signs a checkpoint of its tree. */
async function appendMany(client: AuditLogStub, count: number, prefix: string, perCall = 500): Promise<void> {
  for (let start = 0; start < count; start += perCall) {
    const size = Math.min(perCall, count - start);
    appended(
      await client.append(Array.from({ length: size }, (_, i) => event(`${prefix}-${start + i + 1}`))),
    );
  }
}

const storedRows = (stub: DurableObjectStub<AuditLog>): Promise<AuditRow[]> =>
  runInDurableObject(stub, (_instance, state) =>
    state.storage.sql.exec<AuditRow>("SELECT * FROM entries ORDER BY seq").toArray(),
  );

/** The deployment's verifier keys, as a compliance officer fetches them once and keeps them. */
async function publishedKeys(bindings?: Env): Promise<NoteKey[]> {
  const res = await workerFetch(bindings)(new Request(`${TEST_ORIGIN}/.well-known/audit-log-keys`));
  const { keys } = (await res.json()) as { keys: { verifier_key: string }[] };
  return keys.map((key) => parseVerifierKey(key.verifier_key));
}

/** The witness of `org`'s log, talking to the Worker as a compliance officer. */
function witnessOf(org: string) {
  const token = signToken({ sub: "compliance-001", org, roles: ["compliance"] });
  const get = async (path: string) => {
    const res = await workerFetch()(
      new Request(`${TEST_ORIGIN}/api/v1/proxy-audit-logs${path}`, {
        headers: { Authorization: `Bearer ${await token}` },
      }),
    );
    return { status: res.status, body: (await res.json()) as unknown };
  };
  return async (keys: NoteKey[], seen: WitnessState | null) =>
    witness(get, keys, org, seen, new Date().toISOString());
}

/** Runs the object's alarm until it has no more work. */
async function drainAlarms(stub: DurableObjectStub<AuditLog>): Promise<void> {
  for (let run = 0; run < 10_000 && (await runDurableObjectAlarm(stub)); run += 1);
}

describe("the log's Merkle tree and its proofs, against RFC 9162 written again in the test", () => {
  it("proves every entry of a 1,000-entry log with audit paths RFC 9162's algorithm accepts", async () => {
    const { client, stub } = setup();
    await appendMany(client, 1000, "i", 333);
    const rows = await storedRows(stub);
    const leaves = rows.map((row) => rfcLeaf(row.payload_hash));
    const root = rfcHex(rfcRoot(leaves));
    const latest = await client.checkpoint();
    if (latest.status !== "ok") throw new Error(latest.status);
    expect(latest.checkpoint).toMatchObject({ tree_size: 1000, root_hash: root });

    let longest = 0;
    for (let seq = 1; seq <= 1000; seq += 1) {
      const proof = await client.proof(seq, null);
      if (proof.status !== "ok") throw new Error(`log-${seq}: ${proof.status}`);
      const leaf = leaves[seq - 1] ?? new Uint8Array();
      expect(proof.leaf_hash).toBe(rfcHex(leaf));
      expect(
        rfcVerifyInclusion(proof.leaf_index, proof.tree_size, leaf, proof.audit_path, root),
        `log-${seq}`,
      ).toBe(true);
      longest = Math.max(longest, proof.nodes_read);
    }
    // O(log n): the path of a 1,000-leaf tree is at most 10 hashes, read from at most ~20 nodes.
    expect(longest).toBeLessThanOrEqual(20);
    // A proof in an earlier signed tree (333 entries: not a power of two) holds against that root.
    const older = await client.proof(200, 333);
    if (older.status !== "ok") throw new Error(older.status);
    expect(older.root_hash).toBe(rfcHex(rfcRoot(leaves.slice(0, 333))));
    expect(
      rfcVerifyInclusion(199, 333, leaves[199] ?? new Uint8Array(), older.audit_path, older.root_hash),
    ).toBe(true);
    // A path does not prove another leaf.
    const wrong = await client.proof(5, null);
    if (wrong.status !== "ok") throw new Error(wrong.status);
    expect(rfcVerifyInclusion(4, 1000, leaves[5] ?? new Uint8Array(), wrong.audit_path, root)).toBe(false);
  });

  it("proves consistency between every pair of 30 signed sizes, powers of two or not", async () => {
    const { client, stub } = setup();
    for (let call = 1; call <= 30; call += 1) {
      appended(
        await client.append(Array.from({ length: (call % 7) + 1 }, (_, i) => event(`c-${call}-${i}`))),
      );
    }
    const leaves = (await storedRows(stub)).map((row) => rfcLeaf(row.payload_hash));
    const signed = (await client.checkpoints(0, 100)).map((c) => c.tree_size);
    expect(signed).toHaveLength(30);
    const rootOf = (size: number) => rfcHex(rfcRoot(leaves.slice(0, size)));
    let pairs = 0;
    for (const [i, from] of signed.entries()) {
      for (const to of signed.slice(i)) {
        const proof = await client.consistency(from, to);
        if (proof.status !== "ok") throw new Error(`${from}→${to}: ${proof.status}`);
        expect(rfcVerifyConsistency(from, to, rootOf(from), rootOf(to), proof.proof), `${from}→${to}`).toBe(
          true,
        );
        if (from !== to)
          expect(rfcVerifyConsistency(from, to, rootOf(from), rootOf(to - 1), proof.proof)).toBe(false);
        pairs += 1;
      }
    }
    expect(pairs).toBe((30 * 31) / 2);
    // And from the empty tree, which is signed when the log is created.
    expect(await client.consistency(0, signed.at(-1) ?? 0)).toMatchObject({ status: "ok", proof: [] });
  });

  it("signs C2SP checkpoints that the published key verifies, one per append call, with the log's origin", async () => {
    const { org, client } = setup();
    await appendMany(client, 3, "s", 1);
    const all = await client.checkpoints(0, 100);
    expect(all.map((c) => c.tree_size)).toEqual([1, 2, 3]);
    const keys = await publishedKeys();
    expect(keys[0]?.publicKey).toEqual(new Uint8Array(Buffer.from(TEST_PUBLIC_KEY, "base64")));
    for (const checkpoint of all) {
      const note = parseCheckpoint(checkpoint.checkpoint);
      expect(note?.origin).toBe(`mentor-activity-api/${org}`);
      expect(note?.treeSize).toBe(checkpoint.tree_size);
      expect(note && verifyCheckpoint(note, keys)).toEqual(keys[0]);
      expect(checkpoint.checkpoint).toMatch(
        /^mentor-activity-api\/\S+\n\d+\n[A-Za-z0-9+/]{43}=\n\n\u2014 mentor-activity-api [A-Za-z0-9+/]+=*\n$/,
      );
      expect(checkpoint.key_id).toBe(keys[0]?.keyId);
    }
    // A checkpoint changed by one character no longer verifies.
    const forged = (all[0]?.checkpoint ?? "").replace("\n1\n", "\n4\n");
    const note = parseCheckpoint(forged);
    expect(note && verifyCheckpoint(note, keys)).toBeNull();
  });
});

describe("a rewritten history", () => {
  /** The forger: rewrites entry 1's actor, then every payload hash, link and tree node to match. */
  async function launder(stub: DurableObjectStub<AuditLog>): Promise<void> {
    await runInDurableObject(stub, (_instance, state) => {
      const { sql } = state.storage;
      const rows = sql.exec<AuditRow>("SELECT * FROM entries ORDER BY seq").toArray();
      let prev = "0".repeat(64);
      const tree = new MerkleFrontier();
      sql.exec("DELETE FROM tree_nodes");
      for (const row of rows) {
        if (row.seq === 1) row.actor_id = "someone-else";
        row.payload_hash = payloadHash(row);
        row.prev_hash = prev;
        row.hash = linkHash(prev, row.payload_hash);
        prev = row.hash;
        sql.exec(
          "UPDATE entries SET actor_id = ?, payload_hash = ?, prev_hash = ?, hash = ? WHERE seq = ?",
          row.actor_id,
          row.payload_hash,
          row.prev_hash,
          row.hash,
          row.seq,
        );
        for (const node of tree.append(leafHash(row.payload_hash))) {
          sql.exec(
            "INSERT INTO tree_nodes (level, idx, hash) VALUES (?, ?, ?)",
            node.level,
            node.index,
            node.hash,
          );
        }
      }
    });
  }

  it("is refused: no append lands, nothing is signed, /verify says why and the witness fails", async () => {
    const { org, client, stub } = setup();
    await appendMany(client, 6, "w", 2);
    const keys = await publishedKeys();
    const check = witnessOf(org);
    const before = await check(keys, null);
    expect(before.code).toBe(WITNESS_EXIT.ok);
    const signedBefore = (await client.checkpoints(0, 100)).length;

    await launder(stub);
    expect(await client.append([event("after")])).toMatchObject({ status: "refused", reason: "untrusted" });
    expect(
      await client.annotate(2, { annotation: "x", reviewed_by: "admin-007" }, { actor_id: "admin-007" }),
    ).toMatchObject({
      status: "refused",
    });
    expect((await client.checkpoints(0, 100)).length).toBe(signedBefore);
    const report = await client.verify();
    expect(report).toMatchObject({ valid: false, checkpoint_valid: false, tree_size: 6 });
    expect(report.checkpoint_problem).toMatch(/^root_mismatch/);

    // Through the API: a proxy registration still commits, its audit event waits in the outbox.
    const system = await signToken({ sub: "svc", org, roles: ["system"] });
    const append = await call("POST", "/api/v1/proxy-audit-logs", {
      token: system,
      body: {
        action: "proxy_created",
        coordinator_id: "coord-119",
        mentor_id: "mentor-482",
        activity_id: "pa-x",
      },
    });
    expect(append.status).toBe(503);
    expect(((await append.json()) as { type: string }).type).toMatch(/\/audit_log_untrusted$/);

    const after = await check(keys, before.next);
    expect(after.code).toBe(WITNESS_EXIT.inconsistent);
    expect(after.message).toMatch(/^INCONSISTENT/);
  });

  it("with the checkpoints removed too, the object signs again, and the witness catches the fork", async () => {
    const { org, client, stub } = setup();
    await appendMany(client, 6, "f", 2);
    const keys = await publishedKeys();
    const check = witnessOf(org);
    const before = await check(keys, null);
    await launder(stub);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("DELETE FROM checkpoints");
    });
    appended(await client.append([event("on-top")]));
    const after = await check(keys, before.next);
    expect(after.code).toBe(WITNESS_EXIT.inconsistent);
    expect(after.message).toMatch(/^INCONSISTENT: no consistency proof from size 6/);
  });

  it("is found by the full re-hash when only an entry's payload was edited", async () => {
    const { client, stub } = setup();
    await appendMany(client, 12, "p", 4);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE entries SET mentor_id = 'mentor-999' WHERE seq = 7");
    });
    expect(await client.verify()).toMatchObject({ valid: true, checkpoint_valid: true });
    await client.startVerify();
    await drainAlarms(stub);
    const report = await client.verify();
    expect(report).toMatchObject({ valid: false, full_audit: { status: "done", first_bad_seq: 7 } });
    expect(report.full_audit.reason).toMatch(/^payload_hash_mismatch/);
  });

  it("carries no checkpoint in an export taken while the tree is inconsistent", async () => {
    const { org, client, stub } = setup();
    await appendMany(client, 4, "e", 2);
    await launder(stub);
    const span = await client.exportRange({});
    expect(span).toMatchObject({ verifiable: false, checkpoint: null, last_seq: 4 });
    expect(span.unverifiable_reason).toMatch(/no longer gives the root/);
    const admin = await signToken({ sub: "admin-007", org, roles: ["admin"] });
    const res = await call("GET", "/api/v1/proxy-audit-logs/export", { token: admin });
    const trailer = (await res.text()).trimEnd().split("\n").at(-1) ?? "";
    expect(JSON.parse(trailer)).toMatchObject({ export_trailer: { verifiable: false, checkpoint: null } });
  });
});

describe("a rollback", () => {
  it("(storage restored to an earlier state) is caught by the witness: the tree is smaller", async () => {
    const { org, client, stub } = setup();
    await appendMany(client, 5, "r", 5);
    // A copy of the whole storage at size 5, as a backup would hold it.
    const backup = await runInDurableObject(stub, (_instance, state) => {
      const { sql } = state.storage;
      const all = (table: string) => sql.exec(`SELECT * FROM ${table}`).toArray();
      return {
        entries: all("entries"),
        nodes: all("tree_nodes"),
        checkpoints: all("checkpoints"),
        mentors: all("entry_mentors"),
      };
    });
    appended(await client.append([event("r-6"), event("r-7")]));
    const keys = await publishedKeys();
    const check = witnessOf(org);
    const seen = await check(keys, null);
    expect(seen.next?.tree_size).toBe(7);

    await runInDurableObject(stub, (_instance, state) => {
      const { sql } = state.storage;
      for (const [table, rows] of Object.entries({
        entries: backup.entries,
        tree_nodes: backup.nodes,
        checkpoints: backup.checkpoints,
        entry_mentors: backup.mentors,
      })) {
        sql.exec(`DELETE FROM ${table}`);
        for (const row of rows) {
          const columns = Object.keys(row);
          sql.exec(
            `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
            ...columns.map((c) => row[c] ?? null),
          );
        }
      }
    });
    // The restored log is consistent in itself: only a witness that kept a later checkpoint can tell.
    expect(await client.verify()).toMatchObject({ valid: true, tree_size: 5 });
    const after = await check(keys, seen.next);
    expect(after.code).toBe(WITNESS_EXIT.rollback);
    expect(after.message).toMatch(/^ROLLBACK: .* now signs size 5, smaller than the 7/);
  });

  it("(storage emptied, the log gone) is caught by a witness that saw it signed, and is no news to one that did not", async () => {
    const { org, client, stub } = setup();
    await appendMany(client, 3, "w", 3);
    const keys = await publishedKeys();
    const check = witnessOf(org);
    const seen = await check(keys, null);
    expect(seen.next?.tree_size).toBe(3);

    await runInDurableObject(stub, (_instance, state) => {
      for (const table of ["entry_mentors", "entries", "tree_nodes", "checkpoints"]) {
        state.storage.sql.exec(`DELETE FROM ${table}`);
      }
    });
    const after = await check(keys, seen.next);
    expect(after).toMatchObject({ code: WITNESS_EXIT.rollback, next: null });
    expect(after.message).toMatch(
      /^ROLLBACK: the service has no signed checkpoint, and .* was witnessed at size 3/,
    );
    // A witness starting on the empty log has nothing to compare with.
    expect(await check(keys, null)).toMatchObject({ code: WITNESS_EXIT.ok, next: null });
  });

  it("and a witness that sees the log grow consistently says OK and keeps the new checkpoint", async () => {
    const { org, client } = setup();
    const keys = await publishedKeys();
    const check = witnessOf(org);
    await appendMany(client, 3, "g", 3);
    const first = await check(keys, null);
    await appendMany(client, 9, "h", 4);
    const second = await check(keys, first.next);
    expect(second).toMatchObject({ code: WITNESS_EXIT.ok, next: { tree_size: 12 } });
    expect(second.message).toMatch(/^OK: .* grew from 3 to 12/);
    // A key the log does not use: every checkpoint is a bad signature.
    const stranger = { ...(keys[0] as NoteKey), keyId: "00000000" };
    expect((await check([stranger], second.next)).code).toBe(WITNESS_EXIT.badSignature);
  });
});

describe("key rotation", () => {
  it("keeps checkpoints signed before it verifiable with the retired key, which stays listed", async () => {
    const { client, stub } = setup();
    await appendMany(client, 3, "k", 3);
    const before = await client.checkpoint();
    if (before.status !== "ok") throw new Error(before.status);

    // The deployment rotates: a new signing key, the old public key listed as retired.
    const retired = JSON.stringify([
      {
        public_key: TEST_PUBLIC_KEY,
        not_before: "2026-01-01T00:00:00Z",
        not_after: new Date().toISOString(),
      },
    ]);
    const rotated = { AUDIT_SIGNING_KEY: NEXT_SIGNING_KEY, AUDIT_PUBLIC_KEYS: retired };
    await runInDurableObject(stub, (instance) => {
      const object = instance as unknown as { env: Record<string, unknown> };
      object.env = { ...object.env, ...rotated };
    });
    appended(await client.append([event("k-after")]));
    const after = await client.checkpoint();
    if (after.status !== "ok") throw new Error(after.status);
    expect(after.checkpoint.key_id).not.toBe(before.checkpoint.key_id);

    const keys = await publishedKeys({ ...env, ...rotated });
    expect(keys.map((k) => k.keyId)).toEqual([after.checkpoint.key_id, before.checkpoint.key_id]);
    const res = await workerFetch({ ...env, ...rotated })(
      new Request(`${TEST_ORIGIN}/.well-known/audit-log-keys`),
    );
    expect(
      ((await res.json()) as { keys: { not_after: string | null }[] }).keys.map((k) => k.not_after !== null),
    ).toEqual([false, true]);
    for (const checkpoint of [before.checkpoint, after.checkpoint] as SignedCheckpoint[]) {
      const note = parseCheckpoint(checkpoint.checkpoint);
      expect(note && verifyCheckpoint(note, keys)?.keyId).toBe(checkpoint.key_id);
    }
    // The new tree extends the one signed with the old key.
    const proof = await client.consistency(3, 4);
    expect(proof.status).toBe("ok");
  });

  it("publishes each key's ID as the C2SP key hash of its name and public key, without authentication", async () => {
    const res = await call("GET", "/.well-known/audit-log-keys");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toMatch(/^public/);
    const { keys } = (await res.json()) as {
      keys: { key_id: string; name: string; public_key: string; algorithm: string }[];
    };
    const [key] = keys;
    if (!key) throw new Error("no key listed");
    expect(key).toMatchObject({
      name: "mentor-activity-api",
      algorithm: "Ed25519",
      public_key: TEST_PUBLIC_KEY,
    });
    expect(key.key_id).toBe(keyIdOf(key.name, new Uint8Array(Buffer.from(key.public_key, "base64"))));
  });

  it("reads back a verifier key whose base64 holds `+`, and refuses a malformed or mismatched one", () => {
    // 0x01 then 32 bytes of 0xfb encode as "Afv7+/v7+/…": the key part holds `+` and `/`.
    const publicKey = new Uint8Array(32).fill(0xfb);
    const keyId = keyIdOf("mentor-activity-api", publicKey);
    const text = `mentor-activity-api+${keyId}+${Buffer.from([1, ...publicKey]).toString("base64")}`;
    expect(text.split("+").length).toBeGreaterThan(3);
    expect(parseVerifierKey(text)).toEqual({ name: "mentor-activity-api", keyId, publicKey });
    expect(() => parseVerifierKey(text.replace(keyId, "00000000"))).toThrow(/ID does not match/);
    expect(() => parseVerifierKey(`mentor-activity-api+${keyId}`)).toThrow(/reads <name>/);
    expect(() => parseVerifierKey(`mentor-activity-api+${keyId}+AAAA`)).toThrow(/not an Ed25519 key/);
  });
});

describe("a log that predates its tree", () => {
  it("builds the tree in chunks by alarm, accepting appends unsigned meanwhile, then signs and proves", async () => {
    const o = await testOrg("legacy");
    const client = auditLogOf(env.AUDIT_LOG, o.org);
    const stub = env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(o.org));
    await client.verify();
    // The schema of a log written before the tree existed, with 4,500 entries in it.
    await runInDurableObject(stub, async (_instance, state) => {
      const { sql } = state.storage;
      for (const table of [
        "entries",
        "entry_mentors",
        "tree_nodes",
        "checkpoints",
        "log_state",
        "idempotency_keys",
        "followers",
        "schema_meta",
      ]) {
        sql.exec(`DROP TABLE IF EXISTS ${table}`);
      }
      state.storage.transactionSync(() => {
        sql.exec(
          "CREATE TABLE schema_meta (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
        );
      });
      migrateTo(state.storage, 2);
      const writer = new LogWriterV2(sql);
      for (let i = 1; i <= 4500; i += 1) writer.add(i);
      migrate(state.storage);
      await state.storage.setAlarm(Date.now());
    });
    const building = await client.verify();
    expect(building).toMatchObject({ building: { tree_size: 0, log_length: 4500 }, checkpoint_valid: false });
    expect(await client.proof(1, null)).toMatchObject({ status: "building" });
    // Over HTTP: proofs wait for the tree, with a hint of when to come back; the log still lists.
    const waiting = await api(o.compliance).GET("/api/v1/proxy-audit-logs/{id}/proof", {
      params: { path: { id: "log-001" }, query: {} },
    });
    expect(waiting.response.status).toBe(503);
    expect(waiting.response.headers.get("retry-after")).toBe("30");
    expect(waiting.error?.detail).toMatch(/tree/i);
    const consistency = await api(o.compliance).GET("/api/v1/proxy-audit-logs/consistency", {
      params: { query: { from: 0 } },
    });
    expect(consistency.response.status).toBe(503);
    expect((await api(o.compliance).GET("/api/v1/proxy-audit-logs")).data?.pagination.total).toBe(4500);
    appended(await client.append([event("during-build")]));

    let runs = 0;
    while (await runDurableObjectAlarm(stub)) runs += 1;
    expect(runs).toBeGreaterThanOrEqual(2);
    const built = await client.verify();
    expect(built).toMatchObject({ valid: true, checkpoint_valid: true, building: null, tree_size: 4501 });
    const leaves = (await storedRows(stub)).map((row) => rfcLeaf(row.payload_hash));
    expect(built.root_hash).toBe(rfcHex(rfcRoot(leaves)));
    const proof = await client.proof(4501, null);
    if (proof.status !== "ok") throw new Error(proof.status);
    expect(
      rfcVerifyInclusion(4500, 4501, leaves[4500] ?? new Uint8Array(), proof.audit_path, proof.root_hash),
    ).toBe(true);
  });
});

describe("the full re-hash", () => {
  it("runs in chunks while appends keep landing, and checks the size it started from", async () => {
    const { client, stub } = setup();
    await appendMany(client, 20_000, "big");
    const started = await client.startVerify();
    expect(started).toMatchObject({ status: "running", tree_size: 20_000, checked_through: 0 });
    // A second start while it runs answers the running one.
    expect(await client.startVerify()).toMatchObject({ status: "running", started_at: started.started_at });
    let appendsDuring = 0;
    while (await runDurableObjectAlarm(stub)) {
      const [result] = appended(await client.append([event(`during-${appendsDuring}`)]));
      expect(result?.status).toBe("created");
      appendsDuring += 1;
    }
    expect(appendsDuring).toBeGreaterThanOrEqual(19);
    const report = await client.verify();
    expect(report).toMatchObject({
      valid: true,
      tree_size: 20_000 + appendsDuring,
      full_audit: {
        status: "done",
        tree_size: 20_000,
        checked_through: 20_000,
        first_bad_seq: null,
        reason: null,
      },
    });
    // 20,000 appends and 80 alarm runs: more than the default 5 s on a busy machine.
  }, 60_000);
});

/** Applies the object's schema steps up to `version`, as an older deployment left them. */
function migrateTo(storage: DurableObjectStorage, version: number): void {
  const { sql } = storage;
  const steps: Record<number, string[]> = {
    1: [
      `CREATE TABLE entries (seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE,
        redacted INTEGER NOT NULL DEFAULT 0 CHECK (redacted IN (0, 1)), action TEXT, actor_id TEXT, actor_name TEXT,
        coordinator_id TEXT, mentor_id TEXT, mentor_name TEXT, activity_id TEXT, attribution_id TEXT, batch_id TEXT,
        mentor_ids TEXT, activity_type_id TEXT, activity_date TEXT, mentor_count INTEGER, skipped_count INTEGER,
        changes TEXT, ip_address TEXT, user_agent TEXT, target_seq INTEGER, annotation TEXT, reviewed_by TEXT,
        timestamp TEXT, recorded_at TEXT, payload_hash TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`,
      "CREATE TABLE chain_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL, checkpoint TEXT NOT NULL)",
      "CREATE TABLE entry_mentors (mentor_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (mentor_id, seq)) WITHOUT ROWID",
      "CREATE INDEX entries_live_idx ON entries (seq) WHERE redacted = 0",
      "CREATE INDEX entries_action_idx ON entries (action, seq) WHERE redacted = 0",
      "CREATE INDEX entries_actor_idx ON entries (actor_id, seq) WHERE redacted = 0",
      "CREATE INDEX entries_coordinator_idx ON entries (coordinator_id, seq) WHERE redacted = 0",
      "CREATE INDEX entries_activity_idx ON entries (activity_id, seq) WHERE redacted = 0",
      "CREATE INDEX entries_attribution_idx ON entries (attribution_id, seq) WHERE redacted = 0",
      "CREATE INDEX entries_batch_idx ON entries (batch_id, seq) WHERE redacted = 0",
      "CREATE INDEX entries_timestamp_idx ON entries (timestamp, seq) WHERE redacted = 0",
      "CREATE INDEX entries_target_idx ON entries (target_seq, seq) WHERE redacted = 0",
    ],
    2: ["CREATE INDEX entries_recorded_idx ON entries (recorded_at, seq) WHERE redacted = 0"],
  };
  for (let step = 1; step <= version; step += 1) {
    storage.transactionSync(() => {
      for (const statement of steps[step] ?? []) sql.exec(statement);
      sql.exec(
        "INSERT INTO schema_meta (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        step,
      );
    });
  }
}

/** Writes entries as the log did before its tree: payload hash and chain link, no leaves. */
class LogWriterV2 {
  private prev = "0".repeat(64);
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  add(seq: number): void {
    // The schema of that time had no member_id, statement_id or statement_hash column.
    const {
      member_id: _member,
      statement_id: _statement,
      statement_hash: _statementHash,
      ...current
    } = entryFields({
      event_id: `old-${seq}`,
      mentor_id: "mentor-482",
      activity_id: `pa-old-${seq}`,
      timestamp: "2026-01-01T00:00:00Z",
      recorded_at: "2026-01-01T00:00:00Z",
    });
    const fields = { seq, redacted: 0, ...current, payload_hash: "", prev_hash: this.prev, hash: "" };
    const payload_hash = payloadHash({
      ...fields,
      member_id: null,
      statement_id: null,
      statement_hash: null,
    });
    const row = { ...fields, payload_hash, hash: linkHash(this.prev, payload_hash) };
    const columns = Object.keys(row) as (keyof typeof row)[];
    this.sql.exec(
      `INSERT INTO entries (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
      ...columns.map((c) => row[c]),
    );
    this.prev = row.hash;
  }
}
