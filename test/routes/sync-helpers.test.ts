// The typed client's offline-first helpers (clients/typescript/sync.ts) under a mobile app's
// conditions: a full queue of long entries, an answer asking to wait, no answer at all.
import { describe, expect, it } from "vitest";
import {
  createMentorActivityClient,
  MemorySyncStore,
  pullChanges,
  SyncError,
  type UploadQueue,
  uploadQueued,
} from "../../clients/typescript/index";
import {
  UPLOAD_BATCH,
  UPLOAD_MAX_BYTES,
  type UploadEntry,
  type UploadResult,
} from "../../clients/typescript/sync";
import { MAX_UPLOAD_BODY_BYTES, MAX_UPLOAD_ENTRIES } from "../../src/lib/limits";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";

/** The app's queue: entries recorded offline, kept until the service has answered for them. */
class Queue implements UploadQueue {
  entries: UploadEntry[] = [];
  sent: number[] = [];
  peek(limit: number) {
    return this.entries.slice(0, limit);
  }
  settle(results: UploadResult[]) {
    this.sent.push(results.length);
    const done = new Set(results.map((r) => r.client_ref));
    this.entries = this.entries.filter((e) => !done.has(e.client_ref));
  }
}

describe("uploadQueued", () => {
  it("takes the service's limits as the client's own", () => {
    expect([UPLOAD_BATCH, UPLOAD_MAX_BYTES]).toEqual([MAX_UPLOAD_ENTRIES, MAX_UPLOAD_BODY_BYTES]);
  });

  it("uploads a full queue of long notes in several requests, each under the body limit, all created once", async () => {
    const o = await testOrg("upload");
    // 1,800 characters of Japanese: about 5.4 KB of UTF-8 each, so 100 of them pass 512 KiB.
    const notes = "今日は進路について話し合いました。".repeat(106).slice(0, 1800);
    const queue = new Queue();
    for (let n = 0; n < 100; n += 1) {
      queue.entries.push({
        client_ref: `phone:${n}`,
        activity_type: "check_in",
        description: notes,
        occurred_at: `2026-03-10T09:${String(n % 60).padStart(2, "0")}:00Z`,
      });
    }
    const whole = new TextEncoder().encode(JSON.stringify({ entries: queue.entries })).length;
    expect(whole).toBeGreaterThan(UPLOAD_MAX_BYTES);

    const result = await uploadQueued(api(o.mentor), queue);
    expect(result).toEqual({ created: 100, existing: 0, rejected: [] });
    expect(queue.entries).toEqual([]);
    expect(queue.sent.length).toBeGreaterThan(1);
    expect(queue.sent.reduce((a, b) => a + b, 0)).toBe(100);
    const listed = await api(o.mentor).GET("/api/v1/activity-logs", { params: { query: { limit: 100 } } });
    expect(listed.data?.pagination.total).toBe(100);
  });
});

describe("SyncError", () => {
  const answering = (status: number, headers: Record<string, string>) => async () =>
    new Response(
      JSON.stringify({
        type: "https://example.invalid/problems/rate_limited",
        title: "Too Many Requests",
        status,
      }),
      { status, headers: { "Content-Type": "application/problem+json", ...headers } },
    );

  it("carries the seconds a 429 or 503 asks the app to wait, as a number or from a date", async () => {
    const limited = createMentorActivityClient("https://api.example.invalid", "t", {
      fetch: answering(429, { "Retry-After": "30" }),
    });
    const err = await pullChanges(limited, new MemorySyncStore()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ status: 429, retryAfter: 30 });

    const at = new Date(Date.now() + 120_000).toUTCString();
    const moving = createMentorActivityClient("https://api.example.invalid", "t", {
      fetch: answering(503, { "Retry-After": at }),
    });
    const queue = new Queue();
    queue.entries.push({
      client_ref: "a",
      activity_type: "check_in",
      description: "Check-in",
      occurred_at: "2026-03-10T09:00:00Z",
    });
    const upload = await uploadQueued(moving, queue).catch((e: unknown) => e);
    expect(upload).toMatchObject({ status: 503 });
    expect((upload as SyncError).retryAfter).toBeGreaterThan(100);
    expect((upload as SyncError).retryAfter).toBeLessThanOrEqual(120);
    // Nothing was settled: the entry waits for the next upload.
    expect(queue.entries).toHaveLength(1);
  });

  it("is what a request that got no answer throws, with status 0 and the network's error as its cause", async () => {
    const offline = createMentorActivityClient("https://api.example.invalid", "t", {
      fetch: async () => {
        throw new TypeError("fetch failed: the network is unreachable");
      },
    });
    const store = new MemorySyncStore();
    const err = await pullChanges(offline, store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SyncError);
    expect(err).toMatchObject({ status: 0, retryAfter: null });
    expect((err as SyncError).cause).toBeInstanceOf(TypeError);
    expect((err as SyncError).message).toMatch(/could not be reached: fetch failed/);
    expect(store.cursor()).toBeNull();
  });
});
