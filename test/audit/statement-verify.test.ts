import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  exampleStatement,
  issueStatement,
  issueStatements,
  type LogKey,
  statementOf,
} from "../../scripts/dev/statement-bundle";
import { decodeHex, encodeBase64 } from "../../src/audit/bytes";
import { canonicalJson } from "../../src/audit/chain";
import { type NoteKey, parseNote } from "../../src/audit/note";
import type { StatementBundle } from "../../src/audit/statement";
import { statementJcs } from "../../src/audit/statement";
import {
  STATEMENT_CHECKS,
  type StatementCheck,
  type StatementVerdict,
  verifyStatementBundle,
  verifyStatementText,
} from "../../src/audit/statement-verify";
import { readVerifierKey } from "../../src/audit/webcrypto";
import { TEST_ORIGIN, workerFetch } from "../helpers/client";

/** The test configuration's signing key (vitest.config.ts), as the log's own key. */
const LOG_KEY: LogKey = { signingKey: env.AUDIT_SIGNING_KEY ?? "" };

/** The deployment's verifier keys, fetched as the page fetches them. */
async function publishedKeys(): Promise<NoteKey[]> {
  const res = await workerFetch()(new Request(`${TEST_ORIGIN}/.well-known/audit-log-keys`));
  const { keys } = (await res.json()) as { keys: { verifier_key: string }[] };
  return Promise.all(keys.map((key) => readVerifierKey(key.verifier_key)));
}

/** A fresh Ed25519 key no deployment holds, base64 PKCS#8. */
async function strangerKey(): Promise<LogKey> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const pkcs8 = (await crypto.subtle.exportKey("pkcs8", pair.privateKey)) as ArrayBuffer;
  return { signingKey: encodeBase64(new Uint8Array(pkcs8)) };
}

/** A bundle as a JSON value a test may change anywhere, as a forger edits a file. */
const editable = (bundle: StatementBundle): StatementBundle => structuredClone(bundle);

async function verify(bundle: StatementBundle): Promise<StatementVerdict> {
  return verifyStatementBundle(editable(bundle), await publishedKeys());
}

function failure(verdict: StatementVerdict): { check: StatementCheck; reason: string } {
  if (verdict.ok) throw new Error("the bundle verified");
  return { check: verdict.check, reason: verdict.reason };
}

/** Generated cases per property, and their fixed seed, so a run is repeatable. */
const PROPERTY_RUNS = 300;
const PROPERTY_SEED = 20260401;

type Path = (string | number)[];

/** The path of every value in a JSON tree that is not itself an object or a list. */
function valuePaths(value: unknown, path: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => valuePaths(item, [...path, i]));
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([key, item]) => valuePaths(item, [...path, key]));
  return [path];
}

function setAt(root: unknown, path: Path, value: unknown): void {
  const parent = path
    .slice(0, -1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);
  (parent as Record<string | number, unknown>)[path.at(-1) ?? ""] = value;
}

