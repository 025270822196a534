import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ORG_TABLE_SHAPES } from "../../src/db/org-tables";
import { ORGANISATION_FROZEN } from "../../src/lib/errors";
import { api } from "../helpers/client";
import { orgRows } from "../helpers/databases";
import { withAuditDown } from "../helpers/doubles";
import { testOrg } from "../helpers/org";
import { activityLogOf, attributionBody, attributionOf, batchBody } from "../helpers/world";

/** Tables with an org_id column that are not an organisation's data: the freeze rows themselves. */
const NOT_COPIED = ["org_freezes"];

/** The tables of a migrated database with an `org_id` column. */
async function tablesWithOrgId(d1: D1Database): Promise<string[]> {
  const { results: tables } = await d1
    .prepare(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '_cf_%' order by name",
    )
    .all<{ name: string }>();
  const withOrg: string[] = [];
  for (const { name } of tables) {
    const { results: columns } = await d1.prepare(`pragma table_info("${name}")`).all<{ name: string }>();
    if (columns.some((c) => c.name === "org_id")) withOrg.push(name);
  }
  return withOrg;
}

async function triggersOn(d1: D1Database, table: string): Promise<string[]> {
  const { results } = await d1
    .prepare("select name from sqlite_master where type = 'trigger' and tbl_name = ? order by name")
    .bind(table)
    .all<{ name: string }>();
  return results.map((r) => r.name);
}

const freeze = (d1: D1Database, org: string, state: string) =>
  d1
    .prepare(
      "insert into org_freezes (org_id, state, other_database, since) values (?, ?, 'DB_9', '2026-01-01T00:00:00Z')",
    )
    .bind(org, state)
    .run();

describe("the tables a move copies (src/db/org-tables.ts)", () => {
  it("lists every table with an org_id column, so a new one cannot be left behind", async () => {
    const listed = ORG_TABLE_SHAPES.map((s) => s.name).sort();
    const present = (await tablesWithOrgId(env.DB_1)).filter((name) => !NOT_COPIED.includes(name));
    expect(listed).toEqual(present);
  });

  it("gives every listed table the three freeze-guard triggers", async () => {
    for (const { name } of ORG_TABLE_SHAPES) {
      expect(await triggersOn(env.DB_1, name), name).toEqual(
        expect.arrayContaining([`${name}_frozen_delete`, `${name}_frozen_insert`, `${name}_frozen_update`]),
      );
    }
  });

  it("orders each table's rows by its key without org_id, or holds one row per organisation", () => {
    const keys = Object.fromEntries(ORG_TABLE_SHAPES.map((s) => [s.name, s.key]));
    expect(keys).toEqual({
      members: ["member_id"],
      activities: ["activity_id"],
      attributions: ["attribution_id"],
      batches: ["batch_id"],
      id_counters: ["scope", "day"],
      idempotency_keys: ["caller_id", "key"],
      audit_outbox: ["event_id"],
      activity_totals: [],
      attribution_totals: [],
      sync_changes: ["type", "record_id", "audience"],
      sync_counters: [],
    });
    // Derived tables come after every table whose triggers fill them.
    expect(ORG_TABLE_SHAPES.filter((s) => s.derived).map((s) => s.name)).toEqual([
      "activity_totals",
      "attribution_totals",
      "sync_changes",
      "sync_counters",
    ]);
  });
});

describe("the freeze guard", () => {
  it("aborts every kind of write to every table of a frozen organisation, and changes nothing", async () => {
    const o = await testOrg("guard");
    await activityLogOf(o, o.mentor.sub);
    await attributionOf(o, o.coordinator.sub, o.mentor.sub);
    const bulk = await api(o.coordinator).POST("/api/v1/activity-attributions/batches", {
      body: batchBody(o, o.coordinator.sub),
    });
    expect(bulk.response.status).toBe(201);
    await api(o.coordinator, { headers: { "Idempotency-Key": "guard-2" } }).POST(
      "/api/v1/activity-attributions",
      {
        body: attributionBody(o.coordinator.sub, o.otherMentor.sub),
      },
    );
    await api(o.coordinator, { bindings: withAuditDown() }).POST("/api/v1/activity-attributions", {
      body: attributionBody(o.coordinator.sub, o.mentor.sub),
    });
    const before = await orgRows(o.d1, o.org);
    for (const [table, rows] of Object.entries(before)) expect(rows.length, table).toBeGreaterThan(0);

    await freeze(o.d1, o.org, "frozen");
    for (const { name, columns } of ORG_TABLE_SHAPES) {
      const copyOfFirst = `insert into "${name}" select * from "${name}" where org_id = ? limit 1`;
      for (const [what, sql] of [
        ["insert", copyOfFirst],
        ["update", `update "${name}" set org_id = org_id where org_id = ?`],
        ["delete", `delete from "${name}" where org_id = ?`],
      ] as const) {
        await expect(
          o.d1.prepare(sql).bind(o.org).run(),
          `${what} ${name} (${columns.length} columns)`,
        ).rejects.toThrow(ORGANISATION_FROZEN);
      }
    }
    expect(await orgRows(o.d1, o.org)).toEqual(before);
  });

  it("lets rows of an organisation being copied in be written, and guards no other organisation", async () => {
    const copying = await testOrg("importing");
    const bystander = await testOrg("bystander", { database: copying.database });
    await freeze(copying.d1, copying.org, "importing");
    await freeze(copying.d1, `${bystander.org}-frozen-neighbour`, "frozen");
    expect((await api(copying.mentor).POST("/api/v1/activity-logs", { body: logBody })).response.status).toBe(
      201,
    );
    expect(
      (await api(bystander.mentor).POST("/api/v1/activity-logs", { body: logBody })).response.status,
    ).toBe(201);
  });
});

const logBody = { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-24T14:00:00Z" };
