import { describe, expect, it } from "vitest";
import type { MentorActivityClient } from "../../clients/typescript/index";
import { forgetPlacement } from "../../src/db/placement";
import { operationAt, servedDocument } from "../helpers/access";
import { newOrg } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import {
  CATALOGUE,
  type Operation,
  ownersSubject,
  type RoundTripCase,
  representationOf,
} from "../helpers/operations";
import { type TestOrg, testOrg } from "../helpers/org";
import { countCall } from "../helpers/round-trips";
import table from "./round-trip-budgets.json";

const doc = await servedDocument();

/**
 * A fresh organisation whose callers have each made one request already: the authentication
 * middleware then trusts their member status for 30 s, so what is counted is the endpoint's
 * own cost, as for a client that is using the app.
 */
async function fixture(): Promise<TestOrg> {
  const o = await testOrg();
  for (const who of [o.coordinator, o.admin, o.compliance, o.mentor]) {
    await countCall(who, (c) => c.GET("/api/v1/activity-types"));
  }
  return o;
}

/** The answer of a setup call the counted request depends on: it must have succeeded. */
function succeeded(sent: { error?: unknown; response: Response }): void {
  expect(sent.response.status, JSON.stringify(sent.error)).toBeLessThan(300);
}

interface Case extends RoundTripCase {
  operation: string;
  op: Operation;
}

/** Every row of the catalogue's operations, each with its operation. */
const cases: Case[] = CATALOGUE.flatMap(({ id, operation }) =>
  "unbudgeted" in operation.roundTrips
    ? []
    : operation.roundTrips.map((c) => ({ ...c, operation: id, op: operation })),
);

/**
 * Prepares the case's request in the fixture (uncounted), and names who sends it, the headers
 * it carries and the call.
 */
async function prepare(f: TestOrg, c: Case) {
  const as = f.caller[c.as];
  const { send, target } = await (c.request ?? c.op.request)(f, ownersSubject(f, c.op.owner));
  const headers: Record<string, string> = {};
  if (c.key) headers["Idempotency-Key"] = `key-${crypto.randomUUID()}`;
  if (c.key === "replayed") succeeded(await send(api(as, { headers })));
  if (c.ifMatch) {
    if (target === undefined || c.op.resource === undefined)
      throw new Error(`${c.row} names nothing to match`);
    const { etag } = await representationOf(api(as), c.op.resource, target);
    if (etag === null) throw new Error(`${c.row}: its target answered no ETag`);
    headers["If-Match"] = etag;
  }
  return { as, headers, send };
}

describe("round trips per request (SPEC §8: a read is 1 D1 call; a write is 1 D1 batch and at most 1 object call)", () => {
  it("covers every endpoint of the budget table, and no other", () => {
    expect(cases.map((c) => c.row).sort()).toEqual(Object.keys(table.budgets).sort());
  });

  it.each(cases)("$row ($operation) stays within its budget", async (c) => {
    const f = await fixture();
    const { as, headers, send } = await prepare(f, c);
    const { sent, method, url, inline, deferred } = await countCall(as, send, { headers });
    expect(sent.response.status, JSON.stringify(sent.error)).toBeLessThan(300);
    expect(operationAt(doc, method, url), "the counted request went elsewhere").toBe(c.operation);
    const budget = table.budgets[c.row];
    expect(method).toBe(budget.method);
    expect({ d1: inline.d1, object: inline.object, deferred_d1: deferred.d1 }).toEqual({
      d1: budget.d1,
      object: budget.object,
      deferred_d1: budget.deferred_d1,
    });
    // Every D1 call of a request goes through the one session that yields its bookmark.
    expect(inline.sessions).toBe(1);
    expect(deferred.object).toBe(0);
    // The organisation's database came from this isolate's directory cache: no round trip for it.
    expect({ inline: inline.directory, deferred: deferred.directory }).toEqual({
      inline: table.directory.cached,
      deferred: 0,
    });
  });

  it("exceeds 'a read is 1 round trip; a write is 1 D1 batch and at most 1 object call' only with a reason", () => {
    const unexplained = Object.entries(table.budgets).filter(([, budget]) => {
      const within =
        budget.method === "GET" ? budget.d1 + budget.object <= 1 : budget.d1 <= 1 && budget.object <= 1;
      return !within && !("exception" in budget);
    });
    expect(unexplained.map(([name]) => name)).toEqual([]);
  });
});

describe("the directory lookup (SPEC §13) adds round trips only to an organisation this isolate has not looked up lately", () => {
  const read = (c: MentorActivityClient) => c.GET("/api/v1/activity-types");

  it("costs a cached organisation none, an expired one a read, and a new one a read and a placement", async () => {
    const o = await testOrg();
    await countCall(o.mentor, read);
    const cached = await countCall(o.mentor, read);
    expect({ d1: cached.inline.d1, directory: cached.inline.directory }).toEqual({
      d1: table.budgets["activity types"].d1,
      directory: table.directory.cached,
    });

    forgetPlacement(o.org);
    const uncached = await countCall(o.mentor, read);
    expect({ d1: uncached.inline.d1, directory: uncached.inline.directory }).toEqual({
      d1: table.budgets["activity types"].d1,
      directory: table.directory.uncached,
    });

    const newcomer: TokenClaims = { sub: "mentor-first", org: newOrg("first"), roles: ["mentor"] };
    const first = await countCall(newcomer, read);
    expect(first.sent.response.status).toBe(200);
    expect(first.inline.directory).toBe(table.directory.first_request);
  });
});
