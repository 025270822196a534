import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AuditLog } from "../../src/audit/audit-log.do";
import {
  type AsyncFollower,
  readState,
  runFollowers,
  type SyncFollower,
  scheduleFollowers,
} from "../../src/audit/followers";
import { AUDIT_CHUNK_ROWS } from "../../src/audit/full-audit";
import { migrate } from "../../src/audit/migrations";
import { newOrg } from "../helpers/api";
import { appended, event } from "../helpers/audit";

type Stub = DurableObjectStub<AuditLog>;

const stubOf = (org: string): Stub => env.AUDIT_LOG.get(env.AUDIT_LOG.idFromName(org));

/** A fresh organisation's audit object, migrated by its first call. */
async function freshLog(): Promise<Stub> {
  const stub = stubOf(newOrg("followers"));
  await stub.verify();
  return stub;
}

async function appendMany(stub: Stub, count: number, prefix: string): Promise<void> {
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    appended(await stub.append(Array.from({ length: size }, (_, i) => event(`${prefix}-${start + i + 1}`))));
  }
}

/** A follower that counts its steps up to `steps`, due at once until then. */
function counter(name: string, steps: number): SyncFollower<{ count: number }> {
  return {
    kind: "sync",
    name,
    initial: { count: 0 },
    due: (_sql, state, now) => (state.count < steps ? now : null),
    step: (_sql, state) => ({ count: state.count + 1 }),
  };
}

