import { entryId, entrySeq } from "../../audit/entry-id";
import type { Unavailable } from "../../audit/types";
import { allow, covers } from "../../auth/policy";
import { AppError, invalidField, notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../types";
import type {
  CheckpointRoute,
  CheckpointsRoute,
  ConsistencyRoute,
  ProofRoute,
  StartVerifyRoute,
  VerifyRoute,
} from "./audit-log-proofs.routes";

/** How long to wait for a tree being built; an untrusted tree waits for its operators. */
const RETRY_AFTER = { building: "30", unsigned: "300", untrusted: "300" } as const;

/**
 * A 503 for proofs and signed state the object cannot serve now. A tree that no longer gives the
 * last signed root has a problem type of its own, so a witness can tell it from a passing outage.
 */
const unavailable = (why: Unavailable) =>
  new AppError(why.status === "untrusted" ? "audit_log_untrusted" : "service_unavailable", why.detail, {
    headers: { "Retry-After": RETRY_AFTER[why.status] },
  });

export const checkpoint: AppRouteHandler<CheckpointRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-log.verify");
  const result = await c.var.org.log.checkpoint();
  switch (result.status) {
    case "ok":
      return c.json(result.checkpoint, HttpStatus.OK);
    case "none":
      throw notFound("A signed checkpoint of this log");
    default:
      throw unavailable(result);
  }
};

export const checkpoints: AppRouteHandler<CheckpointsRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-log.verify");
  const { after_size, limit } = c.req.valid("query");
  // One more than asked tells whether another page follows.
  const rows = await c.var.org.log.checkpoints(after_size, limit + 1);
  const data = rows.slice(0, limit);
  const next = rows.length > limit ? (data.at(-1)?.tree_size ?? null) : null;
  return c.json({ data, next_after_size: next }, HttpStatus.OK);
};

export const proof: AppRouteHandler<ProofRoute> = async (c) => {
  const caller = c.var.caller;
  const reach = allow(caller, "audit-entries.read");
  const { id } = c.req.valid("param");
  const { tree_size } = c.req.valid("query");
  const seq = entrySeq(id);
  if (seq === null) throw notFound(`Audit entry ${id}`);
  const result = await c.var.org.log.proof(seq, tree_size ?? null);
  switch (result.status) {
    case "ok": {
      // A coordinator reads only its own live entries; a deleted one keeps no coordinator to match.
      if (!reach.all && (result.redacted || !covers(reach, result.coordinator_id ?? ""))) {
        throw notFound(`Audit entry ${id}`);
      }
      const { leaf_index, leaf_hash, audit_path, root_hash, checkpoint: note } = result;
      return c.json(
        {
          id: entryId(seq),
          leaf_index,
          leaf_hash,
          tree_size: result.tree_size,
          root_hash,
          audit_path,
          checkpoint: note,
        },
        HttpStatus.OK,
      );
    }
    case "not_found":
      throw notFound(`Audit entry ${id}`);
    case "bad_size":
      throw invalidField("tree_size", result.detail);
    default:
      throw unavailable(result);
  }
};

export const consistency: AppRouteHandler<ConsistencyRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-log.verify");
  const { from, to } = c.req.valid("query");
  const result = await c.var.org.log.consistency(from, to ?? null);
  switch (result.status) {
    case "ok":
      return c.json({ from: result.from, to: result.to, proof: result.proof }, HttpStatus.OK);
    case "bad_size":
      throw invalidField(result.field, result.detail);
    default:
      throw unavailable(result);
  }
};

export const verify: AppRouteHandler<VerifyRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-log.verify");
  return c.json(await c.var.org.log.verify(), HttpStatus.OK);
};

export const startVerify: AppRouteHandler<StartVerifyRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-log.verify");
  return c.json(await c.var.org.log.startVerify(), HttpStatus.ACCEPTED);
};
