// `npm run audit:witness -- --base URL --token JWT --public-key VKEY [--public-key VKEY …] --state FILE [--org ORG]`
//
// A witness of one organisation's audit log, to run from cron on a machine the operator does not
// control (src/audit/witness.ts holds the check). It fetches the latest signed checkpoint, checks
// its signature with the verifier keys given (the log's current and retired keys from
// /.well-known/audit-log-keys, fetched once and kept by the witness) and its origin
// (`<key name>/<org>`), checks a consistency proof from the checkpoint it stored last time, and
// stores the new one in FILE.
//
// One line on stdout, then the exit code a cron job can act on:
//   0  OK             the log grew (or stayed) consistently with what the witness saw before
//   2  USAGE          bad arguments, or a state file of another log
//   4  UNAVAILABLE    the service could not be asked (network, 5xx, 401/403); try again later
//  10  BAD_SIGNATURE  the checkpoint is not signed by a given key, or is of another origin
//  11  INCONSISTENT   the log does not extend the checkpoint seen before: it was rewritten
//  12  ROLLBACK       the log is smaller than the checkpoint seen before: it was rolled back
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { WITNESS_EXIT, type WitnessState, witness } from "../src/audit/witness.ts";
import { publicKeysOption } from "./public-keys.ts";

const USAGE =
  "usage: npm run audit:witness -- --base URL --token JWT --public-key VKEY [--public-key VKEY …] --state FILE [--org ORG]\n";

/** The `org` claim of a JWT, read without verifying it: only to know which log the token reaches. */
function orgOfToken(token: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      org?: unknown;
    };
    return typeof payload.org === "string" ? payload.org : undefined;
  } catch {
    return undefined;
  }
}

function readState(file: string): WitnessState | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as WitnessState) : null;
}

/** Written beside the file and renamed over it, so a crash never leaves half a state. */
function writeState(file: string, state: WitnessState): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, file);
}

const OPTIONS = {
  base: { type: "string" },
  token: { type: "string" },
  "public-key": { type: "string", multiple: true },
  state: { type: "string" },
  org: { type: "string" },
  help: { type: "boolean" },
} as const;

function parseCommandLine() {
  try {
    return parseArgs({ options: OPTIONS });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function usage(message: string): number {
  process.stderr.write(`audit:witness: ${message}\n${USAGE}`);
  process.stdout.write(`USAGE: ${message}\n`);
  return WITNESS_EXIT.usage;
}

async function main(): Promise<number> {
  const parsed = parseCommandLine();
  if (typeof parsed === "string") return usage(parsed);
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return WITNESS_EXIT.ok;
  }
  const { base, token, state } = values;
  if (!base || !token || !state) return usage("--base, --token and --state are required");
  const keys = publicKeysOption(values["public-key"]);
  if (typeof keys === "string") return usage(keys);
  const org = values.org ?? orgOfToken(token);
  if (!org) return usage("the token has no org claim; give --org");
  let seen: WitnessState | null;
  try {
    seen = readState(state);
  } catch (err) {
    return usage(`${state} is not a witness state: ${err instanceof Error ? err.message : String(err)}`);
  }
  const api = `${base.replace(/\/+$/, "")}/api/v1/proxy-audit-logs`;
  const get = async (path: string) => {
    const res = await fetch(`${api}${path}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    });
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: res.status, body };
  };
  const verdict = await witness(get, keys, org, seen, new Date().toISOString());
  if (verdict.next) writeState(state, verdict.next);
  process.stdout.write(`${verdict.message}\n`);
  return verdict.code;
}

process.exitCode = await main();