describe("followers", () => {
  it("keep their progress apart: a step of one leaves the other's state as it was", async () => {
    const stub = await freshLog();
    const states = await runInDurableObject(stub, async (_instance, state) => {
      const { sql } = state.storage;
      const first = counter("first", 3);
      const second = counter("second", 2);
      const seen: [number, number][] = [];
      let next = await runFollowers(state.storage, [first, second]);
      seen.push([readState(sql, first).count, readState(sql, second).count]);
      while (next !== null) {
        next = await runFollowers(state.storage, [first, second]);
        seen.push([readState(sql, first).count, readState(sql, second).count]);
      }
      return seen;
    });
    // The first is listed first, so it wins every tie; the second runs once the first is idle.
    expect(states).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [3, 1],
      [3, 2],
    ]);
  });

  it("does not run a follower before the time it is due, and sets the alarm for that time", async () => {
    const stub = await freshLog();
    // An hour ahead of the runtime's clock, so the alarm set for it is not a time already past.
    const start = Date.now() + 3_600_000;
    const later: SyncFollower<{ ran: number }> = {
      kind: "sync",
      name: "later",
      initial: { ran: 0 },
      due: (_sql, state) => (state.ran === 0 ? start + 60_000 : null),
      step: (_sql, state) => ({ ran: state.ran + 1 }),
    };
    const result = await runInDurableObject(stub, async (_instance, state) => {
      const early = await runFollowers(state.storage, [later], () => start + 59_999);
      const before = readState(state.storage.sql, later).ran;
      await scheduleFollowers(state.storage, [later], () => start);
      const alarm = await state.storage.getAlarm();
      await state.storage.deleteAlarm();
      const onTime = await runFollowers(state.storage, [later], () => start + 60_000);
      return { early, before, alarm, onTime, after: readState(state.storage.sql, later).ran };
    });
    expect(result).toEqual({
      early: start + 60_000,
      before: 0,
      alarm: start + 60_000,
      onTime: null,
      after: 1,
    });
  });

  it("serve an append, and answer it, between two chunks of a long re-hash", async () => {
    const stub = await freshLog();
    await appendMany(stub, AUDIT_CHUNK_ROWS * 3, "long");
    expect(await stub.startVerify()).toMatchObject({ status: "running", checked_through: 0 });
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const [result] = appended(await stub.append([event("between-chunks")]));
    expect(result).toMatchObject({ status: "created", entry: { seq: AUDIT_CHUNK_ROWS * 3 + 1 } });
    // The re-hash kept its place and goes on against the size it started from.
    expect((await stub.verify()).full_audit).toMatchObject({
      status: "running",
      checked_through: AUDIT_CHUNK_ROWS,
    });
    while (await runDurableObjectAlarm(stub));
    expect(await stub.verify()).toMatchObject({
      valid: true,
      tree_size: AUDIT_CHUNK_ROWS * 3 + 1,
      full_audit: { status: "done", tree_size: AUDIT_CHUNK_ROWS * 3, checked_through: AUDIT_CHUNK_ROWS * 3 },
    });
  });

  it("carry on a re-hash that was under way when its progress was kept in log_state", async () => {
    const stub = await freshLog();
    await appendMany(stub, AUDIT_CHUNK_ROWS * 2, "kept");
    const started = await stub.startVerify();
    await runDurableObjectAlarm(stub);
    // The object as the previous schema left it: the re-hash's progress in log_state.full_audit.
    await runInDurableObject(stub, (_instance, state) => {
      const { sql } = state.storage;
      state.storage.transactionSync(() => {
        const progress = sql
          .exec<{ state: string }>("SELECT state FROM followers WHERE name = 'full-audit'")
          .one().state;
        sql.exec("DROP TABLE followers");
        sql.exec("CREATE TABLE log_state (id INTEGER PRIMARY KEY CHECK (id = 1), full_audit TEXT)");
        sql.exec("INSERT INTO log_state (id, full_audit) VALUES (1, ?)", progress);
        // And without what later steps added, so that migrating again reaches them from version 4.
        sql.exec("ALTER TABLE entries DROP COLUMN statement_id");
        sql.exec("ALTER TABLE entries DROP COLUMN statement_hash");
        sql.exec("UPDATE schema_meta SET version = 4");
      });
      migrate(state.storage);
    });
    expect((await stub.verify()).full_audit).toMatchObject({
      status: "running",
      started_at: started.started_at,
      checked_through: AUDIT_CHUNK_ROWS,
    });
    while (await runDurableObjectAlarm(stub));
    expect((await stub.verify()).full_audit).toMatchObject({
      status: "done",
      started_at: started.started_at,
      checked_through: AUDIT_CHUNK_ROWS * 2,
      reason: null,
    });
  });

  it("run an asynchronous step's I/O outside any transaction: appends are answered while it waits", async () => {
    const stub = await freshLog();
    type Seen = { planned_at_length: number; answer: string; settled_at_length: number } | null;
    const lengthOf = (sql: SqlStorage) =>
      sql.exec<{ n: number }>("SELECT count(*) AS n FROM entries").one().n;
    const saved = await runInDurableObject(stub, async (_instance, state) => {
      let release!: (answer: string) => void;
      const answered = new Promise<string>((resolve) => {
        release = resolve;
      });
      let waiting = false;
      const asking: AsyncFollower<Seen, number, string> = {
        kind: "async",
        name: "asking",
        initial: null,
        due: (_sql, seen, now) => (seen === null ? now : null),
        plan: (sql) => lengthOf(sql),
        run: async () => {
          waiting = true;
          return await answered;
        },
        settle: (sql, _seen, planned, outcome) => ({
          planned_at_length: planned,
          answer: outcome.ok ? outcome.value : "failed",
          settled_at_length: lengthOf(sql),
        }),
      };
      const step = runFollowers(state.storage, [asking]);
      // Another call to the object, delivered while the step waits for its answer.
      const self: Stub = env.AUDIT_LOG.get(state.id);
      const [result] = appended(await self.append([event("while-waiting")]));
      const during = { waiting, result, seen: readState(state.storage.sql, asking) };
      release("cosigned");
      await step;
      return { during, after: readState(state.storage.sql, asking) };
    });
    expect(saved.during).toMatchObject({
      waiting: true,
      result: { status: "created", entry: { seq: 1 } },
      seen: null,
    });
    expect(saved.after).toEqual({ planned_at_length: 0, answer: "cosigned", settled_at_length: 1 });
  });

  it("settle an asynchronous step whose I/O threw, so the follower decides when to try again", async () => {
    const stub = await freshLog();
    const failing: AsyncFollower<{ failures: number; retry_at: number | null }, null, never> = {
      kind: "async",
      name: "failing",
      initial: { failures: 0, retry_at: null },
      due: (_sql, state, now) => (state.failures === 0 ? now : state.retry_at),
      plan: () => null,
      run: async () => {
        throw new Error("the witness did not answer");
      },
      settle: (_sql, state, _plan, outcome, now) => ({
        failures: state.failures + (outcome.ok ? 0 : 1),
        retry_at: now + 30_000,
      }),
    };
    const now = Date.UTC(2026, 2, 24, 14, 0, 0);
    const result = await runInDurableObject(stub, async (_instance, state) => {
      const next = await runFollowers(state.storage, [failing], () => now);
      return { next, saved: readState(state.storage.sql, failing) };
    });
    expect(result).toEqual({ next: now + 30_000, saved: { failures: 1, retry_at: now + 30_000 } });
  });
});
