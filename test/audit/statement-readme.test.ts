import { env } from "cloudflare:workers";
import canonicalize from "canonicalize";
import { describe, expect, it } from "vitest";
import readme from "../../README.md?raw";
import { verifierKeyOf } from "../../scripts/dev/statement-bundle";
import {
  EXAMPLE_BEGIN,
  EXAMPLE_END,
  EXAMPLE_KEY,
  exampleStatement,
  statementExample,
} from "../../scripts/dev/statement-example";
import { decodeBase64, encodeBase64, encodeHex } from "../../src/audit/bytes";
import { parseNote } from "../../src/audit/note";
import { STATEMENT_NOTE_HEADER } from "../../src/audit/statement";
import { readVerifierKey, sha256Text, verifyEd25519 } from "../../src/audit/webcrypto";

/** The README's worked example, between its markers. */
function readmeExample(): string {
  const start = readme.indexOf(EXAMPLE_BEGIN);
  const end = readme.indexOf(EXAMPLE_END);
  if (start === -1 || end === -1) throw new Error("The README has no statement example block");
  return readme.slice(start, end + EXAMPLE_END.length);
}

/** The contents of the block's ```text fences, in order. */
const fences = (block: string) => [...block.matchAll(/```text\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? "");

describe("the README's worked example of a statement's hash and signature", () => {
  it("is what npm run statement:example prints today", () => {
    expect(readmeExample()).toBe(statementExample());
  });

  it("verifies on its own: the JCS bytes, their SHA-256, the signed text and the signature", async () => {
    const block = readmeExample();
    const [jcs = "", hashes = "", note = ""] = fences(block);
    expect(canonicalize(JSON.parse(jcs))).toBe(jcs);
    expect(JSON.parse(jcs)).toEqual(exampleStatement());
    expect(block).toContain(`(${new TextEncoder().encode(jcs).length} bytes of UTF-8,`);

    const [hex, base64] = hashes.split("\n");
    const hash = await sha256Text(jcs);
    expect(hex).toBe(encodeHex(hash));
    expect(base64).toBe(encodeBase64(hash));

    const statement = exampleStatement();
    const parsed = parseNote(`${note}\n`);
    expect(parsed?.lines).toEqual([STATEMENT_NOTE_HEADER, statement.origin, statement.statement_id, base64]);

    const [, verifier = ""] = /whose verifier key is `([^`]+)`/.exec(block) ?? [];
    const key = await readVerifierKey(verifier);
    const [signature] = parsed?.signatures ?? [];
    expect(signature).toMatchObject({ name: key.name, keyId: key.keyId });
    expect(
      await verifyEd25519(key.publicKey, signature?.signature ?? new Uint8Array(), parsed?.text ?? ""),
    ).toBe(true);
    expect(decodeBase64(base64 ?? "")).toEqual(hash);
  });

  it("is signed with the test configuration's key", () => {
    expect(EXAMPLE_KEY.signingKey).toBe(env.AUDIT_SIGNING_KEY);
    expect(readmeExample()).toContain(verifierKeyOf(EXAMPLE_KEY));
  });
});
