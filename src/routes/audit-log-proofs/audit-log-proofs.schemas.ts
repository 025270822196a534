import { z } from "@hono/zod-openapi";
import { CHAIN_FAULT_REASONS } from "../../audit/proof-types";
import { MAX_CHECKPOINT_PAGE } from "../../lib/limits";

const HEX_HASH = z.string().regex(/^[0-9a-f]{64}$/);
const ROOT_EXAMPLE = "4f8a2c61be0d39a7c5e11f3b6d20e98a7c4b1d5f03e6a9b82c7d4e1f0a3b5c6d";
const NOTE_EXAMPLE =
  "mentor-activity-api/org-demo\n310\nT4osYb4NOafF4R87bSDpinxLHV8D5qm4LH1OHwo7XG0=\n\n" +
  "\u2014 mentor-activity-api 0L3o5bZr3c1n6q0Z3r0e9KmTn4kD5pS1yH2wQ7uV8xYz0aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2yZ3A==\n";

const TreeSizeQuery = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const CheckpointSchema = z
  .object({
    tree_size: z.number().int().openapi({ description: "Entries the signed tree holds (log-001 … log-N)" }),
    root_hash: HEX_HASH.openapi({ description: "The RFC 9162 Merkle tree root, hex", example: ROOT_EXAMPLE }),
    signed_at: z.string().openapi({ example: "2026-03-26T12:00:00Z" }),
    key_id: z.string().openapi({
      description: "The signing key's ID (hex); see /.well-known/audit-log-keys",
      example: "b707082c",
    }),
    checkpoint: z.string().openapi({
      description:
        "The C2SP signed note: `<origin>\\n<tree size>\\n<base64 root>\\n`, a blank line, and " +
        "`\u2014 <key name> <base64(key ID ‖ Ed25519 signature)>`. Keep it: a witness checks that every later " +
        "checkpoint extends it.",
      example: NOTE_EXAMPLE,
    }),
  })
  .openapi("AuditCheckpoint");

export const CheckpointsQuery = z.object({
  after_size: TreeSizeQuery.default(0).openapi({
    description: "Only checkpoints of a larger tree",
    example: 0,
  }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_CHECKPOINT_PAGE)
    .default(20)
    .openapi({ description: `Page size, 1..${MAX_CHECKPOINT_PAGE}`, example: 20 }),
});

export const CheckpointPageSchema = z
  .object({
    data: z.array(CheckpointSchema),
    next_after_size: z.number().int().nullable().openapi({
      description: "Pass as after_size for the next page; null on the last page",
    }),
  })
  .openapi("AuditCheckpointPage");

export const ProofQuery = z.object({
  tree_size: TreeSizeQuery.optional().openapi({
    description: "A signed tree size holding the entry; default the latest signed",
  }),
});

export const InclusionProofSchema = z
  .object({
    id: z.string().openapi({ example: "log-042" }),
    leaf_index: z.number().int().openapi({ description: "The entry's sequence number minus 1", example: 41 }),
    leaf_hash: HEX_HASH.openapi({ description: "SHA-256(0x00 ‖ payload_hash bytes), hex" }),
    tree_size: z.number().int().openapi({ example: 310 }),
    root_hash: HEX_HASH.openapi({ example: ROOT_EXAMPLE }),
    audit_path: z
      .array(HEX_HASH)
      .openapi({ description: "RFC 9162 §2.1.3 inclusion proof, hex, leaf side first" }),
    checkpoint: z
      .string()
      .openapi({ description: "The signed checkpoint of tree_size", example: NOTE_EXAMPLE }),
  })
  .openapi("AuditInclusionProof");

export const ConsistencyQuery = z
  .object({
    from: TreeSizeQuery.openapi({ description: "A signed tree size (0 for the empty tree)", example: 120 }),
    to: TreeSizeQuery.optional().openapi({
      description: "A signed tree size; default the latest signed",
      example: 310,
    }),
  })
  .superRefine((query, ctx) => {
    if (query.to !== undefined && query.from > query.to) {
      ctx.addIssue({ code: "custom", path: ["from"], message: "from must not be after to" });
    }
  });

export const ConsistencyProofSchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    proof: z
      .array(HEX_HASH)
      .openapi({ description: "RFC 9162 §2.1.4 consistency proof, hex; empty when from is 0 or to" }),
  })
  .openapi("AuditConsistencyProof");

const FullAuditSchema = z
  .object({
    status: z.enum(["never", "running", "done"]),
    tree_size: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The signed size the re-hash checks against" }),
    checked_through: z.number().int().openapi({ description: "Entries re-hashed so far" }),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
    first_bad_seq: z.number().int().nullable(),
    reason: z
      .string()
      .nullable()
      .openapi({
        description: `What the re-hash found wrong, as \`<reason>: <detail>\` with reason one of ${CHAIN_FAULT_REASONS.join(", ")}; null when nothing`,
        example: "payload_hash_mismatch: The stored fields of log-017 do not match its payload hash",
      }),
  })
  .openapi("AuditFullAudit");

export const VerifySchema = z
  .object({
    valid: z
      .boolean()
      .openapi({ description: "checkpoint_valid, and the last finished re-hash found nothing wrong" }),
    tree_size: z.number().int(),
    root_hash: HEX_HASH.nullable(),
    checkpoint_valid: z.boolean().openapi({
      description: "The latest checkpoint's signature verifies and the stored tree still gives its root",
    }),
    checkpoint_problem: z.string().nullable().openapi({ description: "Why it does not, when it does not" }),
    building: z
      .object({ tree_size: z.number().int(), log_length: z.number().int() })
      .nullable()
      .openapi({ description: "A log older than its tree: how far the build has come" }),
    full_audit: FullAuditSchema,
  })
  .openapi("AuditVerification", {
    example: {
      valid: true,
      tree_size: 310,
      root_hash: ROOT_EXAMPLE,
      checkpoint_valid: true,
      checkpoint_problem: null,
      building: null,
      full_audit: {
        status: "done",
        tree_size: 300,
        checked_through: 300,
        started_at: "2026-03-26T02:00:00Z",
        finished_at: "2026-03-26T02:00:01Z",
        first_bad_seq: null,
        reason: null,
      },
    },
  });

export const FullAuditStarted = FullAuditSchema.openapi("AuditFullAuditStarted");
