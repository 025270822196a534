// Offline-first helpers over the typed client (SPEC §10): pull the changes feed into a local
// store, and upload entries queued while offline. The store is the app's own (SQLite, IndexedDB,
// a Map): these helpers only call the interface below.
import type { MentorActivityClient } from "./index.ts";
import type { components, paths } from "./schema";

type Feed = paths["/api/v1/sync/changes"]["get"]["responses"][200]["content"]["application/json"];
type Upload = paths["/api/v1/activity-logs/batch"]["post"];
/** One change of the feed, as the client answers it. */
export type SyncChange = Feed["changes"][number];
export type UploadEntry = Upload["requestBody"]["content"]["application/json"]["entries"][number];
export type UploadResult = Upload["responses"][200]["content"]["application/json"]["results"][number];
type Problem = components["schemas"]["Problem"];

/** What `pullChanges` needs of the app's local copy. */
export interface SyncStore {
  /** The cursor kept with the copy; null before the first sync, and after a restart. */
  cursor(): Promise<string | null> | string | null;
  /**
   * Applies one page of changes and keeps the cursor that follows them, together (one local
   * transaction), so a crash between pages resumes where the copy stands.
   */
  apply(changes: SyncChange[], cursor: string): Promise<void> | void;
  /** Drops every record and the cursor: the feed is starting again from a full snapshot. */
  reset(): Promise<void> | void;
}

/**
 * Why a pull or an upload stopped. `status` is the HTTP status, or 0 when no answer came (no
 * network, a timeout: the failure is the `cause`); `retryAfter` is the seconds the service asked
 * the app to wait (429, 503, and 409 for a request still in flight), or null.
 */
export class SyncError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;
  readonly retryAfter: number | null;

  constructor(
    status: number,
    problem: Problem | undefined,
    retryAfter: number | null = null,
    cause?: unknown,
  ) {
    super(
      problem?.detail ??
        (status === 0
          ? `The service could not be reached: ${cause instanceof Error ? cause.message : String(cause)}`
          : `The service answered ${status}`),
      cause === undefined ? undefined : { cause },
    );
    this.name = "SyncError";
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** The error of an answer that carried no data: its status, problem and Retry-After. */
  static of(response: Response, problem: Problem | undefined): SyncError {
    return new SyncError(response.status, problem, retryAfterOf(response));
  }
}

/** Retry-After as seconds from now: delta-seconds, or an HTTP date; null when absent or unreadable. */
function retryAfterOf(response: Response): number | null {
  const value = response.headers.get("Retry-After")?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** Runs one request; a request that got no answer at all becomes a SyncError with status 0. */
async function unreachable<T>(request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (err) {
    throw new SyncError(0, undefined, null, err);
  }
}

const EXPIRED = /\/sync-cursor-expired$/;

/** Pages per pull at most, so a feed that keeps growing while it is read still ends. */
const MAX_PAGES = 10_000;

/**
 * Pulls every change since the store's cursor, a page at a time, until the feed says nothing
 * more is ready. A cursor the feed no longer accepts (410 `sync-cursor-expired`: too old, or made
 * for other roles) resets the store and starts again from a full snapshot, once. Answers how many
 * changes were applied. Throws SyncError on any other failure, a request that got no answer
 * included (status 0); the store keeps what was applied, and the next pull goes on from there.
 */
export async function pullChanges(
  client: MentorActivityClient,
  store: SyncStore,
  options: { limit?: number } = {},
): Promise<{ applied: number; restarted: boolean }> {
  let cursor = await store.cursor();
  let applied = 0;
  let restarted = false;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = { ...(cursor ? { cursor } : {}), ...(options.limit ? { limit: options.limit } : {}) };
    const { data, error, response } = await unreachable(() =>
      client.GET("/api/v1/sync/changes", { params: { query } }),
    );
    if (data === undefined) {
      if (response.status === 410 && EXPIRED.test(error?.type ?? "") && !restarted) {
        await store.reset();
        cursor = null;
        restarted = true;
        continue;
      }
      throw SyncError.of(response, error);
    }
    await store.apply(data.changes, data.next_cursor);
    applied += data.changes.length;
    cursor = data.next_cursor;
    if (!data.has_more) return { applied, restarted };
  }
  return { applied, restarted };
}

/** What `uploadQueued` needs of the app's queue of entries recorded offline. */
export interface UploadQueue {
  /** Up to `limit` queued entries, oldest first, each with its `client_ref`. */
  peek(limit: number): Promise<UploadEntry[]> | UploadEntry[];
  /** The server answered for these entries: take them off the queue. */
  settle(results: UploadResult[]): Promise<void> | void;
}

/** The most entries one upload carries, and the largest body the service takes (SPEC §10). */
export const UPLOAD_BATCH = 100;
export const UPLOAD_MAX_BYTES = 512 * 1024;

const encoder = new TextEncoder();
/** `{"entries":[` and `]}`: what the body adds around its entries, which a comma separates. */
const BODY_FRAME_BYTES = encoder.encode(JSON.stringify({ entries: [] })).length;

/**
 * The longest run of `entries` from the first whose upload body fits the service's limit (at
 * least one: a single entry within the field limits is far below it). Long notes in a script of
 * three-byte characters make 100 entries larger than the limit.
 */
function fitting(entries: UploadEntry[]): UploadEntry[] {
  let bytes = BODY_FRAME_BYTES;
  let count = 0;
  for (const entry of entries) {
    bytes += encoder.encode(JSON.stringify(entry)).length + (count > 0 ? 1 : 0);
    if (count > 0 && bytes > UPLOAD_MAX_BYTES) break;
    count += 1;
  }
  return entries.slice(0, count);
}

/**
 * Uploads the queue, up to 100 entries and 512 KiB a request, until it is empty. Every entry is
 * settled with its result (`created`, `existing` or `rejected` with a problem to show the user);
 * a request that fails as a whole (no answer: status 0; 5xx; 429 with `retryAfter`) throws
 * SyncError and leaves the queue as it was, and sending it again is safe: `client_ref` makes a
 * resent entry `existing`.
 */
export async function uploadQueued(
  client: MentorActivityClient,
  queue: UploadQueue,
): Promise<{ created: number; existing: number; rejected: UploadResult[] }> {
  const totals = { created: 0, existing: 0, rejected: [] as UploadResult[] };
  for (;;) {
    const queued = await queue.peek(UPLOAD_BATCH);
    if (queued.length === 0) return totals;
    const entries = fitting(queued);
    const { data, error, response } = await unreachable(() =>
      client.POST("/api/v1/activity-logs/batch", { body: { entries } }),
    );
    if (data === undefined) throw SyncError.of(response, error);
    await queue.settle(data.results);
    for (const result of data.results) {
      if (result.status === "rejected") totals.rejected.push(result);
      else totals[result.status] += 1;
    }
  }
}

/**
 * A store held in memory: every record by type and ID, and the cursor. Enough for a test or a
 * small app; a real app keeps the same shape in its database.
 */
export class MemorySyncStore implements SyncStore {
  readonly records = new Map<string, NonNullable<SyncChange["data"]>>();
  private position: string | null = null;

  static key(type: SyncChange["type"], id: string): string {
    return `${type}:${id}`;
  }

  cursor(): string | null {
    return this.position;
  }

  apply(changes: SyncChange[], cursor: string): void {
    for (const change of changes) {
      const key = MemorySyncStore.key(change.type, change.id);
      if (change.op === "delete" || change.data === null) this.records.delete(key);
      else this.records.set(key, change.data);
    }
    this.position = cursor;
  }

  reset(): void {
    this.records.clear();
    this.position = null;
  }
}
