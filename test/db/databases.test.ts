import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { parseDatabases } from "../../src/db/databases";
import type { Env } from "../../src/env";
import { api } from "../helpers/client";
import { orgRows } from "../helpers/databases";
import { testOrg } from "../helpers/org";

const bindings = env as unknown as Record<string, unknown>;

function problemsOf(text: string | undefined): string[] {
  const problems: string[] = [];
  expect(parseDatabases(text, bindings, problems)).toBeNull();
  return problems;
}

describe("D1_DATABASES", () => {
  it("reads each database's jurisdiction and where new organisations go", () => {
    const problems: string[] = [];
    const databases = parseDatabases(
      '{"DB_1": {}, "DB_2": {"new_organisations": false}, "DB_3": {"jurisdiction": "eu"}}',
      bindings,
      problems,
    );
    expect(problems).toEqual([]);
    expect(databases?.entries).toEqual([
      { binding: "DB_1", jurisdiction: null, newOrganisations: true },
      { binding: "DB_2", jurisdiction: null, newOrganisations: false },
      { binding: "DB_3", jurisdiction: "eu", newOrganisations: false },
    ]);
    expect(databases?.placement).toEqual({ candidates: ["DB_1"], jurisdiction: null });
  });

  it.each([
    [undefined, /must name the databases/],
    ["{}", /must name the databases/],
    ["DB_1", /is not JSON/],
    ['["DB_1"]', /must name the databases/],
    ['{"DB": {}}', /"DB" is not a binding name of the form DB_<n>/],
    ['{"DB_1": []}', /settings of DB_1 must be an object/],
    ['{"DB_1": {}, "DB_7": {}}', /names DB_7, but the Worker has no D1 binding of that name/],
    ['{"DB_1": {"jurisdiction": "mars"}}', /DB_1's jurisdiction must be one of eu, fedramp/],
    ['{"DB_1": {"new_organisations": "yes"}}', /new_organisations must be true or false/],
    ['{"DB_1": {"region": "weur"}}', /unknown setting "region"/],
    ['{"DB_3": {"jurisdiction": "eu"}}', /no database takes new organisations/],
    [
      '{"DB_1": {}, "DB_3": {"jurisdiction": "eu", "new_organisations": true}}',
      /must share one jurisdiction/,
    ],
  ])("refuses %j", (text, message) => {
    expect(problemsOf(text).join("\n")).toMatch(message);
  });

  it("makes every API request answer 503 when it is wrong, and writes nothing", async () => {
    const o = await testOrg("misconfigured");
    const broken: Env = { ...env, D1_DATABASES: '{"DB_1": {}, "DB_9": {}}' };
    const before = await orgRows(o.d1, o.org);
    const { response, error } = await api(o.mentor, { bindings: broken }).POST("/api/v1/activity-logs", {
      body: { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-24T14:00:00Z" },
    });
    expect(response.status).toBe(503);
    expect(error?.detail).toMatch(/not configured correctly/);
    expect(await orgRows(o.d1, o.org)).toEqual(before);
  });

  it("refuses AUDIT_LOG_JURISDICTIONS=ignore in a deployment (JWKS_URL set), and any other value", async () => {
    const o = await testOrg("jurisdictions");
    for (const vars of [
      {
        AUDIT_LOG_JURISDICTIONS: "ignore",
        JWT_SECRET: undefined,
        JWKS_URL: "https://idp.example.org/jwks",
        JWT_ISSUER: "https://idp.example.org",
        JWT_AUDIENCE: "mentor-activity",
      },
      { AUDIT_LOG_JURISDICTIONS: "off" },
    ]) {
      const configured = { ...env, ...vars };
      const parsed = parseConfig(configured);
      expect(parsed.ok ? [] : parsed.problems).toEqual([expect.stringMatching(/^AUDIT_LOG_JURISDICTIONS/)]);
      const { response } = await api(o.mentor, { bindings: configured }).GET("/api/v1/activity-types");
      expect(response.status).toBe(503);
    }
  });
});
