import { env } from "cloudflare:workers";
import type { SQL } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDb, type Db } from "../../src/db/client";
import { createActivityLog } from "../../src/db/queries/activity-writes";
import { answerAttribution } from "../../src/db/queries/attribution-answers";
import { createAttribution } from "../../src/db/queries/attribution-writes";
import { confirmBatch, createBatch } from "../../src/db/queries/batches";
import {
  BatchAnswer,
  claimIdempotencyKey,
  deleteExpiredIdempotencyKeys,
  releaseIdempotencyKey,
  storeIdempotentResponse,
} from "../../src/db/queries/idempotency";
import type { ActorContext } from "../../src/db/queries/outbox";
import {
  activityLog,
  attributionRepresentation,
  batchRepresentation,
} from "../../src/db/queries/representations";
import { type PreparedWrite, runWrite, type Steps } from "../../src/db/queries/write-batch";
import { newOrg } from "../helpers/api";
import { placeOrg } from "../helpers/databases";
import { queryPlan, type RecordedStatement, recordingD1 } from "../helpers/instrumented-d1";
import { addMember } from "../helpers/members";

/**
 * The statements an Idempotency-Key adds to a request: the claim, the lease check and the answer
 * each creating write carries in its batch, and what the middleware records or frees after. Each
 * must find its rows by key: they run on every keyed request.
 */

/** Tables (and the aliases the answers give them) that must never be read by a full scan. */
const GUARDED = new Set([
  "idempotency_keys",
  "attributions",
  "activities",
  "members",
  "batches",
  "audit_outbox",
  "a",
  "b",
  "ca",
]);

function fullScans(plan: string[]): string[] {
  return plan.filter((line) => {
    const scanned = /^SCAN (\w+)/.exec(line)?.[1];
    return scanned !== undefined && GUARDED.has(scanned) && !/USING (COVERING )?INDEX/.test(line);
  });
}

const actor: ActorContext = {
  actor_id: "coord-1",
  actor_name: "Coord One",
  ip_address: null,
  user_agent: null,
};
const NOW = "2026-03-26T10:00:00Z";

/** A key claimed for this org. */
async function leaseFor(db: Db, org: string, key: string) {
  const claim = await claimIdempotencyKey(
    db,
    { orgId: org, callerId: "coord-1", key },
    { fingerprint: "f", now: NOW, lockedUntil: "2026-03-26T10:00:10Z", expiresAt: "2026-03-27T10:00:00Z" },
  );
  if (!claim.claimed) throw new Error("setup: the key was held");
  return claim.lease;
}

/** Runs a write with the answer its batch stores for a key claimed for it; answers its outcome. */
async function keyed<S extends Steps, V, R extends string, C, X>(
  db: Db,
  org: string,
  key: string,
  write: PreparedWrite<S, V, R, C, X>,
  body: (row: X) => SQL,
  status = 201,
) {
  return runWrite(db, write, [new BatchAnswer(await leaseFor(db, org, key), { status, body })]);
}

describe("the statements of an Idempotency-Key use indexes", () => {
  it("detects a full scan, so the checks below can fail", async () => {
    const plan = await queryPlan(env.DB_1, {
      sql: "select * from idempotency_keys where fingerprint = ?",
      params: ["f"],
    });
    expect(fullScans(plan)).toHaveLength(1);
  });

  it("never scans a whole table in the claim, the lease check, any creating write's answer, or the bookkeeping after", async () => {
    const org = newOrg();
    // The plans are read on DB_1, so the organisation's rows go there.
    await placeOrg(org, "DB_1");
    await addMember(org, "coord-1", ["coordinator"]);
    for (const id of ["m-1", "m-2"]) await addMember(org, id, ["mentor"]);
    const fields = {
      orgId: org,
      coordinatorId: "coord-1",
      checkCoordinator: true,
      activityTypeId: "workshop",
      activityDate: "2026-03-26T09:00:00Z",
      durationMinutes: 60,
      location: null,
      notes: null,
      now: NOW,
      actor,
    };
    const log: RecordedStatement[] = [];
    const db = createDb(recordingD1(env.DB_1, log));
    const created = await keyed(
      db,
      org,
      "create",
      createAttribution({ ...fields, mentorId: "m-1", eventId: crypto.randomUUID() }),
      attributionRepresentation.json,
    );
    if (!created.ok) throw new Error("setup: create failed");
    await keyed(
      db,
      org,
      "dispute",
      answerAttribution({
        orgId: org,
        attributionId: created.value.value.row.attributionId,
        mentorId: "m-1",
        answer: { status: "disputed", reason: "Not me" },
        eventId: crypto.randomUUID(),
        now: NOW,
        actor: { ...actor, actor_id: "m-1" },
      }),
      attributionRepresentation.json,
      200,
    );
    const batch = await keyed(
      db,
      org,
      "batch",
      createBatch({
        ...fields,
        activityTypeId: "check_in",
        mentorIds: ["m-1", "m-2", "nobody"],
        submissionEventId: crypto.randomUUID(),
        confirmEventId: null,
      }),
      batchRepresentation.json,
    );
    if (!batch.ok) throw new Error("setup: batch failed");
    await keyed(
      db,
      org,
      "confirm",
      confirmBatch({
        orgId: org,
        batchId: batch.value.value.batch.batchId,
        onlyCoordinator: "coord-1",
        eventId: crypto.randomUUID(),
        now: NOW,
        actor,
      }),
      batchRepresentation.json,
      200,
    );
    await keyed(
      db,
      org,
      "log",
      createActivityLog(
        db,
        org,
        {
          activityId: "log_0123456789abcdef",
          mentorId: "m-2",
          activityType: "check_in",
          description: "Call",
          contactId: null,
          durationMinutes: null,
          occurredAt: NOW,
          createdBy: "m-2",
          clientRef: null,
        },
        false,
        undefined,
      ),
      activityLog.json,
    );
    await storeIdempotentResponse(db, await leaseFor(db, org, "refused"), {
      status: 400,
      headers: {},
      body: "{}",
    });
    await releaseIdempotencyKey(db, await leaseFor(db, org, "failed"));
    await deleteExpiredIdempotencyKeys(db, NOW, 10);

    const answers = log.filter((s) => /^update "idempotency_keys" set "response_status"/.test(s.sql));
    // Five answers stored by write batches, one outcome recorded after a handler.
    expect(answers).toHaveLength(6);
    expect(log.filter((s) => /^insert into "idempotency_leases"/.test(s.sql))).toHaveLength(5);
    for (const statement of log) {
      const plan = await queryPlan(env.DB_1, statement);
      expect(fullScans(plan), statement.sql).toEqual([]);
    }
  });

  it("checks a lease by the key's primary key", async () => {
    // The trigger's query (migration 0011), as SQLite plans it.
    const plan = await queryPlan(env.DB_1, {
      sql: `SELECT 1 FROM idempotency_keys WHERE org_id = ? AND caller_id = ? AND key = ?
        AND claim_id = ? AND response_status IS NULL`,
      params: ["o", "c", "k", "claim"],
    });
    expect(plan).toEqual([
      expect.stringMatching(
        /^SEARCH idempotency_keys USING INDEX sqlite_autoindex_idempotency_keys_1 \(org_id=\? AND caller_id=\? AND key=\?\)$/,
      ),
    ]);
  });
});