describe("a statement bundle, checked offline", () => {
  it("verifies as issued: the mentor, period, totals and entries, signed by the log's key and in its log", async () => {
    const statement = exampleStatement();
    const verdict = await verify(issueStatement(statement, LOG_KEY, { before: 40, after: 5 }));
    if (!verdict.ok) throw new Error(verdict.reason);
    const [published] = await publishedKeys();
    expect(verdict.statement).toEqual(statement);
    expect(verdict.statement.totals).toMatchObject({ activities: 3, minutes: 195 });
    expect(verdict.signed_by).toEqual(published);
    expect(verdict.checkpoint_signed_by).toEqual(published);
    expect(verdict).toMatchObject({ log_entry_id: "log-041", tree_size: 46 });
  });

  it("verifies from the file's text, and a text that is not JSON is not a statement", async () => {
    const bundle = issueStatement(exampleStatement(), LOG_KEY);
    const keys = await publishedKeys();
    expect((await verifyStatementText(JSON.stringify(bundle, null, 2), keys)).ok).toBe(true);
    expect(failure(await verifyStatementText("{ not json", keys))).toEqual({
      check: "well_formed",
      reason: "This is not a statement of hours: the text is not valid JSON.",
    });
  });

  it("verifies a statement whose names hold any characters: JCS hashes them as UTF-8", async () => {
    const statement = exampleStatement({
      mentor: { id: "mentor-510", name: "Zoë Ñúñez-Łukasz \u{1F9D1}\u200D\u{1F3EB}" },
    });
    expect(statementJcs(statement)).toContain('"name":"Zoë Ñúñez-Łukasz \u{1F9D1}\u200D\u{1F3EB}"');
    expect((await verify(issueStatement(statement, LOG_KEY))).ok).toBe(true);
  });

  it("hashes the statement's JCS text, which for a statement is the audit log's canonical JSON too", () => {
    const statement = exampleStatement();
    expect(statementJcs(statement)).toBe(canonicalJson(statement));
    expect(statementJcs(statement)).toMatch(
      /^\{"entries":\[\{"activity_type":"mentoring","duration_minutes":60,/,
    );
  });

  it("catches a changed total before anything else, with the figures", async () => {
    const bundle = editable(issueStatement(exampleStatement(), LOG_KEY));
    bundle.statement.totals.minutes = 255;
    expect(failure(await verify(bundle))).toEqual({
      check: "totals",
      reason:
        "The totals do not add up: the statement says 255 minutes in all, but its activities add up to 195.",
    });
    const byType = editable(issueStatement(exampleStatement(), LOG_KEY));
    const [mentoring] = byType.statement.totals.by_activity_type;
    if (mentoring) mentoring.activities = 3;
    expect(failure(await verify(byType))).toEqual({
      check: "totals",
      reason:
        "The totals do not add up: the statement says 3 activities of One-to-one mentoring (mentoring), but it lists 2.",
    });
  });

  it("catches a changed entry by the hash that was signed, even when the totals were changed to match", async () => {
    const changed = editable(issueStatement(exampleStatement(), LOG_KEY));
    const [first] = changed.statement.entries;
    if (first) first.occurred_at = "2026-01-15T16:00:00Z";
    const expected = {
      check: "statement_hash",
      reason:
        "The statement was changed after it was issued: its contents do not match the hash that was signed.",
    };
    expect(failure(await verify(changed))).toEqual(expected);

    const longer = editable(issueStatement(exampleStatement(), LOG_KEY));
    const [entry] = longer.statement.entries;
    const [mentoring] = longer.statement.totals.by_activity_type;
    if (!entry || !mentoring) throw new Error("the example has a mentoring entry");
    entry.duration_minutes += 120;
    mentoring.minutes += 120;
    longer.statement.totals.minutes += 120;
    expect(failure(await verify(longer))).toEqual(expected);
  });

  it("refuses a statement signed by another key, naming the key", async () => {
    const stranger = await strangerKey();
    const bundle = issueStatement(exampleStatement(), stranger);
    const { check, reason } = failure(await verify(bundle));
    expect(check).toBe("signature");
    expect(reason).toMatch(
      /^The statement is not signed by a key of the organisation: it was signed by mentor-activity-api\+[0-9a-f]{8}, which is not among the keys given \(mentor-activity-api\+[0-9a-f]{8}\)\.$/,
    );
  });

  it("refuses a signature line that names the log's key but was not made by it", async () => {
    const bundle = editable(issueStatement(exampleStatement(), LOG_KEY));
    const forged = parseNote(issueStatement(exampleStatement(), await strangerKey()).signature);
    const [published] = await publishedKeys();
    if (!forged?.signatures[0] || !published) throw new Error("a signed note and a published key");
    // The stranger's signature, under the log's key name and ID.
    const claimed = Uint8Array.from([
      ...(decodeHex(published.keyId) ?? []),
      ...forged.signatures[0].signature,
    ]);
    bundle.signature = `${forged.text}\n\u2014 ${published.name} ${encodeBase64(claimed)}\n`;
    expect(failure(await verify(bundle))).toEqual({
      check: "signature",
      reason: `The statement's signature is not valid: it claims to be by mentor-activity-api+${published?.keyId}, but that key did not sign this text.`,
    });
  });

  it("refuses a genuine signature of another statement", async () => {
    const [first, second] = issueStatements(
      [exampleStatement(), exampleStatement({ statement_id: "stmt-20260401-002" })],
      LOG_KEY,
    );
    if (!first || !second) throw new Error("two bundles");
    expect(failure(await verify({ ...second, signature: first.signature }))).toEqual({
      check: "signed_text",
      reason:
        "The signature is for another statement: it names stmt-20260401-001, this is stmt-20260401-002.",
    });
  });

  it("refuses a changed statement whose statement_hash was recomputed: the signature holds the old hash", async () => {
    const issued = issueStatement(exampleStatement(), LOG_KEY);
    const changed = exampleStatement({ issued_by: "coord-119" });
    const reissued = issueStatement(changed, LOG_KEY);
    expect(
      failure(await verify({ ...issued, statement: changed, statement_hash: reissued.statement_hash })),
    ).toEqual({
      check: "signed_text",
      reason: "The signature is for other contents: the hash it signed is not that of this statement.",
    });
  });

  it("refuses a statement whose log is not the signing key's log of its organisation", async () => {
    const other = exampleStatement({ log_name: "other-deployment.example" });
    const bundle = issueStatement(other, LOG_KEY);
    expect(failure(await verify(bundle))).toEqual({
      check: "signed_text",
      reason:
        "The statement names the log other-deployment.example/org-demo, but it was signed by the key of mentor-activity-api, whose log of org-demo is mentor-activity-api/org-demo.",
    });
  });

  it("refuses the log entry of another statement", async () => {
    const [first, second] = issueStatements(
      [exampleStatement(), exampleStatement({ statement_id: "stmt-20260401-002" })],
      LOG_KEY,
      { before: 5 },
    );
    if (!first || !second) throw new Error("two bundles");
    expect(failure(await verify({ ...first, log_entry: second.log_entry }))).toEqual({
      check: "log_entry",
      reason:
        "The log entry records another statement: log-007 is the issue of stmt-20260401-002, not of stmt-20260401-001.",
    });
  });

  it("refuses a log entry that recorded other contents under the same statement ID", async () => {
    const issued = issueStatement(exampleStatement(), LOG_KEY);
    const other = issueStatement(exampleStatement({ issued_by: "coord-119" }), LOG_KEY);
    expect(failure(await verify({ ...issued, log_entry: other.log_entry }))).toEqual({
      check: "log_entry",
      reason:
        "The log recorded other contents under stmt-20260401-001: the hash in log-004 is not that of this statement.",
    });
  });

  it("refuses a log entry whose fields were changed after it was hashed", async () => {
    const bundle = editable(issueStatement(exampleStatement(), LOG_KEY));
    bundle.log_entry.entry.mentor_name = "Someone Else";
    expect(failure(await verify(bundle))).toEqual({
      check: "entry_hash",
      reason: "The log entry was changed: the fields of log-004 do not match its payload hash.",
    });
  });

  it("refuses a broken inclusion proof, and one for another position", async () => {
    const broken = editable(issueStatement(exampleStatement(), LOG_KEY, { before: 10, after: 10 }));
    const [first = ""] = broken.log_entry.audit_path;
    broken.log_entry.audit_path[0] = `${first.slice(0, -1)}${first.endsWith("0") ? "1" : "0"}`;
    expect(failure(await verify(broken))).toEqual({
      check: "inclusion",
      reason:
        "The log entry is not in the signed log: its inclusion proof does not lead to the root of the checkpoint of 21 entries.",
    });
    const shortened = editable(issueStatement(exampleStatement(), LOG_KEY, { before: 10, after: 10 }));
    shortened.log_entry.audit_path.pop();
    expect(failure(await verify(shortened)).check).toBe("inclusion");
    const moved = editable(issueStatement(exampleStatement(), LOG_KEY, { before: 10, after: 10 }));
    moved.log_entry.leaf_index = 9;
    expect(failure(await verify(moved))).toEqual({
      check: "inclusion",
      reason:
        "The inclusion proof is for another entry: it proves position 9 of the log, and log-011 is at position 10.",
    });
  });

  it("refuses a checkpoint of another organisation's log, and one signed by another key", async () => {
    const otherLog = issueStatement(exampleStatement(), LOG_KEY, {
      checkpointOrigin: "mentor-activity-api/org-other",
    });
    expect(failure(await verify(otherLog))).toEqual({
      check: "checkpoint",
      reason:
        "The log checkpoint is of another log: mentor-activity-api/org-other, not this statement's mentor-activity-api/org-demo.",
    });
    const otherKey = issueStatement(exampleStatement(), LOG_KEY, { checkpointKey: await strangerKey() });
    const { check, reason } = failure(await verify(otherKey));
    expect(check).toBe("checkpoint");
    expect(reason).toMatch(/^The log checkpoint is not signed by a key of the organisation: /);
  });

  it("says what is missing or wrong in a bundle that is not one", async () => {
    const cases: [string, (b: StatementBundle & Record<string, unknown>) => void, string][] = [
      [
        "a missing member",
        (b) => Reflect.deleteProperty(b.statement.period, "time_zone"),
        'statement.period has no "time_zone"',
      ],
      [
        "an added member",
        (b) => Object.assign(b.statement.mentor, { school: "x" }),
        'statement.mentor has "school", which is not part of a statement',
      ],
      [
        "a fraction of a minute",
        (b) => Object.assign(b.statement.totals, { minutes: 195.5 }),
        "statement.totals.minutes is not a whole number from 0 to 2880000",
      ],
      [
        "an unknown verification",
        (b) => Object.assign(b.statement.entries[0] ?? {}, { verification: "pending" }),
        "statement.entries[0].verification is not one of approved, confirmed, not_required",
      ],
      [
        "a proxy entry only approved",
        (b) => Object.assign(b.statement.entries[1] ?? {}, { verification: "approved" }),
        "statement.entries[1] is a proxy entry marked approved, which does not make it count",
      ],
      [
        "a period backwards",
        (b) => Object.assign(b.statement.period, { from: "2026-04-01" }),
        "statement.period ends before it begins",
      ],
      [
        "no such day",
        (b) => Object.assign(b.statement.period, { to: "2026-02-30" }),
        "statement.period.to is not a real date",
      ],
      [
        "no such month",
        (b) => Object.assign(b.statement.period, { to: "2026-13-45" }),
        "statement.period.to is not a real date",
      ],
      [
        "no such time",
        (b) => Object.assign(b.statement.entries[2] ?? {}, { occurred_at: "2026-02-30T25:00:00Z" }),
        "statement.entries[2].occurred_at is not a real time",
      ],
      [
        "half a character",
        (b) => Object.assign(b.statement.mentor, { name: "Sam \ud800 Rivera" }),
        "statement.mentor.name holds a broken character",
      ],
      [
        "no such time zone",
        (b) => Object.assign(b.statement.period, { time_zone: "Europe/Atlantis" }),
        "statement.period.time_zone is not a time zone (such as Europe/London)",
      ],
      [
        "an entry twice",
        (b) =>
          b.statement.entries.push({
            ...(b.statement.entries[0] as StatementBundle["statement"]["entries"][number]),
          }),
        "statement.entries lists activity act-101 twice",
      ],
      [
        "another organisation's origin",
        (b) => Object.assign(b.statement, { org_id: "org-other" }),
        "statement.origin mentor-activity-api/org-demo is not the log of organisation org-other",
      ],
      [
        "a missing entry column",
        (b) => Reflect.deleteProperty(b.log_entry.entry, "statement_hash"),
        'log_entry.entry has no "statement_hash"',
      ],
      [
        "a signature that is no note",
        (b) => Object.assign(b, { signature: "signed, the organisation" }),
        "signature is not a signed note",
      ],
      [
        "a checkpoint that is no checkpoint",
        (b) => Object.assign(b.log_entry, { checkpoint: "mentor-activity-api/org-demo\n7\n" }),
        "log_entry.checkpoint is not a signed checkpoint",
      ],
    ];
    for (const [name, change, detail] of cases) {
      const bundle = editable(issueStatement(exampleStatement(), LOG_KEY)) as StatementBundle &
        Record<string, unknown>;
      change(bundle);
      expect(failure(await verify(bundle)), name).toEqual({
        check: "well_formed",
        reason: `This is not a complete statement of hours: ${detail}.`,
      });
    }
  });

  it("runs its checks in one fixed order and answers the first that fails", async () => {
    expect(STATEMENT_CHECKS.map((c) => c.check)).toEqual([
      "well_formed",
      "totals",
      "statement_hash",
      "signature",
      "signed_text",
      "log_entry",
      "entry_hash",
      "inclusion",
      "checkpoint",
    ]);
    expect(new Set(STATEMENT_CHECKS.map((c) => c.exit)).size).toBe(STATEMENT_CHECKS.length);
    expect(new Set(STATEMENT_CHECKS.map((c) => c.tag)).size).toBe(STATEMENT_CHECKS.length);
    // Signed by a stranger, in another log, with a broken proof and a changed total: the total is first.
    const stranger = await strangerKey();
    const bundle = editable(
      issueStatement(exampleStatement(), stranger, { checkpointOrigin: "mentor-activity-api/org-other" }),
    );
    bundle.log_entry.audit_path.reverse();
    bundle.statement.totals.activities = 4;
    expect(failure(await verify(bundle)).check).toBe("totals");
    bundle.statement.totals.activities = 3;
    expect(failure(await verify(bundle)).check).toBe("signature");
  });

  it("has nothing to trust without a key", async () => {
    const bundle = issueStatement(exampleStatement(), LOG_KEY);
    expect(failure(await verifyStatementBundle(bundle, []))).toEqual({
      check: "signature",
      reason: "The statement's signature cannot be checked: no public key of the organisation was given.",
    });
  });

  it("answers every JSON value and every edit of a bundle with a verdict, and no edit verifies", async () => {
    const keys = await publishedKeys();
    const issued = issueStatement(exampleStatement(), LOG_KEY, { before: 6, after: 3 });
    const original = JSON.stringify(issued);
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expect((await verifyStatementBundle(value, keys)).ok).toBe(false);
      }),
      { numRuns: PROPERTY_RUNS, seed: PROPERTY_SEED },
    );
    // Every place in the bundle that holds a value, but the hash chain's link columns: a proof
    // leads from payload_hash to the signed root, and the chain is kept for exports only.
    const places = valuePaths(issued).filter(
      (path) => !["prev_hash", "hash"].includes(String(path.at(-1))) || path[1] !== "entry",
    );
    expect(places.length).toBeGreaterThan(60);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: places.length - 1 }), fc.jsonValue(), async (at, value) => {
        const edited = editable(issued);
        setAt(edited, places[at] ?? [], value);
        const verdict = await verifyStatementBundle(edited, keys);
        if (verdict.ok) expect(JSON.stringify(edited)).toBe(original);
      }),
      { numRuns: PROPERTY_RUNS, seed: PROPERTY_SEED },
    );
  });

  it("verifies a statement of a period without activities", async () => {
    const empty = statementOf({ ...exampleStatement(), entries: [] });
    const verdict = await verify(issueStatement(empty, LOG_KEY));
    expect(verdict.ok && verdict.statement.totals).toEqual({
      activities: 0,
      minutes: 0,
      by_activity_type: [],
    });
  });
});
