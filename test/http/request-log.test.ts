import { afterEach, describe, expect, it, vi } from "vitest";
import { createMentorActivityClient } from "../../clients/typescript/index";
import { call } from "../helpers/api";
import { signToken } from "../helpers/auth";
import { api, TEST_ORIGIN, workerFetch } from "../helpers/client";
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
