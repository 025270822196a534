import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { MEMBER_ROLES } from "../../src/auth/caller";
import type { Db } from "../../src/db/client";
import { getAttribution } from "../../src/db/queries/attributions";
import { type FieldMap, type TagBasis, tagBasisJson } from "../../src/db/queries/field-map";
import {
  activityLog,
  activityLogTag,
  attributionRepresentation,
  attributionTag,
  batchRepresentation,
  memberRepresentation,
  memberTag,
  namedIn,
} from "../../src/db/queries/representations";
import { activities, attributions, batches, members } from "../../src/db/schema";
import { tagOf } from "../../src/http/etag";
import { entityTag } from "../../src/lib/entity-tag";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";
import { attributionBody, batchBody } from "../helpers/world";

/**
 * Each representation is one field map read two ways: by the presenters (TypeScript) and by the
 * write batches (SQL, what an Idempotency-Key replays and what its ETag is rebuilt from). These
 * tests read the same rows both ways, in every state the rows can be in, and require the same
 * bytes and the same tags.
 */

/** What a replay is built from: the body and the tag basis, each as the SQL of one row gives it. */
async function inSql(db: Db, from: SQL, body: SQL, tag?: SQL) {
  const rows = await db.all<{ body: string; tag: string | null }>(
    sql`select ${body} as body, ${tag ?? sql`null`} as tag ${from}`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error("no row");
  return row;
}

/** The tag a replay computes from what the write batch stored (as the idempotency middleware does). */
function replayedTag(orgId: string, body: string, basis: string | null): string {
  const stored = JSON.parse(basis ?? "null") as { kind: string; id: string; version: object };
  return entityTag(stored.kind, orgId, stored.id, { ...(JSON.parse(body) as object), ...stored.version });
}

function expectSameTag<S, X, V extends FieldMap<S, X>>(
  o: TestOrg,
  basis: TagBasis<S, X, V>,
  source: S,
  presented: object,
  fromSql: { body: string; tag: string | null },
) {
  expect(replayedTag(o.org, fromSql.body, fromSql.tag)).toBe(tagOf(basis, o.org, source, presented));
}

const created = <T>(sent: { data?: T; response: Response }): T => {
  if (sent.data === undefined) throw new Error(`status ${sent.response.status}`);
  return sent.data;
};

/** Attributions in every state: pending, confirmed, disputed, bulk, and one whose mentor is gone. */
async function attributionsInEveryState(o: TestOrg): Promise<string[]> {
  const register = async (mentorId: string) =>
    created(
      await api(o.coordinator).POST("/api/v1/activity-attributions", {
        body: attributionBody(o.coordinator.sub, mentorId),
      }),
    ).attribution_id;
  const pending = await register(o.mentor.sub);
  const confirmed = await register(o.mentor.sub);
  const disputed = await register(o.mentor.sub);
  const orphaned = await register("mentor-482");
  const path = { params: { path: { id: confirmed } } };
  expect((await api(o.mentor).POST("/api/v1/activity-attributions/{id}/confirm", path)).response.status).toBe(
    200,
  );
  const dispute = await api(o.mentor).POST("/api/v1/activity-attributions/{id}/dispute", {
    params: { path: { id: disputed } },
    body: { reason: "Not me — I was away" },
  });
  expect(dispute.response.status).toBe(200);
  const batch = created(
    await api(o.coordinator).POST("/api/v1/activity-attributions/batches", {
      body: { ...batchBody(o, o.coordinator.sub, true), mentor_ids: [o.mentor.sub, "mentor-999"] },
    }),
  );
  // A member deleted from the directory of people: its name is null wherever it is shown.
  await o.db.delete(members).where(and(eq(members.orgId, o.org), eq(members.memberId, "mentor-482")));
  return [pending, confirmed, disputed, orphaned, ...batch.attributions.map((a) => a.attribution_id)];
}

describe("each representation, presented in TypeScript and built in SQL, is the same", () => {
  it("for attributions pending, confirmed, disputed, bulk, and of a mentor no longer on record", async () => {
    const o = await testOrg("rep-attr");
    const ids = await attributionsInEveryState(o);
    expect(ids).toHaveLength(5);
    for (const id of ids) {
      const found = await getAttribution(o.db, o.org, id);
      if (!found) throw new Error(`${id} is missing`);
      const x = namedIn(o.org, "a");
      const fromSql = await inSql(
        o.db,
        sql`from ${attributions} a where a.org_id = ${o.org} and a.attribution_id = ${id}`,
        attributionRepresentation.json(x),
        tagBasisJson(attributionTag, x),
      );
      const presented = attributionRepresentation.of(found);
      expect(fromSql.body, id).toBe(JSON.stringify(presented));
      expectSameTag(o, attributionTag, found, presented, fromSql);
    }
    const orphan = await getAttribution(o.db, o.org, ids[3] ?? "");
    expect(orphan?.mentorName).toBeNull();
  });

  it("for activity logs entered by the mentor, by an admin, with empty fields, and registered by coordinators", async () => {
    const o = await testOrg("rep-log");
    await attributionsInEveryState(o);
    const self = await api(o.mentor).POST("/api/v1/activity-logs", {
      body: {
        activity_type: "check_in",
        description: "Call with « mentee » 👋",
        occurred_at: "2026-03-20T10:00:00Z",
        client_ref: "queued-1",
      },
    });
    expect(self.response.status).toBe(201);
    const forMentor = await api(o.admin).POST("/api/v1/activity-logs", {
      body: {
        mentor_id: o.mentor.sub,
        activity_type: "one-on-one",
        description: "Session",
        contact_id: "contact-7",
        duration_minutes: 45,
        occurred_at: "2026-03-21T10:00:00Z",
      },
    });
    expect(forMentor.response.status).toBe(201);
    const rows = await o.db
      .select()
      .from(activities)
      .where(eq(activities.orgId, o.org))
      .orderBy(asc(activities.activityId));
    expect(new Set(rows.map((r) => `${r.entryMode}/${r.confirmationStatus}`))).toEqual(
      new Set(["self/confirmed", "proxy/pending", "proxy/confirmed", "proxy/disputed", "bulk/pending"]),
    );
    for (const row of rows) {
      const fromSql = await inSql(
        o.db,
        sql`from ${activities} a where a.org_id = ${o.org} and a.activity_id = ${row.activityId}`,
        activityLog.json({ alias: "a" }),
        tagBasisJson(activityLogTag, { alias: "a" }),
      );
      const presented = activityLog.of(row);
      expect(fromSql.body, row.activityId).toBe(JSON.stringify(presented));
      expectSameTag(o, activityLogTag, row, presented, fromSql);
    }
  });

  it("for batches pending and confirmed, with skipped mentors and created attributions", async () => {
    const o = await testOrg("rep-batch");
    const pending = created(
      await api(o.coordinator).POST("/api/v1/activity-attributions/batches", {
        body: { ...batchBody(o, o.coordinator.sub), mentor_ids: [o.mentor.sub, "nobody", "mentor-999"] },
      }),
    );
    const confirmed = created(
      await api(o.coordinator).POST("/api/v1/activity-attributions/batches", {
        body: batchBody(o, o.coordinator.sub, true),
      }),
    );
    expect(confirmed.attributions).toHaveLength(2);
    for (const batchId of [pending.batch_id, confirmed.batch_id]) {
      const [batch] = await o.db
        .select()
        .from(batches)
        .where(and(eq(batches.orgId, o.org), eq(batches.batchId, batchId)));
      if (!batch) throw new Error(`${batchId} is missing`);
      const createdRows = await o.db
        .select()
        .from(attributions)
        .where(and(eq(attributions.orgId, o.org), eq(attributions.batchId, batchId)))
        .orderBy(asc(attributions.attributionId));
      const fromSql = await inSql(
        o.db,
        sql`from ${batches} b where b.org_id = ${o.org} and b.batch_id = ${batchId}`,
        batchRepresentation.json({ alias: "b" }),
      );
      expect(fromSql.body, batchId).toBe(
        JSON.stringify(batchRepresentation.of({ batch, created: createdRows })),
      );
    }
  });

  it("for members active and not, with roles the service no longer knows left out", async () => {
    const o = await testOrg("rep-member");
    await o.db.insert(members).values([
      { orgId: o.org, memberId: "m-legacy", name: "Old Roles", roles: ["mentor", "auditor", "admin"] },
      { orgId: o.org, memberId: "m-none", name: "No Known Role", roles: ["auditor"], active: false },
    ]);
    const member = memberRepresentation(MEMBER_ROLES);
    const rows = await o.db.select().from(members).where(eq(members.orgId, o.org));
    expect(rows.length).toBeGreaterThan(8);
    for (const row of rows) {
      const fromSql = await inSql(
        o.db,
        sql`from ${members} m where m.org_id = ${o.org} and m.member_id = ${row.memberId}`,
        member.json({ alias: "m" }),
        tagBasisJson(memberTag, { alias: "m" }),
      );
      const presented = member.of(row);
      expect(fromSql.body, row.memberId).toBe(JSON.stringify(presented));
      expectSameTag(o, memberTag, row, presented, fromSql);
    }
    const legacy = rows.find((r) => r.memberId === "m-legacy");
    if (!legacy) throw new Error("m-legacy is missing");
    expect(member.of(legacy).roles).toEqual(["mentor", "admin"]);
  });
});

describe("an attribution whose last event was redacted from the audit log", () => {
  it("is replayed with the tag a GET gives it", async () => {
    const o = await testOrg("rep-redacted");
    const id = created(
      await api(o.coordinator).POST("/api/v1/activity-attributions", {
        body: attributionBody(o.coordinator.sub, o.mentor.sub),
      }),
    ).attribution_id;
    const confirm = () =>
      api(o.mentor).POST("/api/v1/activity-attributions/{id}/confirm", {
        params: { path: { id }, header: { "idempotency-key": "confirm-once" } },
      });
    const first = await confirm();
    expect(first.response.status).toBe(200);
    const before = created(
      await api(o.admin).GET("/api/v1/activity-attributions/{id}", { params: { path: { id } } }),
    );
    const confirmation = before.audit_trail.at(-1);
    expect(confirmation?.event).toBe("confirmed");
    const redacted = await api(o.admin).DELETE("/api/v1/proxy-audit-logs/{id}", {
      params: { path: { id: confirmation?.id ?? "" } },
    });
    expect(redacted.response.status).toBe(200);
    const read = await api(o.admin).GET("/api/v1/activity-attributions/{id}", { params: { path: { id } } });
    expect(read.data?.audit_trail.at(-1)?.event).toBe("redacted");
    const replay = await confirm();
    expect(replay.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.response.headers.get("ETag")).toBe(read.response.headers.get("ETag"));
    expect(replay.response.headers.get("ETag")).toBe(first.response.headers.get("ETag"));
  });
});
