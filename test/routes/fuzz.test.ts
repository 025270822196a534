import { env } from "cloudflare:workers";
import fc from "fast-check";
import type { OperationObject, ParameterObject, ReferenceObject, SchemaObject } from "openapi-typescript";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import type { Role } from "../../src/auth/caller";
import { ALL_ROLES, operationsOf, rolesAllowed, servedDocument } from "../helpers/access";
import { type CallOptions, call } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { hostileString, hostileValue, RAW_BODIES, WRONG_CONTENT_TYPES } from "../helpers/hostile";
import { type TestOrg, testOrg } from "../helpers/org";
import {
  type JsonSchema,
  objectFor,
  resolve,
  type SchemaContext,
  valueFor,
} from "../helpers/schema-arbitrary";
import { activityLogOf, attributionOf, auditEntryOf, observe, pendingBatchOf } from "../helpers/world";

/**
 * The size of the run and its seed: `npm run fuzz -- --runs N --seed S` sets them (through
 * vitest.config.ts); `npm test` runs the default. A fixed seed makes a failure replay, and
 * fast-check prints the seed and path of any counterexample.
 */
const SEED = Number(env.FUZZ_SEED);
const TOTAL_RUNS = Number(env.FUZZ_RUNS);
/** A write route's case costs a before/after read of the organisation, so it gets fewer cases than a read's. */
const READ_WEIGHT = 8;
const WRITE_WEIGHT = 5;
/** About 40 ms a case at most, whatever the size of the run. */
const ROUTE_TIMEOUT_MS = (runs: number) => 60_000 + runs * 40;

interface Route {
  method: string;
  template: string;
  operation: OperationObject;
}

// The routes, their parameters and bodies come from the document the Worker serves, so a
// route added later is fuzzed without touching this file.
const doc = await servedDocument();
const ROUTES: Route[] = operationsOf(doc)
  .filter(({ path }) => path.startsWith("/api/v1/"))
  .map(({ path, method, operation }) => ({ method: method.toUpperCase(), template: path, operation }));

/**
 * A schema of the document as the generators read it: the subset of JSON Schema (JsonSchema)
 * the Worker's zod schemas emit. openapi-typescript types the whole of OpenAPI's schema
 * object, whose `items` may also be a tuple, so the two types do not line up on their own.
 */
function asJsonSchema(schema: SchemaObject | ReferenceObject | undefined, where: string): JsonSchema {
  if (schema === undefined) throw new Error(`${where} has no schema`);
  return schema as JsonSchema;
}

/** The operation's parameters that are in `where`; the document has no `$ref` parameters. */
const parametersIn = (route: Route, where: ParameterObject["in"]): ParameterObject[] =>
  (route.operation.parameters ?? []).filter((p): p is ParameterObject => !("$ref" in p) && p.in === where);

/** The JSON Schema of the operation's application/json body, if it takes one. */
function bodySchemaOf(route: Route): JsonSchema | undefined {
  const body = route.operation.requestBody;
  const media = body && !("$ref" in body) ? body.content["application/json"] : undefined;
  if (media === undefined || "$ref" in media || media.schema === undefined) return undefined;
  return asJsonSchema(media.schema, `${route.method} ${route.template}'s body`);
}

/** A stack frame (`at fn (file.ts:12:3)`) or a message only the runtime or the database writes. */
const LEAKS = [
  /\bat\s+\S+\s+\(?[^\s()]+:\d+:\d+\)?/,
  /\b\w+Error: .*\n\s+at /,
  /\.(?:ts|js|mjs):\d+/,
  /node_modules|src\/(?:routes|db|lib|audit|auth)\//,
  /D1_ERROR|SQLITE_|no such (?:table|column)|constraint failed|syntax error at|near ".*": syntax error/i,
  /Cannot read propert|is not a function|is not defined|Maximum call stack|Unexpected token/,
  /\b(?:TypeError|RangeError|ReferenceError|SyntaxError|URIError|ZodError|DOMException)\b/,
];

type Problem = components["schemas"]["Problem"];

type BodySpec =
  | { kind: "none" }
  | { kind: "json"; value: unknown; contentType: string }
  | { kind: "raw"; text: string; contentType: string };

