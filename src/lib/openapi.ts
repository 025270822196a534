import { z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE } from "./errors";
import { HttpStatus } from "./http-status";
import { DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE } from "./limits";

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "https://mentor-activity.api/problems/validation_failed" }),
    title: z.string().openapi({ example: "Validation Failed" }),
    status: z.number().int().openapi({ example: 400 }),
    detail: z.string().openapi({ example: "The request body is invalid" }),
    instance: z.string().optional().openapi({ example: "/api/v1/activity-logs" }),
    request_id: z.string().optional(),
    errors: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .openapi({
        description: "Each field at fault, at most 20",
        example: [{ path: "duration_minutes", message: "Too big: expected number to be <=1440" }],
      }),
    errors_truncated: z
      .literal(true)
      .optional()
      .openapi({ description: "Present when more than 20 fields were at fault" }),
  })
  .openapi("Problem");

/** A problem+json response with its description, for a route's `responses`. */
export const problemResponseOf = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
});

/** Every error a route can answer, to spread into its `responses`. */
export const errorResponses = {
  badRequest: { [HttpStatus.BAD_REQUEST]: problemResponseOf("Malformed JSON or a validation failure") },
  unauthorized: {
    [HttpStatus.UNAUTHORIZED]: problemResponseOf("Missing, malformed, expired or badly signed bearer token"),
  },
  forbidden: {
    [HttpStatus.FORBIDDEN]: problemResponseOf("The caller's role or member status does not allow this"),
  },
  notFound: { [HttpStatus.NOT_FOUND]: problemResponseOf("No such resource in the caller's organisation") },
  conflict: { [HttpStatus.CONFLICT]: problemResponseOf("The request conflicts with the current state") },
  unprocessable: {
    [HttpStatus.UNPROCESSABLE_ENTITY]: problemResponseOf(
      "The Idempotency-Key was already used for a different request",
    ),
  },
  payloadTooLarge: { [HttpStatus.PAYLOAD_TOO_LARGE]: problemResponseOf("The request body is too large") },
  unsupportedMediaType: {
    [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: problemResponseOf("The request body is not application/json"),
  },
  rateLimited: {
    [HttpStatus.TOO_MANY_REQUESTS]: {
      ...problemResponseOf("The caller sent more requests than its quota allows in the period"),
      headers: {
        "Retry-After": {
          description: "Seconds to wait before retrying",
          schema: { type: "integer" as const },
        },
        RateLimit: {
          description: 'draft-ietf-httpapi-ratelimit-headers: `"default";r=0;t=<seconds>`',
          schema: { type: "string" as const },
        },
      },
    },
  },
  internal: {
    [HttpStatus.INTERNAL_SERVER_ERROR]: problemResponseOf("Unexpected error; quote the request ID"),
  },
  serviceUnavailable: {
    [HttpStatus.SERVICE_UNAVAILABLE]: {
      ...problemResponseOf(
        "The deployment is misconfigured (its log says why), the organisation is being moved to another " +
          "database (type organisation_moving: nothing was written), or the request must wait; retry after Retry-After",
      ),
      headers: {
        "Retry-After": {
          description: "Seconds to wait before retrying",
          schema: { type: "integer" as const },
        },
      },
    },
  },
} as const;

/** Errors every authenticated route can answer. */
export const authedErrors = {
  ...errorResponses.badRequest,
  ...errorResponses.unauthorized,
  ...errorResponses.forbidden,
  ...errorResponses.rateLimited,
  ...errorResponses.internal,
  ...errorResponses.serviceUnavailable,
};

/** Errors every authenticated route with a JSON body can answer. */
export const bodyErrors = {
  ...authedErrors,
  ...errorResponses.payloadTooLarge,
  ...errorResponses.unsupportedMediaType,
};

/**
 * The request header of every write (POST, PUT, DELETE). Only documented here: the idempotency
 * middleware reads and checks it before the route's validator runs.
 */
export const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({
      description:
        "Makes a retry safe (draft-ietf-httpapi-idempotency-key-header): 1..255 printable ASCII characters, " +
        "as a structured-field string or bare. A retry with the same key and the same method, path and body " +
        "within 24 hours replays the first response (status, body, Content-Type, Location, ETag) with " +
        "`Idempotent-Replayed: true` and does nothing again; 4xx outcomes are replayed too, a 5xx frees the " +
        "key unless the write committed. A write to the database stores its answer in the same transaction " +
        "as the write, so a retry after any failure either replays it or runs the write for the first time; " +
        "so does a write to the audit log alone (the system POST, an annotation or a deletion of an entry), " +
        "whose answer the log keeps with the write. Keys belong to the caller within its organisation.",
      example: '"8e03978e-40d5-43e8-bc93-6894a57f9324"',
    }),
});

