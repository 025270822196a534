import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import { HttpStatus, type HttpStatusCode } from "./http-status";
import { loggableError, stackFrames } from "./log";

/** The closed set of error kinds this API answers; each has one status and title. */
export const ErrorCode = {
  bad_request: { status: HttpStatus.BAD_REQUEST, title: "Bad Request" },
  validation_failed: { status: HttpStatus.BAD_REQUEST, title: "Validation Failed" },
  malformed_json: { status: HttpStatus.BAD_REQUEST, title: "Malformed JSON" },
  unauthorized: { status: HttpStatus.UNAUTHORIZED, title: "Unauthorized" },
  forbidden: { status: HttpStatus.FORBIDDEN, title: "Forbidden" },
  not_found: { status: HttpStatus.NOT_FOUND, title: "Not Found" },
  conflict: { status: HttpStatus.CONFLICT, title: "Conflict" },
  /** A changes-feed cursor older than the tombstones kept (SPEC §10): start again without one. */
  "sync-cursor-expired": { status: HttpStatus.GONE, title: "Sync Cursor Expired" },
  precondition_failed: { status: HttpStatus.PRECONDITION_FAILED, title: "Precondition Failed" },
  payload_too_large: { status: HttpStatus.PAYLOAD_TOO_LARGE, title: "Payload Too Large" },
  unsupported_media_type: {
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    title: "Unsupported Media Type",
  },
  unprocessable: { status: HttpStatus.UNPROCESSABLE_ENTITY, title: "Unprocessable Content" },
  rate_limited: { status: HttpStatus.TOO_MANY_REQUESTS, title: "Too Many Requests" },
  internal: { status: HttpStatus.INTERNAL_SERVER_ERROR, title: "Internal Server Error" },
  service_unavailable: { status: HttpStatus.SERVICE_UNAVAILABLE, title: "Service Unavailable" },
  /** The audit log's stored tree no longer gives its last signed root: it refuses to sign or prove. */
  audit_log_untrusted: { status: HttpStatus.SERVICE_UNAVAILABLE, title: "Audit Log Untrusted" },
  /** The organisation is being moved to another database: writes wait until it is there (SPEC §13). */
  organisation_moving: { status: HttpStatus.SERVICE_UNAVAILABLE, title: "Organisation Moving" },
} as const satisfies Record<string, { status: HttpStatusCode; title: string }>;

export type ErrorCodeName = keyof typeof ErrorCode;

export interface FieldError {
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  errors?: FieldError[];
  /** Set when `errors` was cut to MAX_PROBLEM_ERRORS. */
  errors_truncated?: true;
  /** Problem-specific members (RFC 9457 §3.2), such as a batch's per-mentor reasons. */
  [extension: string]: unknown;
}

/** Most field errors one problem lists; a body of thousands of bad keys must not answer megabytes. */
export const MAX_PROBLEM_ERRORS = 20;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";
const PROBLEM_TYPE_BASE = "https://mentor-activity.api/problems/";

/** The one error type handlers throw; `onError` renders it as problem+json. */
export class AppError extends Error {
  readonly code: ErrorCodeName;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly extensions: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCodeName,
    detail: string,
    options: {
      errors?: FieldError[];
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
    } = {},
  ) {
    super(detail);
    this.name = "AppError";
    this.code = code;
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }

  get status(): HttpStatusCode {
    return ErrorCode[this.code].status;
  }
}

/**
 * A response stored earlier, to be sent again as it is (an Idempotency-Key replay found where the
 * answer is kept, after the handler started): thrown by the handler, answered by `handleError`.
 */
export class StoredAnswer extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;

  constructor(response: { status: number; headers: Record<string, string>; body: string }) {
    super("A stored answer is replayed");
    this.name = "StoredAnswer";
    this.status = response.status;
    this.headers = response.headers;
    this.body = response.body;
  }
}

/** A 404 for something the caller may not see or that does not exist: the two answer alike. */
export const notFound = (what: string): AppError => new AppError("not_found", `${what} not found`);

export const forbidden = (detail = "Your role does not allow this operation"): AppError =>
  new AppError("forbidden", detail);

export const unauthorized = (detail: string): AppError => new AppError("unauthorized", detail);

export const conflict = (detail: string): AppError => new AppError("conflict", detail);

/** A 400 naming the fields at fault. */
export const invalidFields = (errors: FieldError[], detail = "The request is invalid"): AppError =>
  new AppError("validation_failed", detail, { errors });

/** A 400 naming one field; the detail defaults to the field's message. */
export const invalidField = (path: string, message: string, options: { detail?: string } = {}): AppError =>
  invalidFields([{ path, message }], options.detail ?? message);

