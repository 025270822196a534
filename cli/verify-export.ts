// `npm run verify-export -- FILE [--key KEY]`: checks an audit export away from the service.
// Walks every link and payload hash, the deletion records and the trailer; with the chain key
// (--key, or AUDIT_CHAIN_KEY in the environment) it also checks the trailer's checkpoint.
// Prints OK with the head, or the first bad line, and exits 1 on a fault.
import { createReadStream } from "node:fs";
import { parseArgs } from "node:util";
import { entryId } from "../src/audit/entry-id.ts";
import { EXPORT_COLUMNS, type ExportFormat, ExportVerifier } from "../src/audit/export-file.ts";

/** Reads the file in pieces and feeds it line by line, so a large export is checked in bounded memory. */
async function verifyFile(file: string, key: string | undefined): Promise<boolean> {
  let verifier: ExportVerifier | null = null;
  const feed = (line: string) => {
    // A CSV export starts with its header line; anything else is read as NDJSON.
    const format: ExportFormat = line.startsWith(`${EXPORT_COLUMNS[0]},`) ? "csv" : "ndjson";
    verifier ??= new ExportVerifier(format, key);
    verifier.push(line);
  };
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "utf8" })) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) feed(line);
  }
  if (rest !== "") feed(rest);

  const verdict = (verifier ?? new ExportVerifier("ndjson", key)).finish();
  if (verdict.fault !== null) {
    const { line, seq, reason, detail } = verdict.fault;
    const where = [line === null ? null : `line ${line}`, seq === null ? null : entryId(seq)]
      .filter(Boolean)
      .join(", ");
    console.log(`FAILED${where ? ` at ${where}` : ""}: ${reason}: ${detail}`);
    return false;
  }
  const head = verdict.head ? `${entryId(verdict.head.seq)} ${verdict.head.hash}` : "none (empty export)";
  const checkpoint = verdict.checkpoint_checked ? "checkpoint verified" : "checkpoint not checked (no key)";
  console.log(`OK: ${verdict.entries_checked} entries, head ${head}, ${checkpoint}`);
  return true;
}

const { values, positionals } = parseArgs({ options: { key: { type: "string" } }, allowPositionals: true });
const [file, ...extra] = positionals;
if (file === undefined || extra.length > 0) {
  process.stderr.write("usage: npm run verify-export -- FILE [--key KEY]\n");
  process.exitCode = 2;
} else if (!(await verifyFile(file, values.key ?? process.env.AUDIT_CHAIN_KEY))) {
  process.exitCode = 1;
}
