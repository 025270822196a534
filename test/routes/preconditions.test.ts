import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { api } from "../helpers/client";
import {
  CATALOGUE,
  type IfMatch,
  type Operation,
  ownersSubject,
  representationOf,
} from "../helpers/operations";
import { testOrg } from "../helpers/org";

// SPEC §10: a 412 for a stale If-Match carries the current representation as `current` and its
// ETag, so the client can merge without another call; sending that ETag then succeeds.

type Problem = components["schemas"]["Problem"] & { current?: unknown };

const stale = '"0000000000000000000000000000000000000000000000000000000000000000"';

function expectCurrent(answer: { response: Response; error?: unknown }, current: unknown): string {
  expect(answer.response.status).toBe(412);
  expect((answer.error as Problem).current).toEqual(current);
  const etag = answer.response.headers.get("ETag");
  expect(etag).toMatch(/^"[0-9a-f]+"$/);
  return etag ?? "";
}

/** Every operation the catalogue marks as taking If-Match. */
const CASES: { operation: string; op: Operation; ifMatch: IfMatch }[] = CATALOGUE.flatMap(
  ({ id, operation }) =>
    operation.ifMatch ? [{ operation: id, op: operation, ifMatch: operation.ifMatch }] : [],
);

describe("412 Precondition Failed carries the current version", () => {
  it.each(CASES)("on $operation, whose current ETag then lets it through", async ({ op, ifMatch }) => {
    const o = await testOrg("precond");
    const caller = o.caller[ifMatch.as];
    const { request, success } = ifMatch.existing ?? { request: op.request, success: op.success };
    const { send, target } = await request(o, ownersSubject(o, op.owner));
    if (target === undefined || op.resource === undefined) throw new Error("If-Match on nothing readable");
    const read = await representationOf(api(caller), op.resource, target);

    const refused = await send(api(caller, { headers: { "If-Match": stale } }));
    const etag = expectCurrent(refused, read.body);
    expect(etag).toBe(read.etag);
    // The ETag the 412 carried is current: the merged write goes through.
    const merged = await send(api(caller, { headers: { "If-Match": etag } }));
    expect(merged.response.status, JSON.stringify(merged.error)).toBe(success);
  });

  it("answers a missing resource 404 with or without If-Match, carrying nothing", async () => {
    const o = await testOrg("precond");
    const put = await api(o.admin).PUT("/api/v1/activity-logs/{id}", {
      params: { path: { id: "log_0000000000000000" } },
      headers: { "If-Match": stale },
      body: { description: "x" },
    });
    expect(put.response.status).toBe(404);
    expect((put.error as Problem).current).toBeUndefined();
  });
});
