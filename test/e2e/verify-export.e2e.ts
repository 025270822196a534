import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, E2E_AUDIT_CHAIN_KEY, E2E_JWT_SECRET, startDevServer } from "./dev-server";

const ROOT = join(import.meta.dirname, "../..");
const ORG = "org-e2e-export";

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

function token(sub: string, roles: string[]): Promise<string> {
  return new SignJWT({ org: ORG, roles })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(E2E_JWT_SECRET));
}

/** Runs `npm run verify-export`'s script as the project's Node runs it; answers its exit code and output. */
function verifyExport(file: string, key?: string): { code: number; out: string } {
  const args = ["cli/verify-export.ts", file, ...(key ? ["--key", key] : [])];
  try {
    return { code: 0, out: execFileSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" }) };
  } catch (err) {
    const failed = err as { status: number; stdout: string };
    return { code: failed.status, out: failed.stdout };
  }
}

describe("npm run verify-export on a downloaded export", () => {
  it("accepts the file the server streamed and names the line of a changed row", async () => {
    const system = await token("svc-e2e", ["system"]);
    for (const mentor of ["mentor-042", "mentor-033", "mentor-482"]) {
      const res = await fetch(`${server.base}/api/v1/proxy-audit-logs`, {
        method: "POST",
        headers: { Authorization: `Bearer ${system}`, "Content-Type": "application/json" },
        body: JSON.stringify({ action: "proxy_created", coordinator_id: "coord-007", mentor_id: mentor }),
      });
      expect(res.status).toBe(201);
    }
    const compliance = await token("compliance-001", ["compliance"]);
    for (const format of ["ndjson", "csv"]) {
      const res = await fetch(`${server.base}/api/v1/proxy-audit-logs/export?format=${format}`, {
        headers: { Authorization: `Bearer ${compliance}` },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      const file = join(dir, `audit.${format}`);
      writeFileSync(file, text);
      const ok = verifyExport(file, E2E_AUDIT_CHAIN_KEY);
      expect(ok).toEqual({
        code: 0,
        out: expect.stringMatching(/^OK: 3 entries, head log-003 [0-9a-f]{64}, checkpoint verified\n$/),
      });

      // The second entry (line 2 of NDJSON, line 3 of CSV after the header) names another mentor.
      const tampered = join(dir, `tampered.${format}`);
      writeFileSync(tampered, text.replace("mentor-033", "mentor-999"));
      const line = format === "csv" ? 3 : 2;
      expect(verifyExport(tampered)).toEqual({
        code: 1,
        out: `FAILED at line ${line}, log-002: payload_hash_mismatch: The stored fields of log-002 do not match its payload hash\n`,
      });
      expect(verifyExport(file, "not-the-key").code).toBe(1);
    }
  });
});
