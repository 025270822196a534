import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createMentorActivityClient } from "../../clients/typescript/index";
import { databaseBinding } from "../../src/db/databases";
import type { Env } from "../../src/env";
import { loggableError } from "../../src/lib/log";
import { call } from "../helpers/api";
import { signToken } from "../helpers/auth";
import { api, TEST_ORIGIN, workerFetch } from "../helpers/client";
import { instrumentD1 } from "../helpers/instrumented-d1";
import { type TestOrg, testOrg } from "../helpers/org";

type Line = Record<string, unknown>;

/** The JSON lines written through console while `run` sends its requests. */
async function captureLogs(run: () => Promise<void>): Promise<{ lines: Line[]; raw: string }> {
  const written: string[] = [];
  for (const method of ["log", "warn", "error"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      written.push(args.map(String).join(" "));
    });
  }
  await run();
  return { lines: written.map((text) => JSON.parse(text) as Line), raw: written.join("\n") };
}

afterEach(() => {
  vi.restoreAllMocks();
});

const requestLines = (lines: Line[], requestId: string | null) =>
  lines.filter((line) => line.msg === "request" && line.request_id === requestId);

describe("request log", () => {
  it("writes one line per request with the route pattern, status, duration and caller, and no secrets", async () => {
    const o = await testOrg();
    // The client is handed the token itself, so the log can be searched for it.
    const token = await signToken(o.coordinator);
    const coordinator = createMentorActivityClient(TEST_ORIGIN, token, { fetch: workerFetch() });
    const secretNote = "a private note about the mentee";
    let created: Response | undefined;
    const { lines, raw } = await captureLogs(async () => {
      const sent = await coordinator.POST("/api/v1/activity-attributions", {
        body: {
          activity_type_id: "one-on-one",
          activity_date: "2026-03-24T14:00:00Z",
          coordinator_id: "coord-007",
          mentor_id: "mentor-042",
          notes: secretNote,
        },
      });
      created = sent.response;
    });
    expect(created?.status).toBe(201);
    const requestId = created?.headers.get("X-Request-Id") ?? null;
    const mine = requestLines(lines, requestId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toEqual({
      level: "info",
      msg: "request",
      request_id: requestId,
      method: "POST",
      route: "/api/v1/activity-attributions",
      status: 201,
      duration_ms: expect.any(Number),
      sub: "coord-007",
      org: o.org,
    });
    expect(raw).not.toContain(token);
    expect(raw).not.toContain("Bearer");
    expect(raw).not.toContain(secretNote);
  });

  it("logs the pattern rather than the raw path, and a refused caller without identity", async () => {
    const o = await testOrg();
    const member = { params: { path: { member_id: "mentor-042" } } };
    const stranger = createMentorActivityClient(TEST_ORIGIN, "not-a-token", { fetch: workerFetch() });
    let found: Response | undefined;
    let refused: Response | undefined;
    let missing: Response | undefined;
    const { lines } = await captureLogs(async () => {
      found = (await api(o.admin).GET("/api/v1/members/{member_id}", member)).response;
      refused = (await stranger.GET("/api/v1/members/{member_id}", member)).response;
      // Not a route of the contract, so sent raw.
      missing = await call("GET", "/nowhere");
    });
    expect(requestLines(lines, found?.headers.get("X-Request-Id") ?? null)).toEqual([
      expect.objectContaining({
        route: "/api/v1/members/:member_id",
        status: 200,
        sub: "admin-007",
        org: o.org,
      }),
    ]);
    expect(requestLines(lines, refused?.headers.get("X-Request-Id") ?? null)).toEqual([
      expect.objectContaining({ route: "/api/v1/members/:member_id", status: 401, sub: null, org: null }),
    ]);
    expect(requestLines(lines, missing?.headers.get("X-Request-Id") ?? null)).toEqual([
      expect.objectContaining({ route: null, status: 404, method: "GET" }),
    ]);
  });
});

type Answer = (o: TestOrg) => Promise<Response>;

describe("security headers and request IDs", () => {
  it.each<[string, Answer, number]>([
    ["a success", async (o) => (await api(o.admin).GET("/health")).response, 200],
    // Outside the contract (a route it lacks, a body that is not JSON), so sent raw.
    ["an unknown route", (o) => call("GET", "/api/v2/nothing", { as: o.admin }), 404],
    [
      "a wrong media type",
      (o) =>
        call("POST", "/api/v1/activity-logs", {
          as: o.admin,
          rawBody: "x",
          headers: { "Content-Type": "text/plain" },
        }),
      415,
    ],
  ])("are on %s", async (_label, answer, status) => {
    const o = await testOrg();
    const res = await answer(o);
    expect(res.status).toBe(status);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Strict-Transport-Security")).toBeTruthy();
    expect(res.headers.get("X-Request-Id")).toBeTruthy();
  });
});

describe("error logs", () => {
  it("carry what the database said of a failed query, never its bound values", async () => {
    const o = await testOrg();
    const secret = `Private note ${crypto.randomUUID()}`;
    const key = `key-${crypto.randomUUID()}`;
    const entry = { activity_type: "check_in", occurred_at: "2026-03-10T09:00:00Z", client_ref: "ios:1" };
    const first = await api(o.mentor).POST("/api/v1/activity-logs", {
      body: { ...entry, description: secret },
    });
    expect(first.response.status).toBe(201);

    // D1 fails the one statement that stores the answer of a keyed 4xx.
    let pending = "";
    const flaky = instrumentD1(databaseBinding(env as unknown as Record<string, unknown>, o.database), {
      statement: (statement) => {
        pending = statement.sql;
      },
      // Only a statement run alone: the write batches, which also touch the key, go through.
      batch: (_statements, run) => {
        pending = "";
        return run();
      },
      call: (run) => {
        if (/^update "idempotency_keys"/i.test(pending))
          throw new Error("D1_ERROR: Network connection lost.");
        return run();
      },
    });
    const lines: string[] = [];
    for (const level of ["log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation(
        (...args: unknown[]) => void lines.push(args.map(String).join(" ")),
      );
    }
    // The same client_ref with other content: a 409 whose body carries the stored entry.
    const reused = await api(o.mentor, { bindings: { ...env, [o.database]: flaky } as Env }).POST(
      "/api/v1/activity-logs",
      { body: { ...entry, description: "Other" }, headers: { "Idempotency-Key": key } },
    );
    vi.restoreAllMocks();
    expect(reused.response.status).toBe(409);
    const warning = lines.find((line) => line.includes("idempotency key not recorded"));
    expect(warning).toContain("query failed: D1_ERROR: Network connection lost.");
    const logged = lines.join("\n");
    expect(logged).not.toContain(secret);
    expect(logged).not.toContain(key);
  });

  it("cut any other message where a parameter list would begin", () => {
    expect(loggableError(new Error("D1_ERROR: busy\nparams: secret,values"))).toBe("D1_ERROR: busy");
    expect(loggableError("plain")).toBe("plain");
  });
});
