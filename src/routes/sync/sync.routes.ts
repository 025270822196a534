import { createRoute } from "@hono/zod-openapi";
import { HttpStatus } from "../../lib/http-status";
import { authedErrors, bearerSecurity, jsonContent, problemResponseOf } from "../../lib/openapi";
import { SyncPageSchema, SyncQuery } from "./sync.schemas";

export const changes = createRoute({
  method: "get",
  path: "/api/v1/sync/changes",
  operationId: "listSyncChanges",
  summary: "The changes feed of everything the caller may read (SPEC §10)",
  description:
    "For an app that keeps a local copy. Without `cursor`, every record the caller may see, as upserts, " +
    "paged; then, with the `next_cursor` of each page, what changed since, in commit order: activity logs " +
    "(a mentor's own, every entry mode; everyone's for coordinators, admins and compliance), attributions " +
    "(those naming a mentor; all for the others) and members. A record that was deleted or left the " +
    "caller's view (an attribution moved to another mentor) comes as `op: delete`. A record changed " +
    "several times between two pulls comes once, as it is now. Pull until `has_more` is false, keep " +
    "`next_cursor`, pull again later. A cursor belongs to the caller and its roles; after a role change, " +
    "or once it is older than the tombstones kept (SYNC_RETENTION_DAYS, 90 by default), it answers 410 " +
    "`sync-cursor-expired`: drop the local copy's sync state and start again without a cursor.",
  tags: ["Sync"],
  security: bearerSecurity,
  request: { query: SyncQuery },
  responses: {
    [HttpStatus.OK]: jsonContent(SyncPageSchema, "A page of changes"),
    ...authedErrors,
    [HttpStatus.GONE]: problemResponseOf(
      "The cursor is older than the tombstones kept, or belongs to another caller or roles: start without one",
    ),
  },
});

export type ChangesRoute = typeof changes;
