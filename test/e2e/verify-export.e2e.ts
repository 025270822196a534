import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DevServer,
  E2E_AUDIT_SIGNING_KEY,
  E2E_JWT_SECRET,
  startDevServer,
  strangerVerifierKey,
} from "./dev-server";

const ROOT = join(import.meta.dirname, "../..");
const ORG = "org-e2e-export";
const OTHER_ORG = "org-e2e-export-other";
const FORMULA_USER_AGENT = '=HYPERLINK("https://attacker.example/","Open")';

let server: DevServer;
let dir: string;

beforeAll(async () => {
  server = await startDevServer();
  dir = mkdtempSync(join(tmpdir(), "mentor-e2e-export-"));
});

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await server?.stop();
});

function token(org: string, sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ org, roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(E2E_JWT_SECRET));
}

/** Runs `npm run verify-export`'s script as the project's Node runs it; answers its exit code and output. */
function verifyExport(file: string, ...args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, ["cli/verify-export.ts", file, ...args], {
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

async function appendEntries(org: string, mentors: string[], userAgent = "e2e-system"): Promise<void> {
  const system = await token(org, "svc-e2e", ["system"]);
  for (const mentor of mentors) {
    const res = await fetch(`${server.base}/api/v1/proxy-audit-logs`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${system}`,
        "Content-Type": "application/json",
        "User-Agent": userAgent,
      },
      body: JSON.stringify({ action: "proxy_created", coordinator_id: "coord-007", mentor_id: mentor }),
    });
    expect(res.status).toBe(201);
  }
}

async function download(org: string, query: string): Promise<string> {
  const compliance = await token(org, "compliance-001", ["compliance"]);
  const res = await fetch(`${server.base}/api/v1/proxy-audit-logs/export?${query}`, {
    headers: { Authorization: `Bearer ${compliance}` },
  });
  expect(res.status).toBe(200);
  return res.text();
}

function save(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The lines of an export, its trailer last (the text ends in a newline). */
const linesOf = (text: string) => text.slice(0, -1).split("\n");
const joinLines = (lines: string[]) => `${lines.join("\n")}\n`;

/** The trailer's checkpoint note, read from the last line of either format. */
function checkpointOf(text: string): string {
  const last = linesOf(text).at(-1) ?? "";
  const trailer = last.startsWith("#export_trailer ")
    ? JSON.parse(last.slice("#export_trailer ".length))
    : JSON.parse(last).export_trailer;
  return trailer.checkpoint;
}

function withCheckpoint(text: string, checkpoint: string): string {
  const lines = linesOf(text);
  const last = lines.pop() ?? "";
  const escaped = (note: string) => JSON.stringify(note).slice(1, -1);
  lines.push(last.replace(escaped(checkpointOf(text)), escaped(checkpoint)));
  return joinLines(lines);
}

describe("npm run verify-export on a downloaded export, with the public key only", () => {
  it("passes the clean file and fails a tampered, dropped or reordered row and a swapped checkpoint", async () => {
    // The key the witness and the officer are given: the service's, as published, and the one
    // this server was configured with.
    const published = (await (await fetch(`${server.base}/.well-known/audit-log-keys`)).json()) as {
      keys: { public_key: string; verifier_key: string; not_after: string | null }[];
    };
    const expected = createPublicKey(
      createPrivateKey({ key: Buffer.from(E2E_AUDIT_SIGNING_KEY, "base64"), format: "der", type: "pkcs8" }),
    )
      .export({ format: "der", type: "spki" })
      .subarray(-32)
      .toString("base64");
    expect(published.keys.map((key) => key.public_key)).toEqual([expected]);
    const verifier = published.keys[0]?.verifier_key ?? "";
    const foreignVerifier = strangerVerifierKey("mentor-activity-api");

    await appendEntries(ORG, ["mentor-042", "mentor-033"]);
    await appendEntries(ORG, ["mentor-482"], FORMULA_USER_AGENT);
    await appendEntries(ORG, ["mentor-510"]);
    await appendEntries(OTHER_ORG, ["mentor-042", "mentor-033", "mentor-482", "mentor-510"]);

    for (const format of ["ndjson", "csv"] as const) {
      const text = await download(ORG, `format=${format}`);
      const clean = save(`audit.${format}`, text);
      expect(verifyExport(clean, "--public-key", verifier, "--org", ORG)).toEqual({
        code: 0,
        out: expect.stringMatching(
          new RegExp(
            `^OK: 4 entries up to log-004, root matches the checkpoint of mentor-activity-api/${ORG}, signed by mentor-activity-api\\+[0-9a-f]{8}\n$`,
          ),
        ),
      });
      if (format === "csv") {
        // The formula is stored as sent, escaped in the file so a spreadsheet shows it as text.
        expect(text).toContain(`"'=HYPERLINK(""https://attacker.example/"",""Open"")"`);
        expect(text).not.toMatch(/,=HYPERLINK/);
      }

      const lines = linesOf(text);
      const first = format === "csv" ? 1 : 0; // the CSV header is line 1
      const line = (seq: number) => first + seq; // the file's line number of log-00N

      const tampered = save(`tampered.${format}`, text.replace("mentor-033", "mentor-999"));
      expect(verifyExport(tampered, "--public-key", verifier)).toEqual({
        code: 1,
        out: `FAILED at line ${line(2)}, log-002: payload_hash_mismatch: The stored fields of log-002 do not match its payload hash\n`,
      });

      const dropped = save(`dropped.${format}`, joinLines(lines.filter((_, i) => i !== line(2) - 1)));
      expect(verifyExport(dropped, "--public-key", verifier)).toEqual({
        code: 1,
        out: `FAILED at line ${line(2)}, log-002: sequence_gap: Expected log-002 but found log-003\n`,
      });

      const reordered = [...lines];
      [reordered[line(2) - 1], reordered[line(3) - 1]] = [lines[line(3) - 1] ?? "", lines[line(2) - 1] ?? ""];
      const swappedRows = save(`reordered.${format}`, joinLines(reordered));
      expect(verifyExport(swappedRows, "--public-key", verifier)).toEqual({
        code: 1,
        out: `FAILED at line ${line(2)}, log-002: sequence_gap: Expected log-002 but found log-003\n`,
      });

      // Another organisation's log of the same size, signed by the same key: its root is not this file's.
      const foreign = checkpointOf(await download(OTHER_ORG, `format=${format}`));
      const swapped = save(`swapped.${format}`, withCheckpoint(text, foreign));
      expect(verifyExport(swapped, "--public-key", verifier)).toEqual({
        code: 1,
        out: expect.stringMatching(/^FAILED: root_mismatch: /),
      });
      expect(verifyExport(swapped, "--public-key", verifier, "--org", ORG)).toEqual({
        code: 1,
        out: expect.stringMatching(/^FAILED: origin_mismatch: /),
      });

      // A good file checked with a key that did not sign it, or with none.
      expect(verifyExport(clean, "--public-key", foreignVerifier)).toEqual({
        code: 1,
        out: expect.stringMatching(/^FAILED: signature_invalid: /),
      });
      expect(verifyExport(clean).code).toBe(2);

      // A range of the log is consistent but has no signed root of its own.
      const ranged = save(
        `ranged.${format}`,
        await download(ORG, `format=${format}&from=2000-01-01T00:00:00Z`),
      );
      expect(verifyExport(ranged, "--public-key", verifier)).toEqual({
        code: 3,
        out: expect.stringMatching(/^NOT VERIFIABLE: 4 entries up to log-004 are consistent, but /),
      });
    }
  });
});
