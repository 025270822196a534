import { DurableObject } from "cloudflare:workers";
import { signCosignature } from "../../src/audit/cosigner.ts";
import { EMPTY_ROOT, type Hash, sameHash, verifyConsistency } from "../../src/audit/merkle.ts";
import { witnessConfig } from "./config.ts";
import type { WitnessEnv } from "./env.ts";

/** A checkpoint whose log signature the Worker has verified, with the proof from the size the log believes the witness holds. */
export interface CosignRequest {
  origin: string;
  oldSize: number;
  proof: Hash[];
  treeSize: number;
  root: Hash;
  /** The checkpoint's note text, newline included: what the cosignature covers. */
  text: string;
  /** The log's signature lines the Worker verified, kept with the cosigned checkpoint. */
  logSignatures: string;
}

export type CosignOutcome =
  | { status: 200; cosignature: string }
  | { status: 409; size: number }
  | { status: 422; detail: string }
  | { status: 503; detail: string };

interface HeldRow extends Record<string, SqlStorageValue> {
  origin: string;
  tree_size: number;
  root_hash: ArrayBuffer;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS witnessed (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  origin TEXT NOT NULL,
  tree_size INTEGER NOT NULL,
  root_hash BLOB NOT NULL,
  checkpoint TEXT NOT NULL,
  cosigned_at INTEGER NOT NULL
)`;

/**
 * One log's state at the witness (C2SP tlog-witness): the size and root of the latest checkpoint
 * it cosigned. `add` checks the request against them, verifies the consistency proof, records the
 * new checkpoint and signs, in one `transactionSync` with no `await`: two requests for one log
 * never interleave, so the witness never cosigns two roots for one size, nor rolls back.
 */
export class WitnessedLog extends DurableObject<WitnessEnv> {
  add(request: CosignRequest): CosignOutcome {
    const cosigner = witnessConfig(this.env).cosigner;
    if (cosigner === null) return { status: 503, detail: "The witness is not configured" };
    const now = Math.floor(Date.now() / 1000);
    const sql = this.ctx.storage.sql;
    return this.ctx.storage.transactionSync((): CosignOutcome => {
      sql.exec(SCHEMA);
      const row = sql
        .exec<HeldRow>("SELECT origin, tree_size, root_hash FROM witnessed WHERE id = 1")
        .toArray()[0];
      if (row !== undefined && row.origin !== request.origin) {
        throw new Error(`The object of ${row.origin} was asked to cosign ${request.origin}`);
      }
      const heldSize = row?.tree_size ?? 0;
      const heldRoot = row === undefined ? EMPTY_ROOT : new Uint8Array(row.root_hash);
      if (request.oldSize !== heldSize) return { status: 409, size: heldSize };
      if (request.treeSize === 0 && !sameHash(request.root, EMPTY_ROOT)) {
        return { status: 422, detail: "A checkpoint of size 0 must have the empty tree's root" };
      }
      if (request.oldSize === 0 && request.proof.length > 0) {
        return { status: 422, detail: "From size 0 the consistency proof must be empty" };
      }
      if (request.oldSize === request.treeSize && !sameHash(request.root, heldRoot)) {
        return {
          status: 422,
          detail: `The witness cosigned a different root at size ${heldSize}`,
        };
      }
      if (
        request.oldSize > 0 &&
        !verifyConsistency(request.oldSize, request.treeSize, request.proof, heldRoot, request.root)
      ) {
        return {
          status: 422,
          detail: `The consistency proof from size ${request.oldSize} to ${request.treeSize} does not verify`,
        };
      }
      const cosignature = signCosignature(request.text, cosigner, now);
      const note = `${request.text}\n${request.logSignatures}${cosignature}`;
      sql.exec(
        `INSERT INTO witnessed (id, origin, tree_size, root_hash, checkpoint, cosigned_at)
         VALUES (1, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET tree_size = excluded.tree_size, root_hash = excluded.root_hash,
           checkpoint = excluded.checkpoint, cosigned_at = excluded.cosigned_at`,
        request.origin,
        request.treeSize,
        request.root,
        note,
        now,
      );
      return { status: 200, cosignature };
    });
  }

  /** The latest checkpoint it cosigned, with the log's signatures and its own cosignature, or null. */
  latest(): string | null {
    const sql = this.ctx.storage.sql;
    // A read creates nothing: asking about a log the witness never saw leaves no storage behind.
    const exists = sql
      .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'witnessed'")
      .toArray();
    if (exists.length === 0) return null;
    const row = sql
      .exec<{ checkpoint: string }>("SELECT checkpoint FROM witnessed WHERE id = 1")
      .toArray()[0];
    return row?.checkpoint ?? null;
  }
}
