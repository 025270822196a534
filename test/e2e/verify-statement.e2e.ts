import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  exampleStatement,
  issueStatement,
  issueStatements,
  type LogKey,
  verifierKeyOf,
} from "../../scripts/dev/statement-bundle";
import type { StatementBundle } from "../../src/audit/statement";

const ROOT = join(import.meta.dirname, "../..");

/** A deployment's audit log key, made for this file. */
function freshKey(): LogKey {
  const { privateKey } = generateKeyPairSync("ed25519");
  return { signingKey: privateKey.export({ format: "der", type: "pkcs8" }).toString("base64") };
}

const LOG_KEY = freshKey();
const VERIFIER_KEY = verifierKeyOf(LOG_KEY);

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mentor-e2e-statement-"));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function saved(name: string, bundle: StatementBundle): string {
  const file = join(dir, name);
  writeFileSync(file, `${JSON.stringify(bundle, null, 2)}\n`);
  return file;
}

/** Runs `npm run verify-statement`'s script as the project's Node runs it: its exit code and stdout. */
function verifyStatement(...args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, ["cli/verify-statement.ts", ...args], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return { code: 0, out };
  } catch (err) {
    const failed = err as { status: number; stdout: string };
    return { code: failed.status, out: failed.stdout };
  }
}

describe("npm run verify-statement", () => {
  it("exits 0 with one line naming the mentor, the period and the hours of a statement as issued", () => {
    const file = saved("valid.json", issueStatement(exampleStatement(), LOG_KEY, { before: 40, after: 2 }));
    const keyId = VERIFIER_KEY.split("+")[1];
    expect(verifyStatement(file, "--public-key", VERIFIER_KEY)).toEqual({
      code: 0,
      out:
        "OK: Sam Rivera (mentor-042), 2026-01-01 to 2026-03-31 (Europe/London): 3.25 hours in 3 activities; " +
        `statement stmt-20260401-001 signed by mentor-activity-api+${keyId}, in the log at log-041\n`,
    });
  });

  it("accepts several keys, the log's among them", () => {
    const file = saved("valid-rotated.json", issueStatement(exampleStatement(), LOG_KEY));
    const retired = verifierKeyOf(freshKey());
    const { code, out } = verifyStatement(file, "--public-key", retired, "--public-key", VERIFIER_KEY);
    expect(code).toBe(0);
    expect(out).toMatch(/^OK: Sam Rivera/);
  });

  it("exits 11 on a changed total", () => {
    const bundle = issueStatement(exampleStatement(), LOG_KEY);
    bundle.statement.totals.minutes = 255;
    const file = saved("changed-total.json", bundle);
    expect(verifyStatement(file, "--public-key", VERIFIER_KEY)).toEqual({
      code: 11,
      out: "TOTALS: The totals do not add up: the statement says 255 minutes in all, but its activities add up to 195.\n",
    });
  });

  it("exits 13 on a statement signed by another key", () => {
    const file = saved("another-key.json", issueStatement(exampleStatement(), freshKey()));
    const { code, out } = verifyStatement(file, "--public-key", VERIFIER_KEY);
    expect(code).toBe(13);
    expect(out).toMatch(/^SIGNATURE: The statement is not signed by a key of the organisation: /);
  });

  it("exits 15 on the log entry of another statement", () => {
    const [first, second] = issueStatements(
      [exampleStatement(), exampleStatement({ statement_id: "stmt-20260401-002" })],
      LOG_KEY,
    );
    if (!first || !second) throw new Error("two bundles");
    const file = saved("another-entry.json", { ...first, log_entry: second.log_entry });
    expect(verifyStatement(file, "--public-key", VERIFIER_KEY)).toEqual({
      code: 15,
      out: "LOG_ENTRY: The log entry records another statement: log-005 is the issue of stmt-20260401-002, not of stmt-20260401-001.\n",
    });
  });

  it("exits 10 on a file that is not a bundle, and 2 without a key or a readable file", () => {
    const notJson = join(dir, "not-a-bundle.txt");
    writeFileSync(notJson, "Dear school, Sam did 42 hours.\n");
    expect(verifyStatement(notJson, "--public-key", VERIFIER_KEY)).toEqual({
      code: 10,
      out: "MALFORMED: This is not a statement of hours: the text is not valid JSON.\n",
    });
    expect(verifyStatement(notJson).code).toBe(2);
    expect(verifyStatement(join(dir, "missing.json"), "--public-key", VERIFIER_KEY).code).toBe(2);
  });
});
