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

export class SyncError extends Error {
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(status: number, problem: Problem | undefined) {
    super(problem?.detail ?? `The changes feed answered ${status}`);
    this.name = "SyncError";
    this.status = status;
    this.problem = problem;
  }
}

const EXPIRED = /\/sync-cursor-expired$/;

/** Pages per pull at most, so a feed that keeps growing while it is read still ends. */
const MAX_PAGES = 10_000;

/**
 * Pulls every change since the store's cursor, a page at a time, until the feed says nothing
 * more is ready. A cursor the feed no longer accepts (410 `sync-cursor-expired`: too old, or made
 * for other roles) resets the store and starts again from a full snapshot, once. Answers how many
 * changes were applied. Throws SyncError on any other failure; the store keeps what was applied.
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
    const { data, error, response } = await client.GET("/api/v1/sync/changes", {
      params: {
        query: { ...(cursor ? { cursor } : {}), ...(options.limit ? { limit: options.limit } : {}) },
      },
    });
    if (data === undefined) {
      if (response.status === 410 && EXPIRED.test(error?.type ?? "") && !restarted) {
        await store.reset();
        cursor = null;
        restarted = true;
        continue;
      }
      throw new SyncError(response.status, error);
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

const UPLOAD_BATCH = 100;

/**
 * Uploads the queue, up to 100 entries a request, until it is empty. Every entry is settled
 * with its result (`created`, `existing` or `rejected` with a problem to show the user); a
 * request that fails as a whole (network, 5xx, 429) throws and leaves the queue as it was, and
 * sending it again is safe: `client_ref` makes a resent entry `existing`.
 */
export async function uploadQueued(
  client: MentorActivityClient,
  queue: UploadQueue,
): Promise<{ created: number; existing: number; rejected: UploadResult[] }> {
  const totals = { created: 0, existing: 0, rejected: [] as UploadResult[] };
  for (;;) {
    const entries = await queue.peek(UPLOAD_BATCH);
    if (entries.length === 0) return totals;
    const { data, error, response } = await client.POST("/api/v1/activity-logs/batch", { body: { entries } });
    if (data === undefined) throw new SyncError(response.status, error);
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
