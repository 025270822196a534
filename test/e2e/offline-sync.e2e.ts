import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createMentorActivityClient,
  MemorySyncStore,
  pullChanges,
  type UploadQueue,
  uploadQueued,
} from "../../clients/typescript/index";
import type { UploadEntry, UploadResult } from "../../clients/typescript/sync";
import { type DevServer, E2E_JWT_SECRET, startDevServer } from "./dev-server";

const ORG = "org-e2e-offline";

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer();
});

afterAll(async () => {
  await server?.stop();
});

function token(sub: string, roles: string[], name: string, org = ORG): Promise<string> {
  return new SignJWT({ org, roles, name })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(E2E_JWT_SECRET));
}

/** Puts the day's two members on record in `org`, as its admin does. */
async function putMembers(org: string): Promise<void> {
  const admin = createMentorActivityClient(
    server.base,
    await token("admin-007", ["admin"], "Riley Admin", org),
  );
  for (const [member_id, name, role] of [
    ["mentor-042", "Sam Rivera", "mentor"],
    ["coord-007", "Jordan Lee", "coordinator"],
  ] as const) {
    const put = await admin.PUT("/api/v1/members/{member_id}", {
      params: { path: { member_id } },
      body: { name, roles: [role] },
    });
    expect(put.response.status).toBe(201);
  }
}

/** The app's queue of entries recorded offline, kept until the server has answered for them. */
class Queue implements UploadQueue {
  entries: UploadEntry[] = [];
  answered: UploadResult[] = [];
  peek(limit: number) {
    return this.entries.slice(0, limit);
  }
  settle(results: UploadResult[]) {
    const done = new Set(results.map((r) => r.client_ref));
    this.entries = this.entries.filter((e) => !done.has(e.client_ref));
    this.answered.push(...results);
  }
}

/** A fetch with no network: what the app's HTTP stack gives it in a dead zone. */
const offline = async (): Promise<Response> => {
  throw new TypeError("fetch failed: the network is unreachable");
};

describe("a mentor's day offline, with the typed client against wrangler dev", () => {
  it("queues entries offline, uploads them once back online, and pulls what changed meanwhile", async () => {
    await putMembers(ORG);
    const mentorToken = await token("mentor-042", ["mentor"], "Sam Rivera");
    const online = createMentorActivityClient(server.base, mentorToken);
    const inTheField = createMentorActivityClient(server.base, mentorToken, { fetch: offline });
    const store = new MemorySyncStore();
    const queue = new Queue();

    // Morning: the first sync, a snapshot of the members.
    await pullChanges(online, store);
    expect([...store.records.keys()].sort()).toEqual(["member:coord-007", "member:mentor-042"]);

    // In the field: three sessions recorded, the upload fails for want of a network, nothing is lost.
    for (const n of [1, 2, 3]) {
      queue.entries.push({
        client_ref: `pixel-7:${n}`,
        activity_type: "session_completed",
        description: `Session ${n} at the community centre`,
        duration_minutes: 30 + n,
        occurred_at: `2026-03-10T0${n}:00:00+02:00`,
      });
    }
    await expect(uploadQueued(inTheField, queue)).rejects.toThrow(/network is unreachable/);
    expect(queue.entries).toHaveLength(3);
    // Meanwhile a coordinator registers a workshop in the mentor's name.
    const coordinator = createMentorActivityClient(
      server.base,
      await token("coord-007", ["coordinator"], "Jordan Lee"),
    );
    const registered = await coordinator.POST("/api/v1/activity-attributions", {
      body: {
        activity_type_id: "workshop",
        activity_date: "2026-03-10T14:00:00Z",
        coordinator_id: "coord-007",
        mentor_id: "mentor-042",
      },
    });
    expect(registered.response.status).toBe(201);

    // Evening, online: the queue goes up in one request; a resend (a lost response) writes nothing.
    const sent = [...queue.entries];
    expect(await uploadQueued(online, queue)).toMatchObject({ created: 3, existing: 0, rejected: [] });
    expect(queue.entries).toEqual([]);
    queue.entries = sent;
    expect(await uploadQueued(online, queue)).toMatchObject({ created: 0, existing: 3, rejected: [] });

    // The pull brings the three entries, the registration and its activity: the copy equals the lists.
    await pullChanges(online, store, { limit: 2 });
    const logs = await online.GET("/api/v1/activity-logs", { params: { query: { limit: 100 } } });
    const attributions = await online.GET("/api/v1/activity-attributions");
    const expected = [
      ...(logs.data?.data ?? []).map((e) => `activity_log:${e.log_id}`),
      ...(attributions.data?.data ?? []).map((a) => `attribution:${a.attribution_id}`),
      "member:coord-007",
      "member:mentor-042",
    ].sort();
    expect([...store.records.keys()].sort()).toEqual(expected);
    expect(logs.data?.data.filter((e) => e.client_ref?.startsWith("pixel-7:"))).toHaveLength(3);
    expect(store.records.get(`attribution:${registered.data?.attribution_id}`)).toMatchObject({
      attributed_to_mentor_id: "mentor-042",
      confirmation_status: "pending",
    });
  });

  it("runs the typed client's example as `npm run example` does: plain Node, no bundler", async () => {
    // The example registers for mentor-042 as coord-007; an organisation of its own holds them.
    const org = "org-e2e-example";
    await putMembers(org);
    const { stdout } = await promisify(execFile)(process.execPath, ["clients/typescript/example.ts"], {
      cwd: join(import.meta.dirname, "../.."),
      env: {
        ...process.env,
        MENTOR_API_URL: server.base,
        MENTOR_API_TOKEN: await token("coord-007", ["coordinator"], "Jordan Lee", org),
      },
    });
    const id = stdout.match(/registered (attr-\d{8}-\d{3,}) \(201\)/)?.[1];
    expect(id, stdout).toBeDefined();
    expect(stdout).toContain("retry with the same key: 201, replayed");
    expect(stdout).toContain(`read back ${id}: Sam Rivera, 1 audit event(s)`);
  });
});