interface FuzzCase {
  role: Role;
  /** A second role in the same token, now and then. */
  alsoRole: Role | null;
  /** The token's `name` claim: absent, or odd (blank, huge, unicode). */
  name: string | null;
  path: string;
  query: string;
  body: BodySpec;
}

let casesRun = 0;
const statusesSeen = new Map<number, number>();

function contextFor(o: TestOrg, known: Known): SchemaContext {
  const [mentor, otherMentor] = [o.mentor.sub, o.otherMentor.sub];
  const [coordinator, otherCoordinator] = [o.coordinator.sub, o.otherCoordinator.sub];
  const members = [mentor, otherMentor, coordinator, otherCoordinator, "ghost-member"];
  const types = [
    "session_completed",
    "referral_made",
    "check_in",
    "documentation",
    "training_attended",
    "workshop",
  ];
  return {
    components: Object.fromEntries(
      Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => [
        name,
        asJsonSchema(schema, name),
      ]),
    ),
    hints: {
      id: known.ids,
      batch_id: [known.batch],
      // Members other than the callers, so a fuzzed write cannot lock a caller out.
      member_id: [otherMentor, otherCoordinator, "ghost-member"],
      mentor_id: [mentor, otherMentor, "ghost-member"],
      "mentor_ids[]": [mentor, otherMentor, "ghost-member"],
      coordinator_id: [coordinator, otherCoordinator, "ghost-member"],
      actor_id: members,
      reviewed_by: [o.admin.sub],
      activity_type: types,
      activity_type_id: types,
      // Zones at the ends of the offset range and one with a 45-minute offset.
      tz: ["UTC", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kathmandu", "America/New_York", "europe/dublin"],
    },
  };
}

interface Known {
  ids: string[];
  batch: string;
}

/** The organisation a route is fuzzed in: two of everything, so IDs hit real rows of several kinds. */
async function fuzzOrg(): Promise<{ o: TestOrg; known: Known }> {
  const o = await testOrg("fuzz");
  const logs = [await activityLogOf(o, o.mentor.sub), await activityLogOf(o, o.otherMentor.sub)];
  const attributions = [
    await attributionOf(o, o.coordinator.sub, o.mentor.sub),
    await attributionOf(o, o.otherCoordinator.sub, o.otherMentor.sub),
  ];
  const batch = await pendingBatchOf(o, o.coordinator.sub);
  const entries = [await auditEntryOf(o, o.coordinator.sub), "log-001", "log-002", "log-003"];
  return { o, known: { ids: [...logs, ...attributions, ...entries], batch } };
}

/** Percent-encodes, replacing lone surrogates first (encodeURIComponent throws on them). */
const encoded = (value: string) => encodeURIComponent(value.toWellFormed());
/** Mostly encoded; now and then raw, so `../`, `%00` and a bare `%` reach the URL parser as they are. */
const encodings = fc.constantFrom<(value: string) => string>(encoded, encoded, encoded, (value) => value);

function pathFor(route: Route, ctx: SchemaContext): fc.Arbitrary<string> {
  const params = parametersIn(route, "path");
  const values = params.map((p) =>
    fc
      .tuple(
        fc.oneof(
          { weight: 3, arbitrary: valueFor(asJsonSchema(p.schema, p.name), ctx, p.name).map(String) },
          { weight: 2, arbitrary: hostileString },
        ),
        encodings,
      )
      .map(([value, encode]) => [p.name, encode(value)] as const),
  );
  return fc
    .tuple(...values)
    .map((pairs) => pairs.reduce((path, [name, value]) => path.replace(`{${name}}`, value), route.template));
}

const RAW_QUERY_TAILS = [
  "",
  "",
  "",
  "&page=%",
  "&limit=%zz",
  "&%00=1",
  "&page[]=1",
  "&page=1&page=2",
  "&=",
  "&&&",
];

