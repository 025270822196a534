import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { answerAttribution } from "../../src/db/queries/attribution-answers";
import { correctAttribution } from "../../src/db/queries/attribution-corrections";
import { createAttribution, deleteAttribution } from "../../src/db/queries/attribution-writes";
import { getAttribution } from "../../src/db/queries/attributions";
import { confirmBatch, createBatch } from "../../src/db/queries/batches";
import { type ActorContext, clearOutbox, pendingOutbox } from "../../src/db/queries/outbox";
import { runWrite } from "../../src/db/queries/write-batch";
import { newOrg } from "../helpers/api";
import { placeOrg } from "../helpers/databases";
import { queryPlan, type RecordedStatement, recordingD1 } from "../helpers/instrumented-d1";
import { addMember } from "../helpers/members";

/** Tables (and the aliases the queries give them) that must never be read by a full scan. */
const GUARDED = new Set([
  "attributions",
  "activities",
  "members",
  "batches",
  "id_counters",
  "a",
  "d",
  "w",
  "m",
  "mm",
  "cm",
  "b",
]);

function fullScans(plan: string[]): string[] {
  return plan.filter((line) => {
    const scanned = /^SCAN (\w+)/.exec(line)?.[1];
    return scanned !== undefined && GUARDED.has(scanned) && !/USING (COVERING )?INDEX/.test(line);
  });
}

/** Reads that walk a whole organisation's rows (only `org_id` bound), or a whole table in index order. */
function wideReads(plan: string[]): string[] {
  return plan.filter((line) => {
    const read = /^(?:SEARCH|SCAN) (\w+)/.exec(line)?.[1];
    if (read === undefined || !(GUARDED.has(read) || read === "audit_outbox")) return false;
    return /\(org_id=\?\)$/.test(line) || /^SCAN \w+ USING (COVERING )?INDEX/.test(line);
  });
}

const actor: ActorContext = {
  actor_id: "coord-1",
  actor_name: "Coord One",
  ip_address: null,
  user_agent: null,
};

async function recordAll(
  run: (db: ReturnType<typeof createDb>) => Promise<unknown>,
): Promise<RecordedStatement[]> {
  const log: RecordedStatement[] = [];
  await run(createDb(recordingD1(env.DB_1, log)));
  return log;
}

describe("attribution writes use indexes", () => {
  it("detects a full scan, so the checks below can fail", async () => {
    const plan = await queryPlan(env.DB_1, {
      sql: "select * from attributions where notes = ?",
      params: ["x"],
    });
    expect(fullScans(plan)).toHaveLength(1);
  });

  it("never scans a whole table in any statement a registration, correction, confirmation, dispute, delete or bulk confirmation sends", async () => {
    const org = newOrg();
    // On the database the statements are recorded and explained on.
    await placeOrg(org, "DB_1");
    await addMember(org, "coord-1", ["coordinator"]);
    for (const id of ["m-1", "m-2", "m-3"]) await addMember(org, id, ["mentor"]);
    const fields = {
      orgId: org,
      coordinatorId: "coord-1",
      checkCoordinator: true,
      activityTypeId: "workshop",
      activityDate: "2026-03-26T09:00:00Z",
      durationMinutes: 60,
      location: null,
      notes: null,
      now: "2026-03-26T10:00:00Z",
      actor,
    };
    let attributionId = "";
    let lastEventId = "";
    let batchId = "";
    const statements = await recordAll(async (db) => {
      const created = await runWrite(
        db,
        createAttribution({ ...fields, mentorId: "m-1", eventId: crypto.randomUUID() }),
      );
      if (!created.ok) throw new Error("setup: create failed");
      ({ attributionId, lastEventId } = created.value.value.row);
      await runWrite(db, createAttribution({ ...fields, mentorId: "m-1", eventId: crypto.randomUUID() }));
      await getAttribution(db, org, attributionId);
      await runWrite(
        db,
        correctAttribution({
          orgId: org,
          attributionId,
          onlyCoordinator: "coord-1",
          seenEventId: lastEventId,
          patch: { mentor_id: "m-2", notes: "changed" },
          eventId: crypto.randomUUID(),
          now: "2026-03-26T11:00:00Z",
          actor,
        }),
      );
      const answer = {
        orgId: org,
        attributionId,
        mentorId: "m-2",
        now: "2026-03-26T12:00:00Z",
        actor: { ...actor, actor_id: "m-2" },
      };
      await runWrite(
        db,
        answerAttribution({
          ...answer,
          answer: { status: "disputed", reason: "Not me" },
          eventId: crypto.randomUUID(),
        }),
      );
      const confirmed = await runWrite(
        db,
        answerAttribution({
          ...answer,
          answer: { status: "confirmed", reason: null },
          eventId: crypto.randomUUID(),
        }),
      );
      if (!confirmed.ok) throw new Error("setup: confirmation failed");
      await runWrite(
        db,
        answerAttribution({
          ...answer,
          answer: { status: "confirmed", reason: null },
          seenEventId: confirmed.value.value.row.lastEventId,
          eventId: crypto.randomUUID(),
        }),
      );
      const batch = await runWrite(
        db,
        createBatch({
          ...fields,
          activityTypeId: "one-on-one",
          mentorIds: ["m-1", "m-3", "nobody"],
          submissionEventId: crypto.randomUUID(),
          confirmEventId: null,
        }),
      );
      if (!batch.ok) throw new Error("setup: batch failed");
      batchId = batch.value.value.batch.batchId;
      await runWrite(
        db,
        confirmBatch({
          orgId: org,
          batchId,
          onlyCoordinator: "coord-1",
          eventId: crypto.randomUUID(),
          now: fields.now,
          actor,
        }),
      );
      await runWrite(
        db,
        createBatch({
          ...fields,
          activityTypeId: "check_in",
          mentorIds: ["m-2"],
          submissionEventId: crypto.randomUUID(),
          confirmEventId: crypto.randomUUID(),
        }),
      );
      await runWrite(
        db,
        deleteAttribution({
          orgId: org,
          attributionId,
          onlyCoordinator: "coord-1",
          eventId: crypto.randomUUID(),
          now: fields.now,
          actor,
        }),
      );
      const pending = await pendingOutbox(db, 500, 100);
      await clearOutbox(
        db,
        pending.map((p) => p.eventId),
      );
    });
    expect(statements.length).toBeGreaterThan(20);
    for (const statement of statements) {
      const plan = await queryPlan(env.DB_1, statement);
      expect(fullScans(plan), statement.sql).toEqual([]);
      // The drain reads the undelivered outbox rows whole, by organisation in index order, by design
      // (leaving out organisations that are moving); every other write reads by key.
      const isDrain = /row_number\(\) over \(partition by org_id/.test(statement.sql);
      if (!isDrain) expect(wideReads(plan), statement.sql).toEqual([]);
    }
  });
});
