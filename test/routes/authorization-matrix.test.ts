import { describe, expect, it } from "vitest";
import type { MentorActivityClient } from "../../clients/typescript/index";
import type { Role } from "../../src/auth/caller";
import {
  ALL_ROLES,
  type Grant,
  operationAt,
  operationsOf,
  SPEC_ROLE_TABLE,
  servedDocument,
} from "../helpers/access";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import {
  CATALOGUE,
  type Foreign,
  type Operation,
  operationNamed,
  type Read,
  readOf,
  type Send,
  someoneElses,
} from "../helpers/operations";
import { type TestOrg, testOrg } from "../helpers/org";
import { auditEntryOf, observe } from "../helpers/world";

const doc = await servedDocument();

/** Whose thing a cell aims at: the caller's own, someone else's, or nobody's (no owner in the route). */
type Target = "own" | "other" | "unowned";

/** The typed client signed in as `claims`, and the method and URL of the last request it sent. */
function recordingClient(claims: TokenClaims): {
  client: MentorActivityClient;
  sent: () => { method: string; url: string };
} {
  const client = api(claims);
  let sent = { method: "", url: "" };
  client.use({
    onRequest: ({ request }) => {
      sent = { method: request.method, url: request.url };
    },
  });
  return { client, sent: () => sent };
}

interface Cell {
  action: string;
  operation: string;
  role: Role;
  grant: Grant;
  target: Target;
  expected: number;
}

/**
 * Someone else's thing, aimed at by a caller that may act on its own, is answered in a 200 entry
 * by entry where the operation refuses it so (SPEC §10), as 404 where the handler hides it as if
 * it did not exist (SPEC §12: "a mentor asking for another mentor's entry gets 404"), else 403.
 */
const refusedPerEntry = (op: Operation, cell: Pick<Cell, "grant" | "target">) =>
  op.othersAnswered !== undefined &&
  "perEntry" in op.othersAnswered &&
  cell.grant === "own" &&
  cell.target === "other";

function expectedStatus(op: Operation, grant: Grant, target: Target): number {
  const allowed = grant === "any" || (grant === "own" && target === "own");
  if (allowed || refusedPerEntry(op, { grant, target })) return op.success;
  const hidden = grant !== "none" && op.othersAnswered !== undefined && "notFound" in op.othersAnswered;
  return hidden ? 404 : 403;
}

/** Every cell of the table; an "own" cell is split into the caller's own and someone else's. */
const CELLS: Cell[] = SPEC_ROLE_TABLE.flatMap((row) =>
  row.operations.flatMap((operation) => {
    const op = operationNamed(operation);
    return ALL_ROLES.flatMap((role) => {
      const grant = row.grants[role];
      const targets: Target[] =
        op.owner === null ? ["unowned"] : grant === "own" ? ["own", "other"] : ["other"];
      return targets.map((target) => ({
        action: row.action,
        operation,
        role,
        grant,
        target,
        expected: expectedStatus(op, grant, target),
      }));
    });
  }),
);

const TARGET_LABEL: Record<Target, string> = { own: "its own", other: "someone else's", unowned: "-" };

