import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { requestLog } from "../http/request-log";
import { AppError, fieldErrors, handleError, problemResponse } from "./errors";
import { MAX_BODY_BYTES } from "./limits";
import type { AppBindings } from "./types";

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

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return mediaType === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

function hasBody(req: Request): boolean {
  const length = req.headers.get("content-length");
  if (length !== null) return Number(length) > 0;
  return req.body !== null;
}

/**
 * The app with the cross-cutting middleware: request ID, request log, security headers,
 * body limits, media types, errors. The first three come first so that every response,
 * including the problems the later ones answer, carries them and is logged.
 */
export function createApp(): OpenAPIHono<AppBindings> {
  const app = createRouter();
  app.use(requestId({ headerName: "X-Request-Id" }));
  app.use(requestLog);
  app.use(secureHeaders({ crossOriginResourcePolicy: "cross-origin" }));
  app.use(async (c, next) => {
    if (BODY_METHODS.has(c.req.method) && hasBody(c.req.raw)) {
      const contentType = c.req.header("content-type") ?? "";
      if (!isJsonMediaType(contentType)) {
        throw new AppError("unsupported_media_type", "Request bodies must be sent as application/json");
      }
    }
    await next();
  });
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        problemResponse(c, "payload_too_large", `Request bodies are limited to ${MAX_BODY_BYTES} bytes`),
    }),
  );
  app.notFound((c) => problemResponse(c, "not_found", `No route for ${c.req.method} ${c.req.path}`));
  app.onError(handleError);
  return app;
}
