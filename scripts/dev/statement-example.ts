// `npm run statement:example`: prints the README's worked example of a statement's hash and
// signature (section "Verifying a statement of hours"), computed from a small statement and signed
// with the test configuration's audit log key, so that its bytes are real and anyone can check
// them. Ed25519 signatures are deterministic: the same statement and key print the same block.
// test/audit/statement-readme.test.ts checks that the README holds exactly this block and that it
// verifies.
import { createHash } from "node:crypto";
import { encodeBase64 } from "../../src/audit/bytes.ts";
import { statementJcs } from "../../src/audit/statement.ts";
import { type LogKey, statementOf, statementSignature, verifierKeyOf } from "./statement-bundle.ts";

/** vitest.config.ts's AUDIT_SIGNING_KEY: a key for tests and examples only, never a deployment's. */
export const EXAMPLE_KEY: LogKey = {
  signingKey: "MC4CAQAwBQYDK2VwBCIEIOb5zKdiWpIO43u3887Lyems9I1a/0LXwNbKQWxCDsXF",
};

export const EXAMPLE_BEGIN = "<!-- statement-example:begin (npm run statement:example writes this block) -->";
export const EXAMPLE_END = "<!-- statement-example:end -->";

export const exampleStatement = () =>
  statementOf({
    statement_id: "stmt-20260401-001",
    org_id: "org-demo",
    mentor: { id: "mentor-042", name: "Sam Rivera" },
    period: { from: "2026-03-01", to: "2026-03-31", time_zone: "Europe/London" },
    entries: [
      {
        id: "act-117",
        occurred_at: "2026-03-03T17:30:00Z",
        activity_type: "workshop",
        duration_minutes: 90,
        entry_mode: "proxy",
        verification: "confirmed",
      },
      {
        id: "act-142",
        occurred_at: "2026-03-10T16:00:00Z",
        activity_type: "mentoring",
        duration_minutes: 45,
        entry_mode: "self",
        verification: "approved",
      },
    ],
    issued_at: "2026-04-01T09:30:00Z",
    issued_by: "coord-007",
  });

const fence = (text: string) => `\`\`\`text\n${text}\n\`\`\``;

/** The README's block, between its markers. */
export function statementExample(): string {
  const statement = exampleStatement();
  const jcs = statementJcs(statement);
  const hash = createHash("sha256").update(jcs, "utf8").digest();
  const note = statementSignature(statement, EXAMPLE_KEY);
  return [
    EXAMPLE_BEGIN,
    `The statement as RFC 8785 writes it (${Buffer.byteLength(jcs, "utf8")} bytes of UTF-8, one line, no newline after it):`,
    "",
    fence(jcs),
    "",
    "Its SHA-256, in lowercase hex (`statement_hash`) and in base64 (the note's last line):",
    "",
    fence(`${hash.toString("hex")}\n${encodeBase64(hash)}`),
    "",
    "The signed note (`signature`): the four lines of the signed text, each ending in `\\n` (0x0A), the",
    "blank line, and the signature line `— <key name> <base64(4-byte key ID ‖ 64-byte Ed25519 signature)>`",
    "(the dash is U+2014, E2 80 94 in UTF-8), signed over the text up to and including its fourth `\\n`",
    `with the test configuration's key, whose verifier key is \`${verifierKeyOf(EXAMPLE_KEY)}\`:`,
    "",
    fence(note.slice(0, -1)),
    EXAMPLE_END,
  ].join("\n");
}

if (import.meta.main) process.stdout.write(`${statementExample()}\n`);
