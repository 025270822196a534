import { describe, expect, it } from "vitest";

/**
 * The layers of src/ and what each may import. A layer imports only from itself and the layers
 * listed for it, so dependencies point one way: lib ← db ← audit ← auth ← http ← routes ← app.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  lib: [],
  db: ["lib"],
  audit: ["lib", "db"],
  auth: ["lib", "db", "env", "config"],
  http: ["lib", "db", "audit", "auth", "env", "config", "types"],
  routes: ["lib", "db", "audit", "auth", "http", "env", "config", "types"],
};

const sources = import.meta.glob<string>("../../src/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});

/** The top-level part of src/ a file belongs to: a folder, or a top-level file's name. */
function layerOf(path: string): string {
  const rest = path.replace(/^.*\/src\//, "");
  const [first = ""] = rest.split("/");
  return first.replace(/\.ts$/, "");
}

function resolve(from: string, specifier: string): string {
  const parts = from.split("/").slice(0, -1);
  for (const segment of specifier.split("/")) {
    if (segment === "..") parts.pop();
    else if (segment !== ".") parts.push(segment);
  }
  return parts.join("/");
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g;

const edgesOf = (files: Record<string, string>) =>
  Object.entries(files).flatMap(([file, text]) =>
    [...text.matchAll(IMPORT)].map((m) => ({
      file,
      from: layerOf(file),
      to: layerOf(resolve(file, m[1] ?? "")),
    })),
  );

/** Imports of `layer` that reach a layer it may not import. */
function violations(files: Record<string, string>, layer: string): string[] {
  const allowed = new Set([layer, ...(MAY_IMPORT[layer] ?? [])]);
  return edgesOf(files)
    .filter((e) => e.from === layer && !allowed.has(e.to))
    .map((e) => `${e.file} → ${e.to}`);
}

describe("layers of src/", () => {
  it("finds the sources and their imports", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(40);
    expect(edgesOf(sources).length).toBeGreaterThan(100);
  });

  it("would notice lib importing http", () => {
    const files = { "../../src/lib/x.ts": 'import type { Y } from "../http/y";\nexport const x = 1;' };
    expect(violations(files, "lib")).toEqual(["../../src/lib/x.ts → http"]);
  });

  it.each(Object.keys(MAY_IMPORT))("%s imports only from the layers below it", (layer) => {
    expect(violations(sources, layer)).toEqual([]);
  });
});

describe("the organisation's database and audit log (SPEC §13)", () => {
  /**
   * Reaching a binding, or building an audit log client, instead of using what the database
   * middleware bound to the request (auditKeys reads only keys).
   */
  const DIRECT = /\bc\.env\b|\benv\.(AUDIT_LOG|DIRECTORY|DB_\d+)\b|databaseBinding\(|\/audit\/client"/;
  const direct = (text: string) => DIRECT.test(text.replace(/auditKeys\(c\.env\)/g, ""));

  it("would notice a handler that takes the audit namespace from c.env, or imports the audit client", () => {
    expect(direct("await auditLogOf(c.env.AUDIT_LOG, caller.org).list(query);")).toBe(true);
    expect(direct('import { auditLogOf } from "../../audit/client";')).toBe(true);
    expect(direct("await c.var.org.log.list(query);")).toBe(false);
  });

  it("reach the routes only as c.var.org, bound once by the database middleware", () => {
    const routes = Object.entries(sources).filter(([file]) => layerOf(file) === "routes");
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter(([, text]) => direct(text)).map(([file]) => file)).toEqual([]);
  });
});
