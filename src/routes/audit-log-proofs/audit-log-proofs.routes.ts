import { createRoute, z } from "@hono/zod-openapi";
import { HttpStatus } from "../../lib/http-status";
import {
  authedErrors,
  bearerSecurity,
  bodyErrors,
  errorResponses,
  IdempotencyHeaders,
  idempotencyErrors,
  jsonContent,
} from "../../lib/openapi";
import { EntryIdParam } from "../proxy-audit-logs/proxy-audit-logs.schemas";
import {
  CheckpointPageSchema,
  CheckpointSchema,
  CheckpointsQuery,
  ConsistencyProofSchema,
  ConsistencyQuery,
  FullAuditStarted,
  InclusionProofSchema,
  ProofQuery,
  VerifySchema,
} from "./audit-log-proofs.schemas";

const tags = ["Proxy audit logs"];
const BASE = "/api/v1/proxy-audit-logs";

const BUILDING =
  "While the tree of a log that predates it is being built, or when the stored tree no longer gives the last " +
  "signed root, proofs and checkpoints answer 503 (with Retry-After).";

export const checkpoint = createRoute({
  method: "get",
  path: `${BASE}/checkpoint`,
  operationId: "getAuditCheckpoint",
  summary: "The latest signed checkpoint of the audit log (admin, compliance)",
  description:
    "An Ed25519-signed C2SP checkpoint of the log's Merkle tree (RFC 9162). Anyone with the public key from " +
    `/.well-known/audit-log-keys can check it; \`npm run audit:witness\` keeps it and checks that the next one extends it. ${BUILDING}`,
  tags,
  security: bearerSecurity,
  responses: {
    [HttpStatus.OK]: jsonContent(CheckpointSchema, "The latest signed checkpoint"),
    ...authedErrors,
    ...errorResponses.notFound,
  },
});

export const checkpoints = createRoute({
  method: "get",
  path: `${BASE}/checkpoints`,
  operationId: "listAuditCheckpoints",
  summary: "Every signed checkpoint, oldest first (admin, compliance)",
  description: "The object keeps every checkpoint it signed, at most one per tree size and key.",
  tags,
  security: bearerSecurity,
  request: { query: CheckpointsQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(CheckpointPageSchema, "A page of checkpoints"),
    ...authedErrors,
  },
});

export const proof = createRoute({
  method: "get",
  path: `${BASE}/{id}/proof`,
  operationId: "getAuditInclusionProof",
  summary: "Prove that an entry is in a signed tree",
  description:
    "The RFC 9162 inclusion proof of the entry's leaf (SHA-256(0x00 ‖ payload_hash)) in the signed tree of " +
    "`tree_size`, with that checkpoint. Readable by whoever may read the entry (a coordinator, its own). A deleted " +
    `entry keeps its leaf, so admins and compliance officers can still prove it. ${BUILDING}`,
  tags,
  security: bearerSecurity,
  request: { params: z.object({ id: EntryIdParam }), query: ProofQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(InclusionProofSchema, "The proof and the checkpoint it leads to"),
    ...authedErrors,
    ...errorResponses.notFound,
  },
});

export const consistency = createRoute({
  method: "get",
  path: `${BASE}/consistency`,
  operationId: "getAuditConsistencyProof",
  summary: "Prove that a later signed tree extends an earlier one (admin, compliance)",
  description:
    "The RFC 9162 consistency proof between two signed tree sizes: the later tree holds the earlier one " +
    `unchanged as its first entries. \`from\` = 0 or \`from\` = \`to\` answers an empty proof. ${BUILDING}`,
  tags,
  security: bearerSecurity,
  request: { query: ConsistencyQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(ConsistencyProofSchema, "The proof"),
    ...authedErrors,
  },
});

export const verify = createRoute({
  method: "get",
  path: `${BASE}/verify`,
  operationId: "verifyProxyAuditLog",
  summary: "The audit log's verdict, in O(log n) (admin, compliance)",
  description:
    "Checks that the latest checkpoint's signature verifies and that the stored tree still gives its root, and " +
    "reports the last full re-hash (POST /verify starts one). `valid` is both.",
  tags,
  security: bearerSecurity,
  responses: {
    [HttpStatus.OK]: jsonContent(VerifySchema, "The verdict"),
    ...authedErrors,
  },
});

export const startVerify = createRoute({
  method: "post",
  path: `${BASE}/verify`,
  operationId: "startAuditFullVerification",
  summary: "Start a full re-hash of the audit log (admin, compliance)",
  description:
    "Re-hashes every stored entry (payload → payload_hash → leaf → the tree at the latest signed size) in chunks " +
    "run by the log's alarm, so appends and reads go on meanwhile. Answers 202 with the re-hash's status; while " +
    "one runs, a second call answers it without starting another. Poll GET /verify for the result.",
  tags,
  security: bearerSecurity,
  request: { headers: IdempotencyHeaders },
  responses: {
    [HttpStatus.ACCEPTED]: jsonContent(FullAuditStarted, "The re-hash runs"),
    // It reads no body, but one sent is checked like any other: JSON, and 64 KiB at most.
    ...bodyErrors,
    ...idempotencyErrors,
  },
});

export type CheckpointRoute = typeof checkpoint;
export type CheckpointsRoute = typeof checkpoints;
export type ProofRoute = typeof proof;
export type ConsistencyRoute = typeof consistency;
export type VerifyRoute = typeof verify;
export type StartVerifyRoute = typeof startVerify;
