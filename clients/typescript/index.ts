// A typed client of the Mentor Activity API: openapi-fetch over the types that
// `npm run gen:client` generates from the Worker's OpenAPI document.
import createClient, { type Client, type Middleware } from "openapi-fetch";
import type { paths } from "./schema";

export type { components, operations, paths } from "./schema";
export {
  MemorySyncStore,
  pullChanges,
  SyncError,
  type SyncStore,
  type UploadQueue,
  uploadQueued,
} from "./sync.ts";

export type MentorActivityClient = Client<paths>;

/** A token, or a function that answers a fresh one (a mobile app refreshes its tokens). */
export type TokenSource = string | (() => string | Promise<string>);

export interface ClientOptions {
  /** The fetch to send requests with; the platform's by default. */
  fetch?: (request: Request) => Promise<Response>;
}

/**
 * A client whose every call carries `Authorization: Bearer <token>`. Paths, parameters,
 * bodies and responses are typed from the document; errors come back as `error`, typed as
 * the route's problem+json.
 */
export function createMentorActivityClient(
  baseUrl: string,
  token: TokenSource,
  options: ClientOptions = {},
): MentorActivityClient {
  const client = createClient<paths>({ baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const bearer: Middleware = {
    async onRequest({ request }) {
      request.headers.set("Authorization", `Bearer ${typeof token === "string" ? token : await token()}`);
      return request;
    },
  };
  client.use(bearer);
  return client;
}
