/**
 * The audit object's writes and the checkpoints that sign them (SPEC §9). Every write runs in one
 * `transactionSync` without awaiting anything: it checks that the stored tree still gives the
 * last signed root, appends, grows the Merkle tree and signs a checkpoint of the new size, so no
 * other call interleaves and nothing is signed that does not extend what was signed before.
 */
import { logLine } from "../lib/log";
import { nowIso } from "../lib/time";
import { eventFields } from "./entry-fields";
import { entryId } from "./entry-id";
import type { ParsedEvent } from "./events";
import { type AuditKeys, originOf } from "./keys";
import { rootHash } from "./merkle";
import { LogWriter, rowsByEventIds, toEntry } from "./store";
import { isBuilding } from "./tree-build";
import {
  checkLastSigned,
  frontierOf,
  type LogHead,
  lastCheckpoint,
  logLength,
  readHead,
  type SignedCheck,
  StoredTree,
  signCheckpoint,
  treeSize,
} from "./tree-store";
import type { AppendRefusal, AppendResult, Unavailable } from "./types";

export class SignedLog {
  private readonly storage: DurableObjectStorage;
  /** Read at each use: a rotation takes effect at the next write. */
  private readonly keys: () => AuditKeys;
  private readonly org: string | undefined;
  /**
   * The last checkpoint this instance signed or verified: its signature need not be checked
   * again (a signature depends on the note's text alone), while the stored tree still is.
   */
  private trustedNote: string | null = null;

  /** `org` is the object's name (`idFromName(org)`), undefined when it was reached otherwise. */
  constructor(storage: DurableObjectStorage, keys: () => AuditKeys, org: string | undefined) {
    this.storage = storage;
    this.keys = keys;
    this.org = org;
  }

  private origin(): string {
    if (!this.org) throw new Error("The audit object was not reached by its organisation's name");
    return originOf(this.keys(), this.org);
  }

  /** The last signed checkpoint checked against the stored tree (see checkLastSigned). */
  check(head: LogHead = readHead(this.storage.sql)): SignedCheck {
    const check = checkLastSigned(this.storage.sql, this.keys(), this.origin(), head, this.trustedNote);
    if (check.fault === null) this.trustedNote = check.note;
    return check;
  }

  /**
   * Signs the tree as it stands when no checkpoint is signed yet and a key is configured: a new
   * log's empty tree, so a witness has a first checkpoint to hold, or a predating log's once built.
   */
  signFirst(): void {
    const { sql } = this.storage;
    const signer = this.keys().signer;
    if (signer === null || !this.org || lastCheckpoint(sql) !== null) return;
    const size = treeSize(sql);
    signCheckpoint(sql, signer, this.origin(), size, rootHash(new StoredTree(sql), size), nowIso());
  }

  /**
   * Runs a write in one transaction: refused when the object may not sign (no key, or the stored
   * tree no longer gives the last signed root; logged, since either needs an operator), else the
   * entries the write adds are appended and, when the tree is complete, a checkpoint of the new
   * size signed.
   */
  write<T>(run: (writer: LogWriter) => T): T | AppendRefusal {
    const { sql } = this.storage;
    return this.storage.transactionSync(() => {
      const keys = this.keys();
      const signer = keys.signer;
      if (signer === null) {
        const detail = keys.problems.length > 0 ? keys.problems.join("; ") : "AUDIT_SIGNING_KEY is not set";
        logLine("error", "audit log refuses appends: no signing key", { detail });
        return { status: "refused", reason: "no_signing_key", detail };
      }
      const head = readHead(sql);
      const check = this.check(head);
      if (check.fault) {
        logLine("error", "audit log refuses appends: the stored tree does not extend the last signed one", {
          org: this.org,
          ...check.fault,
        });
        return { status: "refused", reason: "untrusted", detail: check.fault.detail };
      }
      const building = head.treeSize < head.length;
      const edge = building ? null : (check.frontier ?? frontierOf(head));
      const writer = new LogWriter(sql, edge, head);
      const result = run(writer);
      const tree = writer.commit();
      if (tree && (writer.appended > 0 || check.signedSize !== tree.size)) {
        this.trustedNote = signCheckpoint(sql, signer, this.origin(), tree.size, tree.root(), nowIso()).note;
      }
      return result;
    });
  }

  /** Why proofs and signed state cannot be served now, or null. */
  unavailable(): Unavailable | null {
    const { sql } = this.storage;
    if (isBuilding(sql)) {
      return {
        status: "building",
        detail: `The log's tree is being built (${treeSize(sql)} of ${logLength(sql)} entries); try again shortly`,
      };
    }
    const { fault } = this.check();
    if (fault) return { status: "untrusted", detail: fault.detail };
    return null;
  }
}

/** Appends events in order inside a write; an event ID already held answers its entry, once per call. */
export function appendEvents(
  sql: SqlStorage,
  writer: LogWriter,
  parsed: ParsedEvent[],
  recordedAt: string,
): AppendResult[] {
  const held = rowsByEventIds(
    sql,
    parsed.map((event) => event.event_id),
  );
  return parsed.map((event): AppendResult => {
    const existing = held.get(event.event_id);
    if (existing === undefined) {
      const row = writer.add(eventFields(event, recordedAt));
      held.set(row.event_id, row);
      return { status: "created", entry: toEntry(row) };
    }
    if (existing.redacted !== 0) return { status: "redacted", id: entryId(existing.seq), seq: existing.seq };
    return { status: "existing", entry: toEntry(existing) };
  });
}
