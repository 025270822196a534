import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { call, json, newOrg } from "../helpers/api";

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

describe("service routes", () => {
  it("answers /health without a token", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("lists the seven catalogue activity types with their categories", async () => {
    const res = await call("GET", "/api/v1/activity-types", {
      as: { sub: "m1", org: newOrg(), roles: ["mentor"] },
    });
    expect(res.status).toBe(200);
    const body = await json<{ data: { id: string; category: string }[] }>(res);
    expect(Object.fromEntries(body.data.map((t) => [t.id, t.category]))).toEqual({
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
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = await json<OpenApiDoc>(res);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });

    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
      ),
    );
    const served = buildApp()
      .routes.filter((r) => r.method !== "ALL" && !["/openapi.json", "/docs"].includes(r.path))
      .map((r) => `${r.method} ${r.path}`);
    expect(served.length).toBeGreaterThan(0);
    for (const route of served) expect(documented).toContain(route);

    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith("/api/v1/")) continue;
      for (const op of Object.values(ops)) {
        expect(op.security).toEqual([{ bearerAuth: [] }]);
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["400", "401", "403", "500"]));
      }
    }
  });

  it("serves the reference page with its script from this Worker under a strict CSP", async () => {
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
