// What clients generated from /openapi.json can see: every status an operation answers and every
// header it sends must be declared on it, whether the route or the middleware produced them.
import type { OpenAPI3 } from "openapi-typescript";
import { describe, expect, it } from "vitest";
import { operationsOf } from "../helpers/access";
import { call, json } from "../helpers/api";
import { signToken } from "../helpers/auth";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

/** The headers a client acts on; each one an answer carries must be declared for its status. */
const CLIENT_HEADERS = [
  "ETag",
  "Location",
  "Retry-After",
  "RateLimit",
  "RateLimit-Policy",
  "X-D1-Bookmark",
  "Idempotent-Replayed",
  "WWW-Authenticate",
];

async function documentOf(): Promise<OpenAPI3> {
  return json<OpenAPI3>(await call("GET", "/openapi.json"));
}

/** What of an answer its operation does not declare: its status, or headers it carries. */
function undeclared(doc: OpenAPI3, method: string, path: string, res: Response): string[] {
  const operation = operationsOf(doc).find((o) => o.method === method && o.path === path)?.operation;
  if (!operation) return [`no operation ${method} ${path}`];
  const response = operation.responses?.[String(res.status)];
  if (!response || "$ref" in response) return [`status ${res.status}`];
  const declared = new Set(Object.keys(response.headers ?? {}).map((name) => name.toLowerCase()));
  return CLIENT_HEADERS.filter((name) => res.headers.has(name) && !declared.has(name.toLowerCase())).map(
    (name) => `${res.status} header ${name}`,
  );
}

describe("the OpenAPI document against the answers", () => {
  it("declares on every /api/v1 operation what the middleware adds: the bookmark, the quota, replays, the challenge", async () => {
    const doc = await documentOf();
    for (const { path, method, operation } of operationsOf(doc)) {
      if (!path.startsWith("/api/v1/")) continue;
      const parameters = (operation.parameters ?? []).map((p) =>
        "$ref" in p ? p.$ref : `${p.in}:${p.name}`,
      );
      expect(parameters, `${method} ${path}`).toContain("header:x-d1-bookmark");
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if ("$ref" in response) continue;
        const names = Object.keys(response.headers ?? {});
        expect(names, `${method} ${path} ${status}`).toEqual(
          expect.arrayContaining([
            "X-D1-Bookmark",
            "RateLimit-Policy",
            ...(method === "post" ? ["Idempotent-Replayed"] : []),
            ...(status === "401" ? ["WWW-Authenticate"] : []),
          ]),
        );
      }
    }
    expect(Object.keys(doc.components?.headers ?? {})).toEqual(
      expect.arrayContaining(["D1Bookmark", "RateLimitPolicy", "IdempotentReplayed", "WWWAuthenticate"]),
    );
  });

  it("declares the statuses and headers of real answers: 401, 404, 412 with current, 413, 415, 201 with Location, replays", async () => {
    const doc = await documentOf();
    const o = await testOrg("contract");
    const admin = await signToken(o.admin);
    const found: string[] = [];
    const check = (method: string, path: string, res: Response) =>
      found.push(...undeclared(doc, method, path, res));

    check(
      "get",
      "/api/v1/activity-logs",
      await call("GET", "/api/v1/activity-logs", { token: "not.a.token" }),
    );

    // A conditional PUT of a member that does not exist, and a stale one.
    const missing = await api(o.admin).PUT("/api/v1/members/{member_id}", {
      params: { path: { member_id: "nobody" }, header: { "if-match": "*" } },
      body: { name: "Nobody", roles: ["mentor"] },
    });
    expect(missing.response.status).toBe(404);
    check("put", "/api/v1/members/{member_id}", missing.response);
    const stale = await api(o.admin).PUT("/api/v1/members/{member_id}", {
      params: { path: { member_id: "mentor-033" }, header: { "if-match": '"stale"' } },
      body: { name: "Alex Chen", roles: ["mentor"] },
    });
    expect(stale.response.status).toBe(412);
    expect(stale.response.headers.get("ETag")).toBeTruthy();
    expect(stale.error).toHaveProperty("current.member_id", "mentor-033");
    check("put", "/api/v1/members/{member_id}", stale.response);
    const schema = operationsOf(doc).find((op) => op.operation.operationId === "putMember")?.operation
      .responses?.["412"];
    expect(JSON.stringify(schema)).toContain('"current"');

    // Bodies the routes do not read are still held to the media type and the size limit.
    const verify = "/api/v1/proxy-audit-logs/verify";
    const asText = await call("POST", verify, {
      token: admin,
      headers: { "Content-Type": "text/plain" },
      rawBody: "go",
    });
    expect(asText.status).toBe(415);
    check("post", verify, asText);
    const large = JSON.stringify({ padding: "x".repeat(70_000) });
    const tooLarge = await call("POST", verify, {
      token: admin,
      headers: { "Content-Type": "application/json" },
      rawBody: large,
    });
    expect(tooLarge.status).toBe(413);
    check("post", verify, tooLarge);
    const created = await api(o.mentor).POST("/api/v1/activity-logs", {
      body: { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-10T09:00:00Z" },
      headers: { "Idempotency-Key": "contract-1" },
    });
    expect(created.response.headers.get("Location")).toBeTruthy();
    check("post", "/api/v1/activity-logs", created.response);
    const replayed = await api(o.mentor).POST("/api/v1/activity-logs", {
      body: { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-10T09:00:00Z" },
      headers: { "Idempotency-Key": "contract-1" },
    });
    expect(replayed.response.headers.get("Idempotent-Replayed")).toBe("true");
    check("post", "/api/v1/activity-logs", replayed.response);
    const id = created.data?.log_id ?? "";
    const deleted = await call("DELETE", `/api/v1/activity-logs/${id}`, {
      token: admin,
      headers: { "Content-Type": "application/json" },
      rawBody: large,
    });
    expect(deleted.status).toBe(413);
    check("delete", "/api/v1/activity-logs/{id}", deleted);

    expect(found).toEqual([]);
  });
});
