// The `--public-key VKEY` option both audit tools take, repeatable: the verifier keys of
// /.well-known/audit-log-keys, the current one and every retired one.
import { type NoteKey, parseVerifierKey } from "../src/audit/signed-note.ts";

/** The keys given, or why they cannot be used (a usage message); at least one is required. */
export function publicKeysOption(values: readonly string[] | undefined): NoteKey[] | string {
  let keys: NoteKey[];
  try {
    keys = (values ?? []).map(parseVerifierKey);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return keys.length > 0
    ? keys
    : "give the log's --public-key (a verifier key from /.well-known/audit-log-keys)";
}
