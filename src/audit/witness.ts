/**
 * A witness of one organisation's audit log: the check `npm run audit:witness` runs, free of I/O
 * so the CLI drives it with the network and a state file, and the tests with the Worker itself.
 *
 * It fetches the latest signed checkpoint, checks its signature (with verifier keys it was given,
 * never ones the service hands out at check time) and its origin (`<key name>/<org>`), asks for a
 * consistency proof from the checkpoint it holds from last time, checks it, and answers the
 * checkpoint to hold next.
 */
import { fromHex, sameHash, toHex, verifyConsistency } from "./merkle.ts";
import { type NoteKey, parseCheckpoint, verifyCheckpoint } from "./signed-note.ts";

/** What the witness keeps between runs. */
export interface WitnessState {
  origin: string;
  tree_size: number;
  root_hash: string;
  checkpoint: string;
  witnessed_at: string;
}

/** The exit codes a cron job acts on. */
export const WITNESS_EXIT = {
  ok: 0,
  usage: 2,
  unavailable: 4,
  badSignature: 10,
  inconsistent: 11,
  rollback: 12,
} as const;

export interface WitnessVerdict {
  code: (typeof WITNESS_EXIT)[keyof typeof WITNESS_EXIT];
  /** One line, starting with OK, UNAVAILABLE, BAD_SIGNATURE, INCONSISTENT or ROLLBACK. */
  message: string;
  /** The state to keep, when the run saw something worth keeping. */
  next: WitnessState | null;
}

/** GET a path under the service's /api/v1/proxy-audit-logs, as JSON; throws when unreachable. */
export type WitnessFetch = (path: string) => Promise<{ status: number; body: unknown }>;

const field = (body: unknown, name: string): unknown =>
  typeof body === "object" && body !== null ? (body as Record<string, unknown>)[name] : undefined;

/** Problem type of a log whose stored tree no longer gives its last signed root (src/lib/errors.ts). */
const UNTRUSTED_TYPE = /\/audit_log_untrusted$/;

export async function witness(
  get: WitnessFetch,
  keys: readonly NoteKey[],
  org: string,
  seen: WitnessState | null,
  now: string,
): Promise<WitnessVerdict> {
  const verdict = (code: WitnessVerdict["code"], message: string, next: WitnessState | null = null) => ({
    code,
    message,
    next,
  });
  let latest: { status: number; body: unknown };
  try {
    latest = await get("/checkpoint");
  } catch (err) {
    return verdict(
      WITNESS_EXIT.unavailable,
      `UNAVAILABLE: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (latest.status === 503 && UNTRUSTED_TYPE.test(String(field(latest.body, "type") ?? ""))) {
    return verdict(
      WITNESS_EXIT.inconsistent,
      `INCONSISTENT: the service reports that its stored tree no longer gives its last signed root: ${String(field(latest.body, "detail") ?? "")}`,
    );
  }
  if (latest.status === 404) {
    // No checkpoint is only news on a first run: a log that signed one before has lost it.
    if (seen === null || seen.tree_size === 0) {
      return verdict(WITNESS_EXIT.ok, "OK: the log has no signed checkpoint yet");
    }
    return verdict(
      WITNESS_EXIT.rollback,
      `ROLLBACK: the service has no signed checkpoint, and ${seen.origin} was witnessed at size ${seen.tree_size} on ${seen.witnessed_at}`,
    );
  }
  if (latest.status !== 200) {
    return verdict(
      WITNESS_EXIT.unavailable,
      `UNAVAILABLE: GET /checkpoint answered ${latest.status} ${String(field(latest.body, "detail") ?? "")}`.trim(),
    );
  }
  const note = parseCheckpoint(String(field(latest.body, "checkpoint") ?? ""));
  if (note === null)
    return verdict(WITNESS_EXIT.badSignature, "BAD_SIGNATURE: the checkpoint is not a signed note");
  const signer = verifyCheckpoint(note, keys);
  if (signer === null) {
    return verdict(
      WITNESS_EXIT.badSignature,
      `BAD_SIGNATURE: the checkpoint of size ${note.treeSize} is not signed by any given key`,
    );
  }
  const origin = `${signer.name}/${org}`;
  if (note.origin !== origin) {
    return verdict(
      WITNESS_EXIT.badSignature,
      `BAD_SIGNATURE: the checkpoint is of ${note.origin}, not ${origin}`,
    );
  }
  const next: WitnessState = {
    origin,
    tree_size: note.treeSize,
    root_hash: toHex(note.root),
    checkpoint: note.text,
    witnessed_at: now,
  };
  if (seen === null)
    return verdict(
      WITNESS_EXIT.ok,
      `OK: ${origin} at size ${note.treeSize}, first checkpoint witnessed`,
      next,
    );
  if (seen.origin !== origin)
    return verdict(WITNESS_EXIT.usage, `USAGE: the state holds ${seen.origin}, not ${origin}`);
  if (note.treeSize < seen.tree_size) {
    return verdict(
      WITNESS_EXIT.rollback,
      `ROLLBACK: ${origin} now signs size ${note.treeSize}, smaller than the ${seen.tree_size} witnessed on ${seen.witnessed_at}`,
    );
  }
  const seenRoot = fromHex(seen.root_hash);
  if (note.treeSize === seen.tree_size) {
    if (!sameHash(note.root, seenRoot)) {
      return verdict(
        WITNESS_EXIT.inconsistent,
        `INCONSISTENT: ${origin} signs two different roots at size ${note.treeSize}`,
      );
    }
    return verdict(WITNESS_EXIT.ok, `OK: ${origin} unchanged at size ${note.treeSize}`, {
      ...seen,
      witnessed_at: now,
    });
  }
  let proof: { status: number; body: unknown };
  try {
    proof = await get(`/consistency?from=${seen.tree_size}&to=${note.treeSize}`);
  } catch (err) {
    return verdict(
      WITNESS_EXIT.unavailable,
      `UNAVAILABLE: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (proof.status === 400) {
    // The service no longer knows the size the witness saw signed: its history was replaced.
    return verdict(
      WITNESS_EXIT.inconsistent,
      `INCONSISTENT: no consistency proof from size ${seen.tree_size}: ${String(field(proof.body, "detail") ?? "")}`,
    );
  }
  if (proof.status !== 200) {
    return verdict(WITNESS_EXIT.unavailable, `UNAVAILABLE: GET /consistency answered ${proof.status}`);
  }
  const hashes = field(proof.body, "proof");
  const path =
    Array.isArray(hashes) && hashes.every((h) => typeof h === "string" && /^[0-9a-f]{64}$/.test(h))
      ? hashes.map((h: string) => fromHex(h))
      : null;
  if (path === null || !verifyConsistency(seen.tree_size, note.treeSize, path, seenRoot, note.root)) {
    return verdict(
      WITNESS_EXIT.inconsistent,
      `INCONSISTENT: the tree of size ${note.treeSize} does not extend the one of size ${seen.tree_size} witnessed on ${seen.witnessed_at}`,
    );
  }
  return verdict(
    WITNESS_EXIT.ok,
    `OK: ${origin} grew from ${seen.tree_size} to ${note.treeSize}, consistently`,
    next,
  );
}
