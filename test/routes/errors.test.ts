import { describe, expect, it, vi } from "vitest";
import type { components } from "../../clients/typescript/index";
import { createApp } from "../../src/http/create-app";
import { MAX_BODY_BYTES } from "../../src/lib/limits";
import { call, json } from "../helpers/api";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

type Problem = components["schemas"]["Problem"];

/**
 * Checks a problem+json answer and answers its body: the typed client's `error`, or, for a
 * request sent raw, the body read from the response.
 */
async function problem(
  sent: Response | { response: Response; error?: Problem },
  status: number,
): Promise<Problem> {
  const res = sent instanceof Response ? sent : sent.response;
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  const body = sent instanceof Response ? await json<Problem>(sent) : sent.error;
  expect(body).toMatchObject({
    status,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (body === undefined) throw new Error("a problem without a body");
  return body;
}

const admin = async () => (await testOrg()).admin;
const memberPath = "/api/v1/members/{member_id}";

describe("problem+json errors", () => {
  // Routes the contract does not have: sent raw, as the typed client has no path for them.
  it("answers an unknown route with 404", async () => {
    const body = await problem(await call("GET", "/api/v2/nothing-here"), 404);
    expect(body.detail).toContain("/api/v2/nothing-here");
  });

  it("answers an unknown route under /api/v1 with 401 before 404, and 404 once authenticated", async () => {
    await problem(await call("GET", "/api/v1/nothing-here"), 401);
    await problem(await call("GET", "/api/v1/nothing-here", { as: await admin() }), 404);
  });

  it("answers a body that is not JSON with 415", async () => {
    // A form body, which the typed client cannot send.
    const res = await call("PUT", "/api/v1/members/m-1", {
      as: await admin(),
      rawBody: "name=Sam",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    const body = await problem(res, 415);
    expect(body.detail).toMatch(/application\/json/);
  });

  it("answers a body over the limit with 413 and writes nothing", async () => {
    const client = api(await admin());
    const big = { path: { member_id: "m-big" } };
    const res = await client.PUT(memberPath, {
      params: big,
      body: { name: "x".repeat(MAX_BODY_BYTES + 1), roles: ["mentor"], active: true },
    });
    await problem(res, 413);
    await problem(await client.GET(memberPath, { params: big }), 404);
  });

  it("answers malformed JSON with 400", async () => {
    const res = await call("PUT", "/api/v1/members/m-1", {
      as: await admin(),
      rawBody: '{"name": "Sam",',
      headers: { "Content-Type": "application/json" },
    });
    const body = await problem(res, 400);
    expect(body.title).toBe("Malformed JSON");
  });

  it("names every bad field of a validation failure", async () => {
    // Values and a field the contract's types forbid, so sent raw.
    const res = await call("PUT", "/api/v1/members/m-1", {
      as: await admin(),
      body: { name: "", roles: ["wizard"], active: "yes", created_at: "2026-01-01T00:00:00Z" },
    });
    const body = await problem(res, 400);
    const paths = (body.errors ?? []).map((e) => e.path).sort();
    expect(paths).toEqual(["active", "created_at", "name", "roles.0"]);
  });

  it("names a bad query parameter", async () => {
    const res = await api(await admin()).GET("/api/v1/members", {
      params: { query: { limit: 1000, page: 0 } },
    });
    const body = await problem(res, 400);
    expect((body.errors ?? []).map((e) => e.path).sort()).toEqual(["limit", "page"]);
  });

  it("carries the request ID in the header and never a stack", async () => {
    // A limit that is not a number, which the typed client would not send.
    const res = await call("GET", "/api/v1/members?limit=abc", { as: await admin() });
    const requestId = res.headers.get("X-Request-Id");
    expect(requestId).toBeTruthy();
    const text = await res.text();
    expect(text).not.toMatch(/at .*\.ts:\d+|stack/i);
  });
});

describe("unexpected errors", () => {
  it("answer 500 with only the request ID, and are logged with their stack", async () => {
    const app = createApp();
    app.get("/boom", () => {
      throw new Error("secret database detail");
    });
    const logged: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => {
      logged.push(line);
    });
    const res = await app.request("/boom");
    spy.mockRestore();
    const body = await problem(res, 500);
    const requestId = res.headers.get("X-Request-Id");
    expect(requestId).toBeTruthy();
    expect(body.request_id).toBe(requestId);
    expect(JSON.stringify(body)).not.toContain("secret database detail");
    expect(body.detail).toContain(requestId);
    expect(logged).toHaveLength(1);
    const log = JSON.parse(logged[0] ?? "{}");
    expect(log).toMatchObject({ level: "error", request_id: requestId, message: "secret database detail" });
    // The stack's frames; its first line only repeats the message, which is logged once, above.
    expect(log.stack).toMatch(/^\s*at /);
    expect(log.stack).not.toContain("secret database detail");
  });
});
