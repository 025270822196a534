// `npm run verify-statement -- FILE --public-key VKEY [--public-key VKEY …]`
//
// Checks a statement of hours (SPEC §16) away from the service, with public keys only: the
// totals against the entries, the statement's RFC 8785 hash, the signed note (its key, its
// text), the `statement_issued` log entry and its payload hash, its inclusion proof, and the
// checkpoint's signature and origin (src/audit/statement-verify.ts, the code the page
// /statements/verify runs). The keys are the `verifier_key`s of /.well-known/audit-log-keys,
// fetched once and kept.
//
// One line on stdout, then an exit code per failing check:
//   0  OK             the statement is the one issued, signed and in the organisation's log
//   2  USAGE          bad arguments, no key, or a file that cannot be read
//  10  MALFORMED      not a statement bundle of the exact format
//  11  TOTALS         the totals are not the sums of the activities listed
//  12  CHANGED        the statement is not the one whose hash was signed
//  13  SIGNATURE      not signed by a given key, or a signature that does not verify
//  14  SIGNED_TEXT    a valid signature, but of another statement, log or hash
//  15  LOG_ENTRY      the log entry is not the record of this statement's issue
//  16  ENTRY_CHANGED  the log entry's fields do not give its payload hash
//  17  NOT_IN_LOG     the inclusion proof does not lead to the checkpoint's root
//  18  CHECKPOINT     the checkpoint is not signed by a given key, or is of another log
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { hoursText } from "../src/audit/statement.ts";
import {
  STATEMENT_CHECKS,
  type VerifiedStatement,
  verifyStatementText,
} from "../src/audit/statement-verify.ts";
import { publicKeysOption } from "./public-keys.ts";

const USAGE = "usage: npm run verify-statement -- FILE --public-key VKEY [--public-key VKEY …]\n";
const USAGE_EXIT = 2;

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The one line of a verified statement: who, when, how much, and what vouches for it. */
function okLine(verdict: VerifiedStatement): string {
  const { statement, signed_by: key } = verdict;
  const { mentor, period, totals } = statement;
  return (
    `OK: ${mentor.name} (${mentor.id}), ${period.from} to ${period.to} (${period.time_zone}): ` +
    `${hoursText(totals.minutes)} in ${plural(totals.activities, "activity", "activities")}; ` +
    `statement ${statement.statement_id} signed by ${key.name}+${key.keyId}, in the log at ${verdict.log_entry_id}`
  );
}

function usage(message: string): number {
  process.stderr.write(`verify-statement: ${message}\n${USAGE}`);
  process.stdout.write(`USAGE: ${message}\n`);
  return USAGE_EXIT;
}

const OPTIONS = {
  "public-key": { type: "string", multiple: true },
  help: { type: "boolean" },
} as const;

function parseCommandLine() {
  try {
    return parseArgs({ options: OPTIONS, allowPositionals: true });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function main(): Promise<number> {
  const parsed = parseCommandLine();
  if (typeof parsed === "string") return usage(parsed);
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0) return usage("give one FILE");
  const keys = publicKeysOption(values["public-key"]);
  if (typeof keys === "string") return usage(keys);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    return usage(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const verdict = await verifyStatementText(text, keys);
  if (verdict.ok) {
    process.stdout.write(`${okLine(verdict)}\n`);
    return 0;
  }
  const failed = STATEMENT_CHECKS.find((c) => c.check === verdict.check);
  if (failed === undefined) throw new Error(`No exit code for the check ${verdict.check}`);
  process.stdout.write(`${failed.tag}: ${verdict.reason}\n`);
  return failed.exit;
}

process.exitCode = await main();
