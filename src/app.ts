import { version } from "../package.json";
import { activeMember, authenticate } from "./http/authenticate";
import { configured } from "./http/configured";
import { cors } from "./http/cors";
import { createApp } from "./http/create-app";
import { database } from "./http/database";
import { idempotency } from "./http/idempotency";
import { withApiHeaders } from "./http/openapi-headers";
import { rateLimit } from "./http/rate-limit";
import { activityAttributionsRouter } from "./routes/activity-attributions/activity-attributions.index";
import { activityLogsRouter } from "./routes/activity-logs/activity-logs.index";
import { activityTypesRouter } from "./routes/activity-types/activity-types.index";
import { attributionAuditLogRouter } from "./routes/attribution-audit-log/attribution-audit-log.index";
import { attributionBatchesRouter } from "./routes/attribution-batches/attribution-batches.index";
import { auditLogExportRouter } from "./routes/audit-log-export/audit-log-export.index";
import { auditLogKeysRouter } from "./routes/audit-log-keys/audit-log-keys.index";
import { auditLogProofsRouter } from "./routes/audit-log-proofs/audit-log-proofs.index";
import { docsRouter } from "./routes/docs/docs.index";
import { healthRouter } from "./routes/health/health.index";
import { membersRouter } from "./routes/members/members.index";
import { proxyAuditLogsRouter } from "./routes/proxy-audit-logs/proxy-audit-logs.index";
import * as proxyAuditLogRoutes from "./routes/proxy-audit-logs/proxy-audit-logs.routes";
import { syncRouter } from "./routes/sync/sync.index";
import type { AppOpenAPI } from "./types";

/** The API document's version is the package's. */
const API_VERSION = version;

/** Routers of the authenticated API under /api/v1, in the order they are matched. */
const apiRouters = [
  membersRouter,
  activityTypesRouter,
  activityLogsRouter,
  // Fixed segments (/audit-log, /batches) before the attributions' /{id}.
  attributionAuditLogRouter,
  attributionBatchesRouter,
  activityAttributionsRouter,
  // Fixed segments (/verify, /checkpoint(s), /consistency, /export) before the audit log's /{id}.
  auditLogProofsRouter,
  auditLogExportRouter,
  proxyAuditLogsRouter,
  syncRouter,
] as const;

function registerOpenApi(app: AppOpenAPI): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "A JWT with the claims sub (member ID, shaped as member IDs are), org (organisation ID), roles, name and exp. " +
      "HS256 with JWT_SECRET in development; RS256/ES256 from the identity provider's JWKS in production.",
  });
  const config = (origin: string) => ({
    openapi: "3.1.0",
    info: {
      title: "Mentor Activity API",
      version: API_VERSION,
      description:
        "Mentors log what they did; coordinators register activities on mentors' behalf; every proxy " +
        "action lands in a tamper-evident audit log.\n\n" +
        "Errors are application/problem+json (RFC 9457). Times are ISO 8601 UTC with second precision; " +
        "input may carry any offset and is normalised. Lists take `page` (from 1) and `limit` and answer " +
        "`{data, pagination: {page, limit, total}}`, newest first.\n\n" +
        "Every POST, PUT and DELETE takes an optional `Idempotency-Key`; a retry with the same key and request " +
        "replays the first response with `Idempotent-Replayed: true`. Single-resource GETs send a strong `ETag` and " +
        "answer `If-None-Match` with 304; their PUT and DELETE honour `If-Match` (412 when stale). Each " +
        'caller has a request quota, stated on every /api/v1 response as `RateLimit-Policy: "default";q=…;w=…`; ' +
        'over it the answer is 429 with `Retry-After` and `RateLimit: "default";r=0;t=…`.' +
        "\n\n" +
        "Read-your-writes across replicas: every /api/v1 response carries `X-D1-Bookmark`, the newest " +
        "database state it saw. Send the last value you received back in the same header and the request " +
        "reads at least that state, even when a read replica answers it; without it, a read may come from a " +
        "replica that lags by a moment. A value that is not a bookmark is 400.",
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: origin, description: "This deployment" }],
    tags: [
      { name: "Activity logs", description: "What mentors did" },
      { name: "Activity attributions", description: "Activities coordinators registered for mentors" },
      { name: "Proxy audit logs", description: "The tamper-evident log of every proxy action" },
      { name: "Members", description: "The organisation's people and their roles" },
      { name: "Sync", description: "The changes feed an app keeps its local copy with (SPEC §10)" },
      { name: "Activity types", description: "The catalogue of activity types" },
      { name: "Service", description: "Health and documentation" },
    ],
  });
  app.get("/openapi.json", (c) =>
    c.json(withApiHeaders(app.getOpenAPI31Document(config(new URL(c.req.url).origin)))),
  );
}

export function buildApp(): AppOpenAPI {
  const app = createApp();
  app.route("/", healthRouter);
  app.route("/", docsRouter);
  app.route("/", auditLogKeysRouter);
  // The request pipeline of the API (its cache policy is set in createApp, around the body
  // checks): from which origin, configured, who is calling, within its quota, on its database,
  // still active.
  app.use("/api/v1/*", cors);
  app.use("/api/v1/*", configured);
  app.use("/api/v1/*", authenticate);
  app.use("/api/v1/*", rateLimit);
  app.use("/api/v1/*", database);
  app.use("/api/v1/*", activeMember);
  // The writes to the audit object alone keep their keys there, each with its write: the system
  // POST's append, an annotation, a deletion.
  app.use(
    "/api/v1/*",
    idempotency({
      keptByAuditLog: [proxyAuditLogRoutes.create, proxyAuditLogRoutes.annotate, proxyAuditLogRoutes.remove],
    }),
  );
  for (const router of apiRouters) app.route("/", router);
  registerOpenApi(app);
  return app;
}