describe("SPEC §4 authorization matrix", () => {
  it.each(
    CELLS.map(
      (cell) =>
        [
          `${cell.role} · ${cell.action} · ${cell.operation} · ${TARGET_LABEL[cell.target]} → ${cell.expected}${cell.expected >= 400 ? ", nothing changed" : ""}`,
          cell,
        ] as const,
    ),
  )("%s", async (_name, cell) => {
    const o = await testOrg("authz");
    const op = operationNamed(cell.operation);
    const caller = o.caller[cell.role];
    const subject = cell.target === "own" ? caller.sub : someoneElses(o, op.owner);
    const { send } = await op.request(o, subject);
    const before = await observe(o);
    const { client, sent } = recordingClient(caller);
    const { data, error, response } = await send(client);
    expect(operationAt(doc, sent().method, sent().url), "the catalogue's request went elsewhere").toBe(
      cell.operation,
    );
    expect(response.status, JSON.stringify(error ?? data)).toBe(cell.expected);
    const perEntry = op.othersAnswered;
    if (perEntry !== undefined && "perEntry" in perEntry && refusedPerEntry(op, cell)) {
      expect(data).toMatchObject({ results: [{ status: "rejected", error: { status: perEntry.perEntry } }] });
      expect(await observe(o), "a refused entry changed data").toEqual(before);
    } else if (cell.expected >= 400) {
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
      expect(error).toMatchObject({ status: cell.expected });
      expect(await observe(o), "a denied request changed data").toEqual(before);
    } else if (sent().method !== "GET") {
      expect(await observe(o), "an allowed write changed nothing").not.toEqual(before);
    }
  });

  it("covers every operation of the served OpenAPI document under /api/v1 with at least one cell per role", async () => {
    const served = operationsOf(doc)
      .filter(({ path }) => path.startsWith("/api/v1/"))
      .map(({ operation }) => operation.operationId ?? "")
      .sort();
    const covered = [...new Set(CELLS.map((c) => c.operation))].sort();
    expect(covered).toEqual(served);
    for (const operation of covered) {
      expect(new Set(CELLS.filter((c) => c.operation === operation).map((c) => c.role))).toEqual(
        new Set(ALL_ROLES),
      );
    }
    console.log(`authorization matrix: ${CELLS.length} cells over ${covered.length} operations`);
    expect(CELLS.length).toBeGreaterThanOrEqual(covered.length * ALL_ROLES.length);
  });
});

/**
 * Every route with an ID in its path, asked by an allowed caller of one organisation about an
 * ID that exists only in another: what it answers, and that the other organisation's thing is untouched.
 */
interface ForeignCase extends Foreign {
  operation: string;
  expected: number;
}

const FOREIGN_CASES: ForeignCase[] = CATALOGUE.flatMap(({ id, operation }) =>
  operation.foreign
    ? [{ ...operation.foreign, operation: id, expected: operation.foreign.expected ?? 404 }]
    : [],
);

/**
 * Makes the foreign thing and names the call at it, and, where there is one, a read of it (as
 * text) by the foreign organisation's admin, to show it is unchanged.
 */
async function foreignCall(c: ForeignCase, f: TestOrg): Promise<{ send: Send; readBack?: Read }> {
  const op = operationNamed(c.operation);
  await c.before?.(f);
  const subject = c.aimedAtOwnId ? f.caller[c.as].sub : someoneElses(f, op.owner);
  const { send, target } = await (c.request ? c.request(f) : op.request(f, subject));
  const readBack =
    c.readBack ?? (target !== undefined && op.resource ? readOf(op.resource, target) : undefined);
  return readBack ? { send, readBack } : { send };
}

/** A read back as the text the Worker sent (its problem, re-serialised, if it failed). */
const asText = ({ data, error }: { data?: string; error?: unknown }) => data ?? JSON.stringify(error);

describe("another organisation's IDs", () => {
  it.each(
    FOREIGN_CASES.map(
      (c) =>
        [
          `${c.operation} answers ${c.expected} and leaves the other organisation's data as it was`,
          c,
        ] as const,
    ),
  )("%s", async (_name, c) => {
    const foreign = await testOrg("abroad");
    const home = await testOrg("home");
    await auditEntryOf(home, home.otherCoordinator.sub);
    const { send, readBack } = await foreignCall(c, foreign);
    const before = readBack ? asText(await readBack(api(foreign.admin))) : null;

    const { data, error, response } = await send(api(home.caller[c.as]));
    expect(response.status, JSON.stringify(error ?? data)).toBe(c.expected);
    if (c.expected === 404) {
      expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    } else {
      c.answer?.(data);
    }
    if (readBack) {
      expect(asText(await readBack(api(foreign.admin)))).toBe(before);
    }
  });

  it("covers every operation of the served OpenAPI document with an ID in its path", async () => {
    const withIds = operationsOf(doc)
      .filter(({ path }) => path.startsWith("/api/v1/") && path.includes("{"))
      .map(({ operation }) => operation.operationId ?? "")
      .sort();
    expect(FOREIGN_CASES.map((c) => c.operation).sort()).toEqual(withIds);
  });
});
