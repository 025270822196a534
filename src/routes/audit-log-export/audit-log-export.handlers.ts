import { EXPORT_MEDIA_TYPES } from "../../audit/export-file";
import { exportStream } from "../../audit/export-stream";
import { allow } from "../../auth/policy";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../types";
import type { ExportRoute } from "./audit-log-export.routes";

export const exportLog: AppRouteHandler<ExportRoute> = async (c) => {
  const caller = c.var.caller;
  allow(caller, "audit-log.export");
  const { format, ...range } = c.req.valid("query");
  const { log } = c.var.org;
  const span = await log.exportRange(range);
  return c.body(exportStream(log, span, range, format), HttpStatus.OK, {
    "Content-Type": `${EXPORT_MEDIA_TYPES[format]}; charset=utf-8`,
    "Content-Disposition": `attachment; filename="audit-log-${span.first_seq}-${span.last_seq}.${format}"`,
    // A download of the whole log has no ETag to revalidate with and should not linger on a disk.
    "Cache-Control": "no-store",
  });
};
