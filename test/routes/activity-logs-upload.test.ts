import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { call, json } from "../helpers/api";
import type { TokenClaims } from "../helpers/auth";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";

const UPLOAD = "/api/v1/activity-logs/batch";
const LOGS = "/api/v1/activity-logs";

type UploadEntry = components["schemas"]["ActivityLogUploadEntry"];
type Problem = components["schemas"]["Problem"];

const entry = (ref: string, extra: Partial<UploadEntry> = {}): UploadEntry => ({
  activity_type: "session_completed",
  description: `Session ${ref}`,
  duration_minutes: 45,
  occurred_at: "2026-03-10T09:00:00+01:00",
  client_ref: ref,
  ...extra,
});

/** Every entry the caller's list holds, as `client_ref → description`. */
async function stored(as: TokenClaims): Promise<Record<string, string>> {
  const { data } = await api(as).GET(LOGS, { params: { query: { limit: 100 } } });
  return Object.fromEntries((data?.data ?? []).map((e) => [e.client_ref ?? e.log_id, e.description]));
}

async function upload(as: TokenClaims, entries: UploadEntry[]) {
  const answer = await api(as).POST(UPLOAD, { body: { entries } });
  expect(answer.response.status, JSON.stringify(answer.error)).toBe(200);
  return answer.data?.results ?? [];
}

