import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import {
  type AttributionFilter,
  attributionListStatements as statements,
} from "../../src/db/queries/attributions";

const db = createDb(env.DB_1);
const ORG = "org-plan";
const MARCH = { from: "2026-03-01T00:00:00Z", to: "2026-03-31T23:59:59Z" };
const OFFSET = { limit: 20, offset: 40 };
const AFTER = { limit: 20, offset: 0, after: ["2026-03-15T12:00:00Z", "attr-20260315-001"] as const };

/** Every list filter alone, with a range, and together, with the index the page must search. */
const filters: { name: string; filter: AttributionFilter; index: string }[] = [
  { name: "no filter", filter: {}, index: "attributions_org_date_idx" },
  { name: "from/to", filter: MARCH, index: "attributions_org_date_idx" },
  { name: "mentor", filter: { mentorId: "mentor-042" }, index: "attributions_org_mentor_\\w+" },
  {
    name: "mentor, from/to",
    filter: { mentorId: "mentor-042", ...MARCH },
    index: "attributions_org_mentor_\\w+",
  },
  { name: "coordinator", filter: { coordinatorId: "coord-007" }, index: "attributions_org_coord_date_idx" },
  {
    name: "coordinator, from/to",
    filter: { coordinatorId: "coord-007", ...MARCH },
    index: "attributions_org_coord_date_idx",
  },
  { name: "type", filter: { activityTypeId: "workshop" }, index: "attributions_org_type_date_idx" },
  // A coordinator's view of what mentors disputed (SPEC §11).
  {
    name: "confirmation status",
    filter: { confirmationStatus: "disputed" },
    index: "attributions_org_confirmation_date_idx",
  },
  {
    name: "confirmation status, from/to",
    filter: { confirmationStatus: "disputed", ...MARCH },
    index: "attributions_org_confirmation_date_idx",
  },
  // A mentor's badge of what waits for its answer: its own attributions, not the organisation's pending ones.
  {
    name: "mentor and confirmation status",
    filter: { mentorId: "mentor-042", confirmationStatus: "pending" },
    index: "attributions_org_mentor_date_idx",
  },
];

interface Statement {
  toSQL(): { sql: string; params: unknown[] };
}

async function planOf(statement: Statement): Promise<string[]> {
  const { sql, params } = statement.toSQL();
  const { results } = await env.DB_1.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}

const attributionSteps = (plan: string[]) => plan.filter((step) => /\battributions\b/.test(step));

describe("query plans of the attribution list", () => {
  it.each(filters)("a page by offset, $name, searches $index", async ({ filter, index }) => {
    const steps = attributionSteps(await planOf(statements.page(db, ORG, filter, OFFSET)));
    expect(steps).toEqual([expect.stringMatching(new RegExp(`^SEARCH attributions USING INDEX ${index} `))]);
  });

  it.each(filters)("a page after a cursor, $name, seeks in $index", async ({ filter, index }) => {
    const steps = attributionSteps(await planOf(statements.page(db, ORG, filter, AFTER)));
    expect(steps).toEqual([
      expect.stringMatching(
        new RegExp(`^SEARCH attributions USING INDEX ${index} \\(.*activity_date<\\?\\)`),
      ),
    ]);
  });

  it.each(filters.filter((f) => f.name !== "no filter"))(
    "the total, $name, never scans the whole table",
    async ({ filter }) => {
      const steps = attributionSteps(await planOf(statements.total(db, ORG, filter)));
      expect(steps).toEqual([expect.stringMatching(/^SEARCH attributions USING (COVERING )?INDEX /)]);
    },
  );

  it("the total with no filter reads the organisation's running count, not its attributions", async () => {
    const plan = await planOf(statements.total(db, ORG, {}));
    expect(plan).toEqual([
      expect.stringMatching(/^SEARCH attribution_totals USING INDEX \S+ \(org_id=\?\)$/),
    ]);
  });
});
