import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

/**
 * Rows written before confirmation existed (SPEC §11), as the code of that time wrote them: no
 * confirmation columns. The columns' defaults and the data statement of the migration that added
 * them must leave registrations `pending` and a mentor's own entries `confirmed`.
 */

const MIGRATION = "0009_confirmation.sql";

/** The migration's statements that change data rather than the schema. */
function dataStatements(): string[] {
  const migration = env.TEST_MIGRATIONS.find((m) => m.name === MIGRATION);
  if (!migration) throw new Error(`${MIGRATION} is not among the migrations`);
  return migration.queries.filter((query) => /^\s*UPDATE\b/im.test(query));
}

describe(`the ${MIGRATION} migration`, () => {
  it("has registrations wait for their mentor and keeps a mentor's own entries confirmed", async () => {
    const o = await testOrg();
    const activity = `insert into activities (org_id, activity_id, mentor_id, activity_type, description,
      duration_minutes, occurred_at, entry_mode, attribution_id, created_by) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
    await o.d1.batch([
      o.d1
        .prepare(activity)
        .bind(
          o.org,
          "log_00000000000000aa",
          "mentor-042",
          "check_in",
          "Check-in",
          30,
          "2026-03-10T10:00:00Z",
          "self",
          null,
          "mentor-042",
        ),
      o.d1
        .prepare(activity)
        .bind(
          o.org,
          "pact-20260301-001",
          "mentor-042",
          "workshop",
          "Workshop",
          120,
          "2026-03-11T10:00:00Z",
          "proxy",
          "attr-20260301-001",
          "coord-007",
        ),
      o.d1
        .prepare(`insert into attributions (org_id, attribution_id, activity_id, mentor_id, coordinator_id,
          activity_type_id, activity_date, duration_minutes, proxy, entry_mode, created_by, last_event_id,
          created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, 1, 'proxy', ?, ?, ?, ?)`)
        .bind(
          o.org,
          "attr-20260301-001",
          "pact-20260301-001",
          "mentor-042",
          "coord-007",
          "workshop",
          "2026-03-11T10:00:00Z",
          120,
          "coord-007",
          "event-before-confirmation",
          "2026-03-01T10:00:00Z",
          "2026-03-01T10:00:00Z",
        ),
    ]);
    const summary = async () =>
      (
        await api(o.admin).GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", {
          params: { path: { mentor_id: "mentor-042" }, query: { date: "2026-03-15" } },
        })
      ).data;
    const before = await summary();

    const statements = dataStatements();
    expect(statements).toHaveLength(1);
    // Run on the test's organisation alone: the shared test database holds other tests'
    // organisations, some of them frozen by a move, whose rows no statement may touch.
    for (const statement of statements) {
      await o.d1
        .prepare(`${statement.trim().replace(/;$/, "")} AND \`org_id\` = ?`)
        .bind(o.org)
        .run();
    }

    const status = await o.d1
      .prepare(
        "select activity_id, confirmation_status, confirmation_by from activities where org_id = ? order by activity_id",
      )
      .bind(o.org)
      .all();
    expect(status.results).toEqual([
      { activity_id: "log_00000000000000aa", confirmation_status: "confirmed", confirmation_by: null },
      { activity_id: "pact-20260301-001", confirmation_status: "pending", confirmation_by: null },
    ]);
    const attribution = await api(o.mentor).GET("/api/v1/activity-attributions/{id}", {
      params: { path: { id: "attr-20260301-001" } },
    });
    expect(attribution.data).toMatchObject({ confirmation_status: "pending", confirmation: null });
    // Only disputed activities leave the totals, so the upgrade changes none of them; the
    // self entry, pending only as the bare column default, no longer counts as waiting.
    const after = await summary();
    expect(after).toEqual({ ...before, pending_confirmation: 1 });
    expect(after).toMatchObject({ total_activities: 2, total_duration_minutes: 150, disputed: 0 });
  });
});
