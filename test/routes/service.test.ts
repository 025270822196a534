import type { OpenAPI3 } from "openapi-typescript";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { buildApp } from "../../src/app";
import { operationsOf } from "../helpers/access";
import { call, json } from "../helpers/api";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

describe("service routes", () => {
  it("answers /health without a token", async () => {
    // No token: the typed client always sends one, so this request is sent raw.
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(await json<components["schemas"]["Health"]>(res)).toEqual({ status: "ok" });
  });

  it("lists the seven catalogue activity types with their categories", async () => {
    const { data, response } = await api((await testOrg()).mentor).GET("/api/v1/activity-types");
    expect(response.status).toBe(200);
    expect(Object.fromEntries((data?.data ?? []).map((t) => [t.id, t.category]))).toEqual({
      session_completed: "session",
      referral_made: "referral",
      check_in: "check_in",
      documentation: "documentation",
      training_attended: "training",
      "one-on-one": "session",
      workshop: "workshop",
    });
  });

  it("serves an OpenAPI 3.1 document listing every route with bearer security and its error statuses", async () => {
    // The document itself is not a route of the contract: read raw, typed as openapi-typescript types it.
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = await json<OpenAPI3>(res);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });

    const operations = operationsOf(doc);
    const documented = new Set(
      operations.map(({ path, method }) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    const served = buildApp()
      .routes.filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs"].includes(r.path))
      .map((r) => `${r.method} ${r.path}`);
    expect(served.length).toBeGreaterThan(0);
    for (const route of served) expect(documented).toContain(route);

    for (const { path, operation } of operations) {
      if (!path.startsWith("/api/v1/")) continue;
      expect(operation.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(operation.responses ?? {})).toEqual(
        expect.arrayContaining(["400", "401", "403", "500"]),
      );
    }
  });

  it("serves the reference page with its script from this Worker under a strict CSP", async () => {
    // An HTML page, not a route of the contract.
    const res = await call("GET", "/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    const nonce = /'nonce-([0-9a-f]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/https?:/);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1] ?? "");
    expect(scripts.length).toBeGreaterThan(0);
    for (const attrs of scripts) expect(attrs).toContain(`nonce="${nonce}"`);
    expect(html).toContain('src="/docs/assets/scalar-standalone.js"');
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/cdn\.jsdelivr|unpkg|https:\/\/cdn/);
  });
});