function queryFor(route: Route, ctx: SchemaContext): fc.Arbitrary<string> {
  const params = parametersIn(route, "query");
  const values = params.map((p) =>
    fc
      .oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: valueFor(asJsonSchema(p.schema, p.name), ctx, p.name) },
        { weight: 2, arbitrary: hostileString },
      )
      .map((value) => [p.name, value] as const),
  );
  const extra = fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom("page", "limit", "__proto__", "mentor_id", "org", "sort"), hostileString),
      hostileString,
    ),
    { maxLength: 2 },
  );
  return fc
    .tuple(fc.tuple(...values), extra, fc.constantFrom(...RAW_QUERY_TAILS))
    .map(([pairs, more, tail]) => {
      const search = new URLSearchParams();
      for (const [name, value] of [...pairs, ...more]) {
        if (value !== undefined)
          search.append(name, typeof value === "string" ? value : JSON.stringify(value));
      }
      const text = `${search.toString()}${tail}`;
      return text === "" ? "" : `?${text}`;
    });
}

const FORBIDDEN_FIELDS = [
  "created_at",
  "updated_at",
  "log_id",
  "attribution_id",
  "proxy",
  "entry_mode",
  "id",
  "org_id",
];

/** Adds a field the schema does not know, `__proto__` included, as its own property. */
function withExtraField(
  value: Record<string, unknown>,
  key: string,
  extra: unknown,
): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...value };
  Object.defineProperty(copy, key, { value: extra, enumerable: true, configurable: true, writable: true });
  return copy;
}

function bodyFor(route: Route, ctx: SchemaContext): fc.Arbitrary<BodySpec> {
  const schema = bodySchemaOf(route);
  if (route.method === "GET") return fc.constant({ kind: "none" });
  const json = (value: unknown, contentType = "application/json"): BodySpec => ({
    kind: "json",
    value,
    contentType,
  });
  const hostileBodies = [
    { weight: 1, arbitrary: hostileValue.map((value) => json(value)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...RAW_BODIES)
        .map((text): BodySpec => ({ kind: "raw", text, contentType: "application/json" })),
    },
  ];
  if (!schema) {
    return fc.oneof({ weight: 4, arbitrary: fc.constant<BodySpec>({ kind: "none" }) }, ...hostileBodies);
  }
  const valid = objectFor(schema, ctx);
  const keys = Object.keys(resolve(schema, ctx).properties ?? {});
  const key = fc.constantFrom(...keys);
  return fc.oneof(
    { weight: 4, arbitrary: valid.map((value) => json(value)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(valid, key, hostileValue)
        .map(([value, k, bad]) => json(withExtraField(value, k, bad))),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, key).map(([value, k]) => {
        const { [k]: _dropped, ...rest } = value;
        return json(rest);
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          valid,
          fc.oneof(fc.constantFrom("__proto__", "constructor", ...FORBIDDEN_FIELDS), hostileString),
          hostileValue,
        )
        .map(([value, k, extra]) => json(withExtraField(value, k, extra))),
    },
    ...hostileBodies,
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...WRONG_CONTENT_TYPES))
        .map(([value, type]) => json(value, type)),
    },
    {
      weight: 1,
      arbitrary: valid.map((value) => json(withExtraField(value, "padding", "x".repeat(70_000)))),
    },
  );
}

function roleFor(route: Route): fc.Arbitrary<Role> {
  const allowed = rolesAllowed(route.operation.operationId ?? "");
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(allowed.length > 0 ? allowed : ALL_ROLES)) },
    { weight: 1, arbitrary: fc.constantFrom(...ALL_ROLES) },
  );
}

/** Names a token may carry; the claim allows up to 200 characters. */
const tokenName = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("", "   ", "\t", "x".repeat(200), "😀".repeat(50), "\u202eevil", "a\u0000b"),
  },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 60 }) },
);

function caseFor(route: Route, ctx: SchemaContext): fc.Arbitrary<FuzzCase> {
  return fc.record({
    role: roleFor(route),
    alsoRole: fc.oneof(
      { weight: 5, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(...ALL_ROLES) },
    ),
    name: tokenName,
    path: pathFor(route, ctx),
    query: queryFor(route, ctx),
    body: bodyFor(route, ctx),
  });
}

