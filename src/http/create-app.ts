import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { AppError, fieldErrors, handleError, problemResponse } from "../lib/errors";
import { MAX_BODY_BYTES, MAX_UPLOAD_BODY_BYTES } from "../lib/limits";

/** The one route that takes bodies up to MAX_UPLOAD_BODY_BYTES. */
const UPLOAD_PATH = "/api/v1/activity-logs/batch";

import type { AppBindings } from "../types";
import { cacheControl } from "./cache-control";
import { jsonBodies } from "./media-type";
import { requestLog } from "./request-log";

/**
 * Every router is made here, so that all of them answer validation failures
 * with the same problem+json shape.
 */
export function createRouter(): OpenAPIHono<AppBindings> {
  return new OpenAPIHono<AppBindings>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === "json" ? "body" : result.target;
        throw new AppError("validation_failed", `The request ${where} is invalid`, {
          errors: fieldErrors(result.error),
        });
      }
    },
  });
}

/**
 * The app with the cross-cutting middleware: request ID, request log, security headers, the
 * API's cache policy, media types, body limits, errors. The first four come first so that every
 * response, including the problems the later ones answer, carries them and is logged.
 */
export function createApp(): OpenAPIHono<AppBindings> {
  const app = createRouter();
  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(requestLog);
  app.use(secureHeaders({ crossOriginResourcePolicy: "cross-origin" }));
  // Before the media-type and size checks, so that their problems are marked no-store too.
  app.use("/api/v1/*", cacheControl);
  app.use(jsonBodies);
  const limitOf = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: (c) =>
        problemResponse(c, "payload_too_large", `Request bodies are limited to ${maxSize} bytes`),
    });
  const defaultLimit = limitOf(MAX_BODY_BYTES);
  // A day of entries queued offline is one request (SPEC §10).
  const uploadLimit = limitOf(MAX_UPLOAD_BODY_BYTES);
  app.use((c, next) => (c.req.path === UPLOAD_PATH ? uploadLimit : defaultLimit)(c, next));
  app.notFound((c) => problemResponse(c, "not_found", `No route for ${c.req.method} ${c.req.path}`));
  app.onError(handleError);
  return app;
}
