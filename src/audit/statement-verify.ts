/**
 * The check of a statement bundle (statement.ts) away from the service, with public keys only:
 * `npm run verify-statement` runs it in Node, the page `/statements/verify` in a browser, the
 * tests in workerd. WebCrypto only, so it runs the same in all three.
 *
 * Every check runs, in the order of STATEMENT_CHECKS, and the first that fails is the answer,
 * with a sentence a reader who is not technical can act on.
 */
import { encodeHex } from "./bytes.ts";
import { entryId } from "./entry-id.ts";
import type { NoteKey } from "./note.ts";
import { canonicalJson, entryPayload } from "./payload.ts";
import { type Statement, statementJcs } from "./statement.ts";
import { Malformed, type ReadBundle, readBundle } from "./statement-bundle.ts";
import {
  inclusionProblem,
  logEntryProblem,
  signatureProblem,
  signedTextProblem,
  signerOf,
  totalsProblem,
} from "./statement-checks.ts";
import { sha256Text } from "./webcrypto.ts";

/** The checks, in the order they run; a CLI exits with the failing one's code and prints its tag. */
export const STATEMENT_CHECKS = [
  { check: "well_formed", tag: "MALFORMED", exit: 10 },
  { check: "totals", tag: "TOTALS", exit: 11 },
  { check: "statement_hash", tag: "CHANGED", exit: 12 },
  { check: "signature", tag: "SIGNATURE", exit: 13 },
  { check: "signed_text", tag: "SIGNED_TEXT", exit: 14 },
  { check: "log_entry", tag: "LOG_ENTRY", exit: 15 },
  { check: "entry_hash", tag: "ENTRY_CHANGED", exit: 16 },
  { check: "inclusion", tag: "NOT_IN_LOG", exit: 17 },
  { check: "checkpoint", tag: "CHECKPOINT", exit: 18 },
] as const;

export type StatementCheck = (typeof STATEMENT_CHECKS)[number]["check"];

export interface VerifiedStatement {
  ok: true;
  statement: Statement;
  /** The key that signed the statement. */
  signed_by: NoteKey;
  /** The `statement_issued` entry, `log-NNN`. */
  log_entry_id: string;
  /** The size of the signed tree the entry is proved in. */
  tree_size: number;
  checkpoint_signed_by: NoteKey;
}

export interface FailedStatement {
  ok: false;
  check: StatementCheck;
  /** One plain sentence: what is wrong, specifically. */
  reason: string;
}

export type StatementVerdict = VerifiedStatement | FailedStatement;

const failed = (check: StatementCheck, reason: string): FailedStatement => ({ ok: false, check, reason });

/** The bundle's text: JSON, then every check. */
export async function verifyStatementText(text: string, keys: readonly NoteKey[]): Promise<StatementVerdict> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return failed("well_formed", "This is not a statement of hours: the text is not valid JSON.");
  }
  return verifyStatementBundle(value, keys);
}

/** Never throws for what it is given; only where the runtime cannot verify Ed25519 (Ed25519Unsupported). */
export async function verifyStatementBundle(
  value: unknown,
  keys: readonly NoteKey[],
): Promise<StatementVerdict> {
  let bundle: ReadBundle;
  try {
    bundle = readBundle(value);
  } catch (err) {
    if (err instanceof Malformed)
      return failed("well_formed", `This is not a complete statement of hours: ${err.message}.`);
    throw err;
  }
  const { statement, note, entry, checkpoint } = bundle;

  const totals = totalsProblem(statement);
  if (totals !== null) return failed("totals", `The totals do not add up: ${totals}.`);

  const hash = await sha256Text(statementJcs(statement));
  if (encodeHex(hash) !== bundle.statement_hash) {
    return failed(
      "statement_hash",
      "The statement was changed after it was issued: its contents do not match the hash that was signed.",
    );
  }

  const signer = await signerOf(note, keys);
  if (!("key" in signer)) return failed("signature", signatureProblem("The statement", signer, keys));

  const textProblem = signedTextProblem(note, statement, hash, signer.key);
  if (textProblem !== null) return failed("signed_text", textProblem);

  const entryProblem = logEntryProblem(entry, statement, bundle.statement_hash);
  if (entryProblem !== null) return failed("log_entry", entryProblem);

  let recomputed: string | null;
  try {
    recomputed = encodeHex(await sha256Text(canonicalJson(entryPayload(entry))));
  } catch {
    recomputed = null;
  }
  if (recomputed !== entry.payload_hash) {
    return failed(
      "entry_hash",
      `The log entry was changed: the fields of ${entryId(entry.seq)} do not match its payload hash.`,
    );
  }

  const inclusion = await inclusionProblem(entry, bundle.leaf_index, bundle.audit_path, checkpoint);
  if (inclusion !== null) return failed("inclusion", inclusion);

  const checkpointSigner = await signerOf(checkpoint, keys);
  if (!("key" in checkpointSigner))
    return failed("checkpoint", signatureProblem("The log checkpoint", checkpointSigner, keys));
  if (checkpoint.origin !== statement.origin) {
    return failed(
      "checkpoint",
      `The log checkpoint is of another log: ${checkpoint.origin}, not this statement's ${statement.origin}.`,
    );
  }
  if (!checkpoint.origin.startsWith(`${checkpointSigner.key.name}/`)) {
    return failed(
      "checkpoint",
      `The log checkpoint was signed by the key of ${checkpointSigner.key.name}, which does not keep the log ${checkpoint.origin}.`,
    );
  }

  return {
    ok: true,
    statement,
    signed_by: signer.key,
    log_entry_id: entryId(entry.seq),
    tree_size: checkpoint.treeSize,
    checkpoint_signed_by: checkpointSigner.key,
  };
}