describe("POST /api/v1/activity-logs/batch", () => {
  it("writes a day of queued entries in one request, each answered in request order", async () => {
    const o = await testOrg("upload");
    const entries = Array.from({ length: 100 }, (_, i) => entry(`day-1:${i}`));
    const results = await upload(o.mentor, entries);
    expect(results.map((r) => [r.client_ref, r.status])).toEqual(
      entries.map((e) => [e.client_ref, "created"]),
    );
    expect(results[0]?.log).toMatchObject({
      mentor_id: "mentor-042",
      occurred_at: "2026-03-10T08:00:00Z",
      client_ref: "day-1:0",
      entry_mode: "self",
      confirmation_status: "confirmed",
    });
    expect(Object.keys(await stored(o.mentor))).toHaveLength(100);
  });

  it("writes nothing twice when the upload is sent again after a lost response", async () => {
    const o = await testOrg("upload");
    const entries = [entry("a"), entry("b"), entry("c")];
    const first = await upload(o.mentor, entries);
    const again = await upload(o.mentor, entries);
    expect(again.map((r) => r.status)).toEqual(["existing", "existing", "existing"]);
    expect(again.map((r) => r.log?.log_id)).toEqual(first.map((r) => r.log?.log_id));
    expect(Object.keys(await stored(o.mentor)).sort()).toEqual(["a", "b", "c"]);
    // The single POST knows the same client_ref: the stored entry, 200, nothing written.
    const single = await api(o.mentor).POST(LOGS, { body: entry("a") });
    expect(single.response.status).toBe(200);
    expect(single.data?.log_id).toBe(first[0]?.log?.log_id);
    expect(Object.keys(await stored(o.mentor))).toHaveLength(3);
  });

  it("answers each bad entry with its problem and writes the good ones", async () => {
    const o = await testOrg("upload");
    await upload(o.mentor, [entry("taken", { description: "The first content" })]);
    const results = await upload(o.mentor, [
      entry("good-1"),
      entry("bad-type", { activity_type: "yoga" }),
      entry("taken", { description: "Other content" }),
      entry("not-mine", { mentor_id: "mentor-033" }),
      entry("good-2"),
      // The same client_ref twice in one upload: the second is the first's entry.
      entry("good-1"),
    ]);
    expect(results.map((r) => [r.client_ref, r.status, r.error?.status ?? null])).toEqual([
      ["good-1", "created", null],
      ["bad-type", "rejected", 400],
      ["taken", "rejected", 409],
      ["not-mine", "rejected", 403],
      ["good-2", "created", null],
      ["good-1", "existing", null],
    ]);
    expect(results[1]?.error?.errors).toEqual([
      {
        path: "entries.1.activity_type",
        message: "Unknown activity type yoga; see GET /api/v1/activity-types",
      },
    ]);
    // A 409 carries the entry the client_ref holds, so the app can show what is stored.
    expect(results[2]?.log?.description).toBe("The first content");
    expect(results[5]?.log?.log_id).toBe(results[0]?.log?.log_id);
    expect(await stored(o.mentor)).toEqual({
      taken: "The first content",
      "good-1": "Session good-1",
      "good-2": "Session good-2",
    });
    expect(await stored(o.otherMentor)).toEqual({});
  });

  it("lets an admin upload for mentors on record, each entry audited, and refuses an inactive mentor", async () => {
    const o: TestOrg = await testOrg("upload");
    const results = await upload(o.admin, [
      entry("for-042", { mentor_id: "mentor-042" }),
      entry("for-999", { mentor_id: "mentor-999" }),
      entry("for-nobody", { mentor_id: "mentor-404" }),
    ]);
    expect(results.map((r) => [r.status, r.error?.errors?.[0]?.message ?? null])).toEqual([
      ["created", null],
      ["rejected", "Member mentor-999 is inactive"],
      ["rejected", "No member mentor-404 in this organisation"],
    ]);
    const audit = await api(o.compliance).GET("/api/v1/proxy-audit-logs", {
      params: { query: { action: "activity_log_created" } },
    });
    expect(audit.data?.data).toEqual([
      expect.objectContaining({ action: "activity_log_created", mentor_id: "mentor-042" }),
    ]);
  });

  it("refuses a request of the wrong shape as a whole, naming each field, and writes nothing", async () => {
    const o = await testOrg("upload");
    const cases: [unknown, string][] = [
      [{ entries: [] }, "entries"],
      [{ entries: Array.from({ length: 101 }, (_, i) => entry(`x${i}`)) }, "entries"],
      [{ entries: [{ ...entry("a"), client_ref: undefined }] }, "entries.0.client_ref"],
      [{ entries: [entry("a"), { ...entry("b"), duration_minutes: 0 }] }, "entries.1.duration_minutes"],
      [{ entries: [{ ...entry("a"), client_ref: "has space" }] }, "entries.0.client_ref"],
      [{ entries: [{ ...entry("a"), log_id: "log_0000000000000000" }] }, "entries.0.log_id"],
    ];
    for (const [body, path] of cases) {
      const res = await call("POST", UPLOAD, { as: o.mentor, body });
      expect(res.status, path).toBe(400);
      expect(
        (await json<Problem>(res)).errors?.map((e) => e.path),
        path,
      ).toContain(path);
    }
    expect(await stored(o.mentor)).toEqual({});
  });

  it("takes bodies up to 512 KiB here, and 64 KiB on the single POST", async () => {
    const o = await testOrg("upload");
    const long = "x".repeat(1900);
    const entries = Array.from({ length: 100 }, (_, i) => entry(`big-${i}`, { description: long }));
    const body = JSON.stringify({ entries });
    expect(body.length).toBeGreaterThan(64 * 1024);
    const res = await call("POST", UPLOAD, { as: o.mentor, body: JSON.parse(body) });
    expect(res.status).toBe(200);
    const tooBig = await call("POST", UPLOAD, {
      as: o.mentor,
      body: { entries, padding: "y".repeat(512 * 1024) },
    });
    expect(tooBig.status).toBe(413);
    const single = await call("POST", LOGS, {
      as: o.mentor,
      body: { ...entry("one"), description: "z".repeat(70_000) },
    });
    expect(single.status).toBe(413);
  });
});

describe("client_ref on the single POST", () => {
  it("answers other content under a used client_ref with 409 and the stored entry", async () => {
    const o = await testOrg("upload");
    const first = await api(o.mentor).POST(LOGS, { body: entry("r1") });
    expect(first.response.status).toBe(201);
    const clash = await api(o.mentor).POST(LOGS, { body: entry("r1", { duration_minutes: 90 }) });
    expect(clash.response.status).toBe(409);
    expect(clash.error).toMatchObject({ errors: [{ path: "client_ref" }], current: first.data });
    // Another mentor may use the same client_ref: it is unique per mentor.
    const theirs = await api(o.otherMentor).POST(LOGS, { body: entry("r1") });
    expect(theirs.response.status).toBe(201);
  });
});
