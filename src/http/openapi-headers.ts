import type { AppOpenAPI } from "../types";

type OpenApiDocument = ReturnType<AppOpenAPI["getOpenAPI31Document"]>;
type PathItem = NonNullable<NonNullable<OpenApiDocument["paths"]>[string]>;
type Operation = NonNullable<PathItem["get"]>;

const METHODS = ["get", "put", "post", "delete", "patch"] as const;

/** Headers the API's middleware puts on answers, declared once and referred to by each answer. */
const HEADERS = {
  D1Bookmark: {
    description:
      "The newest database state this request saw (`DB_n:…`); send it back on the next request to read at least " +
      "that state. Absent when the request was refused before reaching the database.",
    schema: { type: "string" as const, example: "DB_1:00000001-00000005-00004f83-4b6c2e4f0e1d8f1a" },
  },
  RateLimitPolicy: {
    description:
      'The caller\'s quota (draft-ietf-httpapi-ratelimit-headers): `"default";q=<requests>;w=<seconds>`',
    schema: { type: "string" as const, example: '"default";q=100;w=60' },
  },
  IdempotentReplayed: {
    description: "`true` when this is the stored answer of an earlier request with the same Idempotency-Key",
    schema: { type: "string" as const, enum: ["true"] },
  },
  WWWAuthenticate: {
    description: "The scheme to authenticate with (RFC 9110): a bearer token",
    schema: { type: "string" as const, example: 'Bearer realm="mentor-activity-api"' },
  },
};

const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

const BOOKMARK_PARAMETER = {
  name: "x-d1-bookmark",
  in: "header" as const,
  required: false,
  description:
    "The X-D1-Bookmark of the last answer received: the request then reads at least that database state. " +
    "A value not shaped as a bookmark is 400.",
  schema: { type: "string" as const, example: "DB_1:00000001-00000005-00004f83-4b6c2e4f0e1d8f1a" },
};

function declareOn(operation: Operation, method: (typeof METHODS)[number]): void {
  operation.parameters = [...(operation.parameters ?? []), BOOKMARK_PARAMETER];
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    if (typeof response !== "object" || response === null || "$ref" in response) continue;
    response.headers = {
      "X-D1-Bookmark": ref("D1Bookmark"),
      "RateLimit-Policy": ref("RateLimitPolicy"),
      ...(method === "post" ? { "Idempotent-Replayed": ref("IdempotentReplayed") } : {}),
      ...(status === "401" ? { "WWW-Authenticate": ref("WWWAuthenticate") } : {}),
      ...response.headers,
    };
  }
}

/**
 * The document with what the API's middleware adds to every `/api/v1` operation declared on it:
 * the read-your-writes bookmark (request and answer), the quota policy, the replay marker of
 * POSTs and the authentication challenge of 401s. The routes declare only their own headers.
 */
export function withApiHeaders(document: OpenApiDocument): OpenApiDocument {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith("/api/v1/") || item === undefined) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (operation) declareOn(operation, method);
    }
  }
  document.components = { ...document.components, headers: { ...document.components?.headers, ...HEADERS } };
  return document;
}
