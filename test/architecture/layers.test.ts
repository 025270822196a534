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

/**
 * Modules any layer may import: data that imports nothing of the project, so importing it drags
 * no layer along. The audit vocabulary is one: the outbox payloads (db) name their actions by
 * it, and the audit log and the routes show them by it.
 */
const SHARED_DATA = ["audit/vocabulary"];

const sources = import.meta.glob<string>("../../src/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});

/** A file's path inside src/, without its extension. */
const modulePath = (path: string) => path.replace(/^.*\/src\//, "").replace(/\.ts$/, "");

/** The top-level part of src/ a file belongs to: a folder, or a top-level file's name. */
function layerOf(path: string): string {
  const [first = ""] = modulePath(path).split("/");
  return first;
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
    [...text.matchAll(IMPORT)].map((m) => {
      const target = resolve(file, m[1] ?? "");
      return { file, from: layerOf(file), to: layerOf(target), module: modulePath(target) };
    }),
  );

/** Imports of `layer` that reach a layer it may not import. */
function violations(files: Record<string, string>, layer: string): string[] {
  const allowed = new Set([layer, ...(MAY_IMPORT[layer] ?? [])]);
  return edgesOf(files)
    .filter((e) => e.from === layer && !allowed.has(e.to) && !SHARED_DATA.includes(e.module))
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

  it("would let db import the shared vocabulary, and nothing else of audit", () => {
    const files = {
      "../../src/db/x.ts":
        'import type { A } from "../audit/vocabulary";\nimport { b } from "../audit/chain";',
    };
    expect(violations(files, "db")).toEqual(["../../src/db/x.ts → audit"]);
  });

  it.each(SHARED_DATA)("%s, which every layer may import, imports nothing of the project", (module) => {
    const imports = edgesOf(sources).filter((e) => modulePath(e.file) === module);
    expect(Object.keys(sources).some((file) => modulePath(file) === module)).toBe(true);
    expect(imports).toEqual([]);
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