/** What a write with an Idempotency-Key can answer besides its own statuses. */
export const idempotencyErrors = {
  [HttpStatus.CONFLICT]: {
    ...problemResponseOf(
      "The request conflicts with the current state; or the first request with this Idempotency-Key is still " +
        "running (retry after `Retry-After` seconds: a request that died gives its key up after its lease); " +
        "or a retry took the key over from this request, which then wrote nothing",
    ),
    headers: {
      "Retry-After": {
        description:
          "With a request still running: seconds until its lease ends and a retry may take the key over",
        schema: { type: "integer" as const },
      },
    },
  },
  ...errorResponses.unprocessable,
};

const etagHeader = {
  ETag: {
    description: "Strong validator of this version of the resource; send it in If-Match or If-None-Match",
    schema: { type: "string" as const, example: '"3f1c0a9e5b7d2c4e8a6f1b0d9c3e7a52"' },
  },
};

/**
 * The 412 of a conditional write: the resource as it is now in `current`, and its tag in `ETag`,
 * so a client can merge and retry without reading it again; both absent when the resource is gone.
 */
export const preconditionFailedOf = <T extends z.ZodType>(current: T) => ({
  [HttpStatus.PRECONDITION_FAILED]: {
    description:
      "If-Match does not match the current ETag; nothing changed. `current` holds the resource as it is now " +
      "and the ETag header its tag (both absent when the resource is gone)",
    headers: etagHeader,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: ProblemSchema.extend({
          current: current.optional().openapi({ description: "The resource as it is now" }),
        }),
      },
    },
  },
});

/** The header of an answer that names where its resource lives. */
export const locationHeader = {
  Location: {
    description: "The path of the entry: where GET, PUT and DELETE reach it",
    schema: { type: "string" as const, example: "/api/v1/activity-logs/log_8c1f2a9d4e7b3c60" },
  },
};

/** A JSON response that carries the resource's ETag. */
export const jsonWithETag = <T extends z.ZodType>(schema: T, description: string, example?: unknown) => ({
  description,
  headers: etagHeader,
  content: { "application/json": example === undefined ? { schema } : { schema, example } },
});

/** Request header of a single-resource GET. */
export const ConditionalGetHeaders = z.object({
  "if-none-match": z.string().optional().openapi({
    description: "ETags the client holds (or `*`); when one is current the answer is 304 without a body",
    example: '"3f1c0a9e5b7d2c4e8a6f1b0d9c3e7a52"',
  }),
});

/** The precondition header of a write to a single resource. */
const ConditionalWriteHeaders = z.object({
  "if-match": z
    .string()
    .optional()
    .openapi({
      description:
        "Write only if the resource's current ETag is one of these (or `*`: it exists); otherwise 412 and " +
        "nothing changes. A missing resource is 404 either way.",
      example: '"3f1c0a9e5b7d2c4e8a6f1b0d9c3e7a52"',
    }),
});

/** Request headers of a PUT or DELETE of a single resource: If-Match, and the Idempotency-Key of every write. */
export const ConditionalKeyedWriteHeaders = ConditionalWriteHeaders.extend(IdempotencyHeaders.shape);

export const notModifiedResponse = {
  [HttpStatus.NOT_MODIFIED]: {
    description: "If-None-Match names the current ETag; no body",
    headers: etagHeader,
  },
};

export const jsonContent = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T, description: string) => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

export const pageQuery = (
  defaults: { limit: number; max: number } = { limit: DEFAULT_PAGE_SIZE, max: MAX_PAGE_SIZE },
) => ({
  page: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE)
    .default(1)
    .openapi({ description: "Page number, from 1", example: 1 }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(defaults.max)
    .default(defaults.limit)
    .openapi({ description: `Page size, 1..${defaults.max}`, example: defaults.limit }),
});

const PaginationSchema = z
  .object({
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
  })
  .openapi("Pagination");

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), pagination: PaginationSchema });

export const pageOffset = (page: { page: number; limit: number }) => ({
  limit: page.limit,
  offset: (page.page - 1) * page.limit,
});

export const BooleanQuery = z
  .enum(["true", "false"])
  .transform((v) => v === "true")
  .openapi({ type: "string", enum: ["true", "false"] });

export const bearerSecurity = [{ bearerAuth: [] }];
