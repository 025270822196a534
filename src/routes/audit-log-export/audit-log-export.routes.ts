import { createRoute, z } from "@hono/zod-openapi";
import { EXPORT_MEDIA_TYPES } from "../../audit/export-file";
import { HttpStatus } from "../../lib/http-status";
import { authedErrors, bearerSecurity } from "../../lib/openapi";
import { CsvExportSchema, ExportQuery, NdjsonExportSchema } from "./audit-log-export.schemas";

export const exportLog = createRoute({
  method: "get",
  path: "/api/v1/proxy-audit-logs/export",
  operationId: "exportProxyAuditLog",
  summary: "Export the audit log for offline verification (admin, compliance)",
  description:
    "Streams entries in sequence order with each entry's `payload_hash` (the leaf input) and chain hashes; " +
    "deleted entries are included as redacted, their leaves intact. Without `from`/`to` the file is the whole " +
    "log up to its last signed tree size and its trailer carries that signed checkpoint: " +
    "`npm run verify-export -- FILE --public-key <vkey>` recomputes every leaf and the root and checks the " +
    "signature with the public key alone. With `from`/`to` the trailer says the file is not verifiable against " +
    "a root. A body that ends without its trailer was cut short. Kept with `Cache-Control: no-store`.",
  tags: ["Proxy audit logs"],
  security: bearerSecurity,
  request: { query: ExportQuery },
  responses: {
    [HttpStatus.OK]: {
      description: "The export file",
      headers: z.object({
        "Content-Disposition": z
          .string()
          .openapi({ example: 'attachment; filename="audit-log-1-310.ndjson"' }),
      }),
      content: {
        [EXPORT_MEDIA_TYPES.ndjson]: { schema: NdjsonExportSchema },
        [EXPORT_MEDIA_TYPES.csv]: { schema: CsvExportSchema },
      },
    },
    ...authedErrors,
  },
});

export type ExportRoute = typeof exportLog;
