import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { BOOKMARK_HEADER } from "../../src/http/database";
import { api } from "../helpers/client";
import { shardBindings } from "../helpers/databases";
import { instrumentD1 } from "../helpers/instrumented-d1";
import { testOrg } from "../helpers/org";

const LOGS = "/api/v1/activity-logs";
const entry = { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-24T14:00:00Z" };

/**
 * The Worker's bindings over a D1 that records what each session was opened with (a bookmark
 * or a constraint) and counts the calls that reach it. One per request, so each test reads
 * the sessions of exactly the request it sent.
 */
function observedD1() {
  const sessionStarts: (string | undefined)[] = [];
  let calls = 0;
  const observer = {
    session: (start: string | undefined) => sessionStarts.push(start),
    call: <R>(run: () => R): R => {
      calls += 1;
      return run();
    },
  };
  const bindings: Env = {
    ...env,
    ...Object.fromEntries(shardBindings().map(({ name, d1 }) => [name, instrumentD1(d1, observer)])),
  };
  return { bindings, sessionStarts, d1Calls: () => calls };
}

describe("D1 sessions and the X-D1-Bookmark header", () => {
  it("answers a write with the bookmark of its session", async () => {
    const o = await testOrg();
    const observed = observedD1();
    const { response } = await api(o.mentor, { bindings: observed.bindings }).POST(LOGS, { body: entry });
    expect(response.status).toBe(201);
    // The bookmark names the database it was taken in: the organisation's own.
    expect(response.headers.get(BOOKMARK_HEADER)).toMatch(new RegExp(`^${o.database}:\\S+$`));
    // Without a bookmark the request has seen nothing it could miss, so any replica may answer.
    expect(observed.sessionStarts).toEqual(["first-unconstrained"]);
  });

  it("reads from the bookmark a client sends back and sees the write it names", async () => {
    const o = await testOrg();
    const write = await api(o.mentor).POST(LOGS, { body: entry });
    const bookmark = write.response.headers.get(BOOKMARK_HEADER) ?? "";
    const created = write.data;
    if (!created) throw new Error(`the write answered ${write.response.status}`);

    // X-D1-Bookmark is not in the served document, so it goes as a plain header of the call.
    const observed = observedD1();
    const read = await api(o.mentor, { bindings: observed.bindings }).GET("/api/v1/activity-logs/{id}", {
      params: { path: { id: created.log_id } },
      headers: { [BOOKMARK_HEADER]: bookmark },
    });
    expect(read.response.status).toBe(200);
    // D1 is handed the bookmark itself, without the name of its database.
    expect(observed.sessionStarts).toEqual([bookmark.slice(`${o.database}:`.length)]);
    expect(read.response.headers.get(BOOKMARK_HEADER)).toMatch(/\S/);
  });

  it("refuses a header that is not a bookmark with a 400 naming it", async () => {
    const o = await testOrg();
    const observed = observedD1();
    const { response, error } = await api(o.coordinator, { bindings: observed.bindings }).GET(LOGS, {
      headers: { [BOOKMARK_HEADER]: "'; drop table activities; --" },
    });
    expect(response.status).toBe(400);
    expect(error?.errors?.map((e) => e.path)).toEqual([BOOKMARK_HEADER]);
    expect(observed.d1Calls()).toBe(0);
  });
});
