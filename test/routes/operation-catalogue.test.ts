import { describe, expect, it } from "vitest";
import { operationsOf, servedDocument } from "../helpers/access";
import { CATALOGUE, PUBLIC_OPERATIONS } from "../helpers/operations";

// The cross-cutting tests (authorization matrix, exactly-once, round trips, preconditions) run
// on what the operation catalogue lists; these hold the catalogue to the document the Worker
// serves, so a route cannot reach the API without them.

const served = operationsOf(await servedDocument()).map(({ path, method, operation }) => ({
  id: operation.operationId ?? `${method} ${path}`,
  method,
  operation,
}));

/** The operations that declare the header parameter `name`. */
const declaring = (name: string) =>
  served
    .filter(({ operation }) =>
      (operation.parameters ?? []).some(
        (p) => !("$ref" in p) && p.in === "header" && p.name.toLowerCase() === name,
      ),
    )
    .map(({ id }) => id)
    .sort();

const publicIds: string[] = Object.keys(PUBLIC_OPERATIONS);

describe("the operation catalogue", () => {
  it("names every operation of the served OpenAPI document, and no other", () => {
    const listed = [...CATALOGUE.map(({ id }) => id), ...publicIds].sort();
    expect(listed).toEqual(served.map(({ id }) => id).sort());
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("leaves out only operations that ask for no bearer token", () => {
    for (const { id, operation } of served.filter(({ id }) => publicIds.includes(id))) {
      expect(operation.security ?? [], id).toEqual([]);
    }
  });

  it("says what every operation but a GET writes", () => {
    const writing = served.filter(({ method, id }) => method !== "get" && !publicIds.includes(id));
    const silent = writing.filter(
      ({ id }) => CATALOGUE.find((c) => c.id === id)?.operation.writes === undefined,
    );
    expect(silent.map(({ id }) => id)).toEqual([]);
    const readsThatWrite = CATALOGUE.filter(
      ({ id, operation }) =>
        operation.writes !== undefined && served.find((s) => s.id === id)?.method === "get",
    );
    expect(readsThatWrite.map(({ id }) => id)).toEqual([]);
  });

  it("says how an Idempotency-Key is kept exactly where the document declares the header", () => {
    const keyed = CATALOGUE.filter(({ operation }) => operation.writes?.keyed !== undefined).map(
      ({ id }) => id,
    );
    expect(keyed.sort()).toEqual(declaring("idempotency-key"));
  });

  it("marks If-Match exactly where the document declares the header", () => {
    const matched = CATALOGUE.filter(({ operation }) => operation.ifMatch !== undefined).map(({ id }) => id);
    expect(matched.sort()).toEqual(declaring("if-match"));
  });
});
