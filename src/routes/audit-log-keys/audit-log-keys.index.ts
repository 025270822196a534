import { createRoute, z } from "@hono/zod-openapi";
import { auditKeys } from "../../audit/keys";
import { createRouter } from "../../http/create-app";
import { HttpStatus } from "../../lib/http-status";
import { errorResponses, jsonContent } from "../../lib/openapi";

const KeySchema = z
  .object({
    key_id: z.string().openapi({
      description: "First 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), hex",
      example: "b707082c",
    }),
    name: z.string().openapi({
      description: "The key name: AUDIT_LOG_ORIGIN, the prefix of every log's origin",
      example: "mentor-activity-api",
    }),
    algorithm: z.literal("Ed25519"),
    public_key: z.string().openapi({
      description: "The 32-byte Ed25519 public key, base64",
      example: "zuc6/Px2bTtYpR8+VWXzU2ll5YrP98srGnjR5FytyHU=",
    }),
    verifier_key: z.string().openapi({
      description: "The C2SP verifier key `<name>+<key ID>+<base64(0x01 ‖ key)>`, as `--public-key` takes it",
      example: "mentor-activity-api+b707082c+Ac7nOvz8dm07WKUfPlVl81NpZeWKz/fLKxp40eRcrch1",
    }),
    not_before: z.string().nullable().openapi({ example: "2026-11-01T00:00:00Z" }),
    not_after: z
      .string()
      .nullable()
      .openapi({ description: "Set on a retired key: it signs no more", example: null }),
  })
  .openapi("AuditLogKey");

const keys = createRoute({
  method: "get",
  path: "/.well-known/audit-log-keys",
  operationId: "listAuditLogKeys",
  summary: "The public keys that sign the audit logs' checkpoints",
  description:
    "No authentication: public keys are public. The current key and every retired one (AUDIT_PUBLIC_KEYS), so a " +
    "checkpoint signed before a rotation still verifies. Give a `verifier_key` to `npm run verify-export` and " +
    "`npm run audit:witness`; fetch it once and keep it rather than trusting this endpoint on every check.",
  tags: ["Proxy audit logs"],
  security: [],
  responses: {
    [HttpStatus.OK]: jsonContent(z.object({ keys: z.array(KeySchema) }).openapi("AuditLogKeys"), "The keys"),
    ...errorResponses.internal,
  },
});

/** Public keys change only with a deployment, so clients may keep them a while. */
const KEYS_MAX_AGE_SECONDS = 300;

export const auditLogKeysRouter = createRouter().openapi(keys, (c) =>
  c.json({ keys: auditKeys(c.env).published }, HttpStatus.OK, {
    "Cache-Control": `public, max-age=${KEYS_MAX_AGE_SECONDS}`,
  }),
);