/** The one wording of a time range given backwards; both bounds are named, since either may be wrong. */
export const RANGE_ORDER_MESSAGE = "from must not be after to";
export const rangeOrderErrors = (): FieldError[] => [
  { path: "from", message: RANGE_ORDER_MESSAGE },
  { path: "to", message: RANGE_ORDER_MESSAGE },
];

/** Turns a zod error into the field list of a validation problem. */
export function fieldErrors(error: ZodError, prefix?: string): FieldError[] {
  const join = (segments: PropertyKey[]) => [prefix, ...segments.map(String)].filter(Boolean).join(".");
  return error.issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: "This field cannot be set" }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

/** A problem as a value, for a response that reports several (a batch upload's rejected entries). */
export function problemOf(
  code: ErrorCodeName,
  detail: string,
  extra: { errors?: FieldError[]; extensions?: Record<string, unknown> } = {},
): Problem {
  return problemBody(code, detail, extra);
}

/** The problem an AppError stands for, as a value. */
export const problemOfError = (err: AppError): Problem =>
  problemBody(err.code, err.message, { errors: err.errors, extensions: err.extensions });

function problemBody(
  code: ErrorCodeName,
  detail: string,
  extra: {
    errors?: FieldError[];
    instance?: string;
    requestId?: string;
    extensions?: Record<string, unknown>;
  } = {},
): Problem {
  const { status, title } = ErrorCode[code];
  // Extensions first, so none can stand in for a member the RFC defines.
  const body: Problem = { ...extra.extensions, type: `${PROBLEM_TYPE_BASE}${code}`, title, status, detail };
  if (extra.instance) body.instance = extra.instance;
  if (extra.requestId) body.request_id = extra.requestId;
  if (extra.errors) {
    body.errors = extra.errors.slice(0, MAX_PROBLEM_ERRORS);
    if (extra.errors.length > MAX_PROBLEM_ERRORS) body.errors_truncated = true;
  }
  return body;
}

export function problemResponse(
  c: Context,
  code: ErrorCodeName,
  detail: string,
  extra: {
    errors?: FieldError[];
    headers?: Record<string, string>;
    extensions?: Record<string, unknown>;
  } = {},
): Response {
  const body = problemBody(code, detail, {
    errors: extra.errors,
    extensions: extra.extensions,
    instance: new URL(c.req.url).pathname,
    requestId: c.get("requestId"),
  });
  // c.newResponse keeps headers set earlier in the request (request ID, security headers).
  return c.newResponse(JSON.stringify(body), body.status as ContentfulStatusCode, {
    ...extra.headers,
    "Content-Type": PROBLEM_CONTENT_TYPE,
  });
}

/**
 * What the freeze-guard triggers raise (migration 0010_scale_out): the database refused a write
 * of an organisation that is being moved out of it, or has moved.
 */
export const ORGANISATION_FROZEN = "organisation_frozen";

/** How long a writer should wait for a move: a small organisation is copied and flipped in seconds. */
export const MOVE_RETRY_AFTER_SECONDS = 10;

/** Whether an error (or one it wraps, as drizzle wraps D1's) is the freeze guard's abort. */
export function isOrganisationFrozen(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if (e.message.includes(ORGANISATION_FROZEN)) return true;
  }
  return false;
}

function codeForStatus(status: number): ErrorCodeName {
  const match = (Object.keys(ErrorCode) as ErrorCodeName[]).find((name) => ErrorCode[name].status === status);
  return match ?? (status >= 500 ? "internal" : "bad_request");
}

/** The one place any thrown error becomes a response. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof StoredAnswer) {
    return c.newResponse(err.body, err.status as ContentfulStatusCode, err.headers);
  }
  if (err instanceof AppError) {
    if (err.code === "unauthorized") {
      return problemResponse(c, err.code, err.message, {
        headers: { "WWW-Authenticate": 'Bearer realm="mentor-activity-api"', ...err.headers },
      });
    }
    return problemResponse(c, err.code, err.message, {
      errors: err.errors,
      headers: err.headers,
      extensions: err.extensions,
    });
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code =
      err.status === HttpStatus.BAD_REQUEST && /json/i.test(err.message)
        ? "malformed_json"
        : codeForStatus(err.status);
    return problemResponse(c, code, err.message || ErrorCode[code].title);
  }
  if (isOrganisationFrozen(err)) {
    return problemResponse(
      c,
      "organisation_moving",
      "This organisation is being moved to another database; nothing was written. Retry after the time in Retry-After.",
      { headers: { "Retry-After": String(MOVE_RETRY_AFTER_SECONDS) } },
    );
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "unhandled error",
      request_id: c.get("requestId"),
      error: err.name,
      message: loggableError(err),
      stack: stackFrames(err),
    }),
  );
  return problemResponse(
    c,
    "internal",
    `An unexpected error occurred. Quote request ID ${c.get("requestId") ?? "unknown"} when reporting it.`,
  );
}
