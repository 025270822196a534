import { env } from "cloudflare:workers";
import { type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { MEMBER_ROLES } from "../../src/auth/caller";
import { createDb, type Db } from "../../src/db/client";
import { deleteActivityLog, updateActivityLog } from "../../src/db/queries/activity-writes";
import { correctAttribution } from "../../src/db/queries/attribution-corrections";
import { createAttribution, deleteAttribution } from "../../src/db/queries/attribution-writes";
import { BatchAnswer, claimIdempotencyKey } from "../../src/db/queries/idempotency";
import { upsertMember } from "../../src/db/queries/members";
import type { ActorContext } from "../../src/db/queries/outbox";
import {
  activityLog,
  activityLogDeletion,
  attributionDeletion,
  attributionRepresentation,
  memberRepresentation,
} from "../../src/db/queries/representations";
import { type PreparedWrite, runWrite, type Steps } from "../../src/db/queries/write-batch";
import { newOrg } from "../helpers/api";
import { placeOrg } from "../helpers/databases";
import { queryPlan, type RecordedStatement, recordingD1 } from "../helpers/instrumented-d1";
import { addMember } from "../helpers/members";

/**
 * The statements a keyed PUT or DELETE adds to its batch (its answer, decided before the write
 * when nothing tells afterwards whether it happened), and the correction's own, find their rows
 * by key: they run on every such request.
 */

const GUARDED = new Set([
  "idempotency_keys",
  "attributions",
  "activities",
  "members",
  "audit_outbox",
  "a",
  "w",
  "m",
]);

function fullScans(plan: string[]): string[] {
  return plan.filter((line) => {
    const scanned = /^SCAN (\w+)/.exec(line)?.[1];
    return scanned !== undefined && GUARDED.has(scanned) && !/USING (COVERING )?INDEX/.test(line);
  });
}

const actor: ActorContext = { actor_id: "coord-1", actor_name: null, ip_address: null, user_agent: null };
const NOW = "2026-03-26T10:00:00Z";

/** Runs a write with the answer its batch stores for a key claimed for it. */
async function keyed<S extends Steps, V, R extends string, C, X>(
  db: Db,
  org: string,
  write: PreparedWrite<S, V, R, C, X>,
  body: (row: X) => SQL,
) {
  const claim = await claimIdempotencyKey(
    db,
    { orgId: org, callerId: "coord-1", key: crypto.randomUUID() },
    { fingerprint: "f", now: NOW, lockedUntil: "2026-03-26T10:00:10Z", expiresAt: "2026-03-27T10:00:00Z" },
  );
  if (!claim.claimed) throw new Error("setup: the key was held");
  const answer = new BatchAnswer(claim.lease, { status: { created: 201, otherwise: 200 }, body });
  const outcome = await runWrite(db, write, [answer]);
  expect(answer.stored).toBe(true);
  return outcome;
}

describe("the statements of a keyed PUT or DELETE use indexes", () => {
  it("never scans a whole table in a correction, a deletion, an entry's change or deletion, or a member upsert", async () => {
    const org = newOrg();
    await placeOrg(org, "DB_1");
    await addMember(org, "coord-1", ["coordinator"]);
    for (const id of ["m-1", "m-2"]) await addMember(org, id, ["mentor"]);
    const log: RecordedStatement[] = [];
    const db = createDb(recordingD1(env.DB_1, log));
    const write = { orgId: org, now: NOW, actor };
    const created = await runWrite(
      db,
      createAttribution({
        ...write,
        mentorId: "m-1",
        coordinatorId: "coord-1",
        checkCoordinator: false,
        activityTypeId: "workshop",
        activityDate: "2026-03-26T09:00:00Z",
        durationMinutes: 60,
        location: null,
        notes: null,
        eventId: crypto.randomUUID(),
      }),
    );
    if (!created.ok) throw new Error("setup: create failed");
    const attributionId = created.value.value.row.attributionId;
    const target = { ...write, attributionId, onlyCoordinator: "coord-1" };
    log.length = 0;
    await keyed(
      db,
      org,
      correctAttribution({
        ...target,
        patch: { mentor_id: "m-2", duration_minutes: 45 },
        eventId: crypto.randomUUID(),
      }),
      attributionRepresentation.json,
    );
    await keyed(
      db,
      org,
      deleteAttribution({ ...target, eventId: crypto.randomUUID() }),
      attributionDeletion.json,
    );
    // A mentor's own entry to change and delete, written directly: its create is not what is checked.
    const activityId = "log_00000000000000aa";
    await db.run(sql`insert into activities (org_id, activity_id, mentor_id, activity_type, description,
        occurred_at, entry_mode, confirmation_status, created_by, created_at, updated_at)
      values (${org}, ${activityId}, 'm-1', 'check_in', 'Call', ${NOW}, 'self', 'confirmed', 'm-1', ${NOW}, ${NOW})`);
    const entryTarget = {
      db,
      orgId: org,
      activityId,
      ownerId: "m-1",
      seen: undefined,
      audit: { eventId: crypto.randomUUID(), actor: { ...actor, actor_id: "m-1" }, now: NOW },
    };
    await keyed(db, org, updateActivityLog(entryTarget, { description: "Longer call" }), activityLog.json);
    await keyed(db, org, deleteActivityLog(entryTarget), activityLogDeletion.json);
    await keyed(
      db,
      org,
      upsertMember(db, org, "m-3", { name: "New", roles: ["mentor"], active: true }, undefined, {
        eventId: crypto.randomUUID(),
        actor,
        now: NOW,
      }),
      memberRepresentation(MEMBER_ROLES).json,
    );

    expect(log.filter((s) => /^update "idempotency_keys" set "response_status"/.test(s.sql)).length).toBe(5);
    expect(log.filter((s) => /^update "idempotency_keys" set "response_body"/.test(s.sql)).length).toBe(3);
    for (const statement of log) {
      const plan = await queryPlan(env.DB_1, statement);
      expect(fullScans(plan), statement.sql).toEqual([]);
    }
  });
});
