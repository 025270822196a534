import { env } from "cloudflare:workers";
import { type SQL, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { uploadStatements } from "../../src/db/queries/activity-uploads";
import { ORG_AUDIENCE, syncStatements } from "../../src/db/queries/sync";

// The changes feed reads one index range per stream whatever the organisation's size, and a
// batch upload looks each entry up by key: no statement scans a table (SPEC §10: "an index
// serves every caller's page").

const dialect = new SQLiteAsyncDialect();
const ORG = "org-plan";

async function planOf(statement: SQL): Promise<string[]> {
  const query = dialect.sqlToQuery(statement);
  const { results } = await env.DB_1.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
    .bind(...query.params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}

/** A scan of a table, not of an index nor of json_each's virtual table. */
const tableScans = (plan: string[]) =>
  plan.filter(
    (step) =>
      /^SCAN (?!e\b|r\b|json_each|CONSTANT ROW)\S+/.test(step) && !/USING (COVERING )?INDEX/.test(step),
  );

const FIRST = { records: 0, members: 0, snapshotUntil: null };
const LATER = { records: 1200, members: 40, snapshotUntil: null };
const IN_SNAPSHOT = { records: 300, members: 12, snapshotUntil: 5000 };
const FEED_RANGE =
  /^SEARCH c USING (COVERING )?INDEX sync_changes_feed_idx \(org_id=\? AND audience=\? AND seq>\?\)$/;

const INPUT = JSON.stringify([{ i: 0, id: "log_1", mentor: "m", type: "check_in", ref: "r", check: 1 }]);

const BY_CLIENT_REF =
  /^SEARCH a USING INDEX activities_org_mentor_client_ref_uq \(org_id=\? AND mentor_id=\? AND client_ref=\?\)$/;

const cases: { name: string; statement: SQL; feed?: boolean; step?: RegExp }[] = [
  { name: "counter", statement: syncStatements.counter(ORG) },
  ...[
    ["a mentor's first page", "mentor-042", FIRST, true],
    ["a mentor's later page", "mentor-042", LATER, false],
    ["a mentor's page within its first snapshot", "mentor-042", IN_SNAPSHOT, false],
    ["the organisation's first page", ORG_AUDIENCE, FIRST, true],
    ["the organisation's later page", ORG_AUDIENCE, LATER, false],
  ].map(([name, audience, position, first]) => ({
    name: `records: ${name}`,
    statement: syncStatements.records(
      ORG,
      audience as string,
      position as typeof FIRST,
      first as boolean,
      101,
    ),
    feed: true,
  })),
  { name: "members: first page", statement: syncStatements.members(ORG, FIRST, true, 101), feed: true },
  { name: "members: later page", statement: syncStatements.members(ORG, LATER, false, 101), feed: true },
  { name: "upload: insert", statement: uploadStatements.insert(ORG, INPUT, "mentor-042") },
  {
    name: "upload: the answer",
    statement: sql`select ${uploadStatements.answer(ORG, INPUT)}`,
    step: BY_CLIENT_REF,
  },
];

describe("query plans of the changes feed and the batch upload", () => {
  it("would notice a scan of a table", async () => {
    expect(tableScans(await planOf(sql`select * from sync_changes where changed_at > '2026'`))).not.toEqual(
      [],
    );
  });

  it.each(cases)("$name reads through indexes only", async ({ statement, feed }) => {
    const plan = await planOf(statement);
    expect(plan).not.toEqual([]);
    console.log("PLAN", plan.join(" / "));
    expect(tableScans(plan), plan.join("\n")).toEqual([]);
    if (feed) {
      expect(plan.filter((step) => /^(SEARCH|SCAN) c\b/.test(step))).toEqual([
        expect.stringMatching(FEED_RANGE),
      ]);
      // The record each change points at is found by its primary key, never searched for.
      for (const step of plan.filter((s) => /^SEARCH (a|t|mm|cm|m)\b/.test(s))) {
        expect(step).toMatch(/USING (INDEX sqlite_autoindex_\w+|PRIMARY KEY)/);
      }
    }
  });
});
