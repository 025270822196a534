import { createMiddleware } from "hono/factory";
import { AppError } from "../lib/errors";

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

/** Refuses a request body that is not JSON with 415, before any route parses it. */
export const jsonBodies = createMiddleware(async (c, next) => {
  if (BODY_METHODS.has(c.req.method) && hasBody(c.req.raw)) {
    if (!isJsonMediaType(c.req.header("content-type") ?? "")) {
      throw new AppError("unsupported_media_type", "Request bodies must be sent as application/json");
    }
  }
  await next();
});
