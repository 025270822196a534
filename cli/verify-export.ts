// `npm run verify-export -- FILE --public-key VKEY [--public-key VKEY …] [--org ORG]`: checks an
// audit export away from the service, with public keys only. Recomputes every payload hash, the
// hash chain, the deletion records and the Merkle tree of all the entries, and checks that its
// root is the one the trailer's checkpoint signs, with one of the given verifier keys (from
// /.well-known/audit-log-keys). Exit codes: 0 OK, 1 the file fails a check, 2 usage,
// 3 the file is consistent but cannot be checked against a signed root (a ranged export).
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";
import { entryId } from "../src/audit/entry-id.ts";
import { EXPORT_COLUMNS, type ExportFormat } from "../src/audit/export-file.ts";
import { ExportVerifier } from "../src/audit/export-verify.ts";
import type { NoteKey } from "../src/audit/signed-note.ts";
import { publicKeysOption } from "./public-keys.ts";

const USAGE = "usage: npm run verify-export -- FILE --public-key VKEY [--public-key VKEY …] [--org ORG]\n";

/** Reads the file in pieces and feeds it line by line, so a large export is checked in bounded memory. */
async function verifyFile(file: string, keys: NoteKey[], org: string | undefined): Promise<number> {
  let verifier: ExportVerifier | null = null;
  const options = { keys, ...(org === undefined ? {} : { org }) };
  const feed = (line: string) => {
    // A CSV export starts with its header line; anything else is read as NDJSON.
    const format: ExportFormat = line.startsWith(`${EXPORT_COLUMNS[0]},`) ? "csv" : "ndjson";
    verifier ??= new ExportVerifier(format, options);
    verifier.push(line);
  };
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "utf8" })) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) feed(line);
  }
  if (rest !== "") feed(rest);

  const verdict = (verifier ?? new ExportVerifier("ndjson", options)).finish();
  if (verdict.fault !== null) {
    const { line, seq, reason, detail } = verdict.fault;
    const where = [line === null ? null : `line ${line}`, seq === null ? null : entryId(seq)]
      .filter(Boolean)
      .join(", ");
    console.log(`FAILED${where ? ` at ${where}` : ""}: ${reason}: ${detail}`);
    return 1;
  }
  const last = verdict.head ? entryId(verdict.head.seq) : "none";
  if (!verdict.verifiable) {
    console.log(
      `NOT VERIFIABLE: ${verdict.entries_checked} entries up to ${last} are consistent, but ${verdict.unverifiable_reason ?? "the file carries no signed root"}`,
    );
    return 3;
  }
  const signer = verdict.signed_by ? `${verdict.signed_by.name}+${verdict.signed_by.keyId}` : "?";
  console.log(
    `OK: ${verdict.entries_checked} entries up to ${last}, root matches the checkpoint of ${verdict.origin}, signed by ${signer}`,
  );
  return 0;
}

function usage(message: string): number {
  process.stderr.write(`verify-export: ${message}\n${USAGE}`);
  return 2;
}

const OPTIONS = {
  "public-key": { type: "string", multiple: true },
  org: { type: "string" },
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
  return verifyFile(file, keys, values.org);
}

process.exitCode = await main();
