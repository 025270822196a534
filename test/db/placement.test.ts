import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DIRECTORY_CACHE_TTL_MS, forgetPlacement } from "../../src/db/placement";
import {
  createDirectoryDb,
  placeByRule,
  placeExplicitly,
  readPlacement,
} from "../../src/db/queries/directory";
import type { Env } from "../../src/env";
import { newOrg } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { testDatabases } from "../helpers/databases";
import { instrumentD1 } from "../helpers/instrumented-d1";
import { testOrg } from "../helpers/org";

const dir = () => createDirectoryDb(env.DIRECTORY);
const NOW = "2026-03-24T14:00:00Z";

/** The test's bindings with the directory's round trips counted. */
function countingDirectory() {
  let calls = 0;
  const bindings: Env = {
    ...env,
    DIRECTORY: instrumentD1(env.DIRECTORY, {
      call: (run) => {
        calls += 1;
        return run();
      },
    }),
  };
  return { bindings, calls: () => calls };
}

const mentorOf = (org: string): TokenClaims => ({ sub: "mentor-1", org, roles: ["mentor"] });

afterEach(() => {
  vi.useRealTimers();
});

describe("placing an organisation the directory does not know", () => {
  it("places it on its first request, on a database open to new organisations, and keeps it there", async () => {
    const org = newOrg("first");
    expect(await readPlacement(dir(), org)).toBeNull();
    const first = await api(mentorOf(org)).GET("/api/v1/activity-logs");
    expect(first.response.status).toBe(200);
    const placed = await readPlacement(dir(), org);
    expect(testDatabases().placement.candidates).toContain(placed?.database);
    expect(placed?.jurisdiction).toBeNull();
    forgetPlacement(org);
    await api(mentorOf(org)).GET("/api/v1/activity-logs");
    expect(await readPlacement(dir(), org)).toEqual(placed);
  });

  it("chooses the database with the fewest organisations, the first listed on a tie", async () => {
    // Databases of their own, so the rest of the suite's organisations do not count.
    const rule = { candidates: ["DB_801", "DB_802", "DB_803"], jurisdiction: null };
    const tag = crypto.randomUUID().slice(0, 8);
    for (const [database, count] of [
      ["DB_801", 2],
      ["DB_802", 1],
      ["DB_803", 1],
    ] as const) {
      for (let i = 0; i < count; i += 1) {
        await placeExplicitly(dir(), `load-${tag}-${database}-${i}`, { database, jurisdiction: null }, NOW);
      }
    }
    expect(await placeByRule(dir(), `new-${tag}-a`, rule, NOW)).toEqual({
      database: "DB_802",
      jurisdiction: null,
    });
    expect(await placeByRule(dir(), `new-${tag}-b`, rule, NOW)).toEqual({
      database: "DB_803",
      jurisdiction: null,
    });
    expect(await placeByRule(dir(), `new-${tag}-c`, rule, NOW)).toEqual({
      database: "DB_801",
      jurisdiction: null,
    });
    await env.DIRECTORY.prepare("delete from organisations where org_id like ?").bind(`%-${tag}-%`).run();
  });

  it("places an organisation once when its first requests race", async () => {
    const org = newOrg("race");
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => api(mentorOf(org)).POST("/api/v1/activity-logs", { body: logBody })),
    );
    expect(answers.map((a) => a.response.status)).toEqual(Array(8).fill(201));
    const rows = await env.DIRECTORY.prepare("select database from organisations where org_id = ?")
      .bind(org)
      .all();
    expect(rows.results).toHaveLength(1);
    const database = (rows.results[0] as { database: string }).database;
    const stored = await (env[database as "DB_1"] as D1Database)
      .prepare("select count(*) as n from activities where org_id = ?")
      .bind(org)
      .first<{ n: number }>();
    expect(stored?.n).toBe(8);
  });

  it("refuses to place an organisation explicitly where it is not", async () => {
    const o = await testOrg("placed");
    const other = o.database === "DB_1" ? "DB_2" : "DB_1";
    const result = await placeExplicitly(dir(), o.org, { database: other, jurisdiction: null }, NOW);
    expect(result).toEqual({ placed: false, current: { database: o.database, jurisdiction: null } });
  });
});

describe("the directory cache of an isolate", () => {
  it("costs no directory round trip for a cached organisation, and one once its lifetime is over", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const o = await testOrg("cache");
    const read = async () => {
      const counting = countingDirectory();
      const { response } = await api(o.mentor, { bindings: counting.bindings }).GET("/api/v1/activity-types");
      expect(response.status).toBe(200);
      return counting.calls();
    };
    expect(await read()).toBe(0);
    vi.setSystemTime(Date.now() + DIRECTORY_CACHE_TTL_MS - 1);
    expect(await read()).toBe(0);
    vi.setSystemTime(Date.now() + 1);
    expect(await read()).toBe(1);
    expect(await read()).toBe(0);
  });

  it("keeps an answer for DIRECTORY_CACHE_SECONDS when the deployment sets it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const o = await testOrg("cache-seconds");
    forgetPlacement(o.org);
    const read = async () => {
      const counting = countingDirectory();
      const bindings: Env = { ...counting.bindings, DIRECTORY_CACHE_SECONDS: "5" };
      const { response } = await api(o.mentor, { bindings }).GET("/api/v1/activity-types");
      expect(response.status).toBe(200);
      return counting.calls();
    };
    expect(await read()).toBe(1);
    vi.setSystemTime(Date.now() + 4_999);
    expect(await read()).toBe(0);
    vi.setSystemTime(Date.now() + 1);
    expect(await read()).toBe(1);
  });

  it("refuses a DIRECTORY_CACHE_SECONDS that is not a whole number of seconds: 503, and the directory is not read", async () => {
    const o = await testOrg("cache-seconds-bad");
    for (const value of ["soon", "0", "1.5"]) {
      const counting = countingDirectory();
      const bindings: Env = { ...counting.bindings, DIRECTORY_CACHE_SECONDS: value };
      const { response, error } = await api(o.mentor, { bindings }).GET("/api/v1/activity-types");
      expect(response.status, value).toBe(503);
      expect(error?.detail).toMatch(/not configured correctly/);
      expect(counting.calls()).toBe(0);
    }
  });

  it("answers 503 and caches nothing when the directory places an organisation where the configuration does not allow", async () => {
    const org = newOrg("misplaced");
    // An EU database recorded without its jurisdiction: its audit object would be in the wrong place.
    await placeExplicitly(dir(), org, { database: "DB_3", jurisdiction: null }, NOW);
    const counting = countingDirectory();
    for (let i = 0; i < 2; i += 1) {
      const { response, error } = await api(mentorOf(org), { bindings: counting.bindings }).POST(
        "/api/v1/activity-logs",
        { body: logBody },
      );
      expect(response.status).toBe(503);
      expect(response.headers.get("Retry-After")).toBe("300");
      expect(error?.detail).toMatch(/not configured correctly/);
    }
    expect(counting.calls()).toBe(2);
    const rows = await env.DB_3.prepare("select count(*) as n from activities where org_id = ?")
      .bind(org)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });
});

const logBody = { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-24T14:00:00Z" };