function send(o: TestOrg, route: Route, c: FuzzCase): Promise<Response> {
  // The fixture's callers carry their name; here the case alone decides the name claim.
  const { name: _name, ...base } = o.caller[c.role];
  const as: TokenClaims = {
    ...base,
    roles: c.alsoRole === null ? base.roles : [...base.roles, c.alsoRole],
    ...(c.name === null ? {} : { name: c.name }),
  };
  const options: CallOptions = { as };
  if (c.body.kind === "json") {
    options.rawBody = JSON.stringify(c.body.value);
    options.headers = { "Content-Type": c.body.contentType };
  } else if (c.body.kind === "raw") {
    options.rawBody = c.body.text;
    options.headers = { "Content-Type": c.body.contentType };
  }
  return call(route.method, `${c.path}${c.query}`, options);
}

/** The properties every answer has, whatever was sent: among them, a status its operation declares. */
async function expectWellBehaved(res: Response, what: string, declared: string[]): Promise<number> {
  const text = await res.text();
  statusesSeen.set(res.status, (statusesSeen.get(res.status) ?? 0) + 1);
  expect(res.status, `${what} → ${text}`).toBeLessThan(500);
  // A path that no longer names the route (an empty or `..` segment) is answered by no operation.
  const unrouted = res.status === 404 && text.includes('"No route for ');
  if (!unrouted) {
    expect(declared, `${what} answered ${res.status}, which its operation does not declare`).toContain(
      String(res.status),
    );
  }
  for (const leak of LEAKS) expect(text, what).not.toMatch(leak);
  if (res.status >= 400) {
    expect(res.headers.get("Content-Type"), what).toBe("application/problem+json");
    const problem = JSON.parse(text) as Problem;
    expect(typeof problem.type, what).toBe("string");
    expect(typeof problem.title, what).toBe("string");
    expect(typeof problem.detail, what).toBe("string");
    expect(problem.status, what).toBe(res.status);
  }
  return res.status;
}

const describeCase = (route: Route, c: FuzzCase) =>
  `${c.role}${c.alsoRole ? `+${c.alsoRole}` : ""} (name ${JSON.stringify(c.name)}) ${route.method} ${c.path}${c.query} ${JSON.stringify(c.body).slice(0, 300)}`;

const writesOf = (route: Route) => route.method !== "GET";
const totalWeight = ROUTES.reduce((sum, route) => sum + (writesOf(route) ? WRITE_WEIGHT : READ_WEIGHT), 0);
/** The route's share of the run, at least one case. */
const runsFor = (route: Route) =>
  Math.max(1, Math.ceil((TOTAL_RUNS * (writesOf(route) ? WRITE_WEIGHT : READ_WEIGHT)) / totalWeight));

describe("fuzzing every route of the served OpenAPI document", () => {
  it("finds the authenticated routes in the document", () => {
    expect(ROUTES.length).toBeGreaterThanOrEqual(27);
    for (const route of ROUTES)
      expect(rolesAllowed(route.operation.operationId ?? ""), route.template).not.toEqual([]);
  });

  for (const route of ROUTES) {
    const writes = writesOf(route);
    const runs = runsFor(route);
    const title = writes
      ? "never answers 5xx, a stack or an undeclared status, answers errors as problem+json, and a rejected request changes nothing"
      : "never answers 5xx, a stack or an undeclared status, answers errors as problem+json, and changes nothing";
    it(
      `${route.method} ${route.template} ${title}`,
      async () => {
        const { o, known } = await fuzzOrg();
        const ctx = contextFor(o, known);
        const first = await observe(o);
        let before = first;
        await fc.assert(
          fc.asyncProperty(caseFor(route, ctx), async (c) => {
            casesRun += 1;
            const what = describeCase(route, c);
            const declared = Object.keys(route.operation.responses ?? {});
            const status = await expectWellBehaved(await send(o, route, c), what, declared);
            if (!writes) return;
            const after = await observe(o);
            if (status >= 400) expect(after, `a rejected ${what} changed data`).toEqual(before);
            before = after;
          }),
          { seed: SEED, numRuns: runs },
        );
        if (!writes) expect(await observe(o)).toEqual(first);
      },
      ROUTE_TIMEOUT_MS(runs),
    );
  }

  it("ran a bounded, reportable number of generated cases", () => {
    const floor = TOTAL_RUNS;
    console.log(
      `fuzz: ${casesRun} generated cases over ${ROUTES.length} routes (seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries([...statusesSeen].sort(([a], [b]) => a - b)))}`,
    );
    expect(casesRun).toBeGreaterThanOrEqual(floor);
  });
});
