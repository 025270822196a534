import { describe, expect, it } from "vitest";
import { BOOKMARK_HEADER } from "../../src/http/database";
import { demoOrg } from "../helpers/org";
import { countRoundTrips } from "../helpers/round-trips";

const LOGS = "/api/v1/activity-logs";
const entry = { activity_type: "check_in", description: "Check-in", occurred_at: "2026-03-24T14:00:00Z" };

describe("D1 sessions and the X-D1-Bookmark header", () => {
  it("answers a write with the bookmark of its session", async () => {
    const demo = await demoOrg();
    const { response, sessionStarts } = await countRoundTrips("POST", LOGS, {
      as: demo.as("mentor-042", "mentor"),
      body: entry,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get(BOOKMARK_HEADER)).toMatch(/\S/);
    // Without a bookmark the request has seen nothing it could miss, so any replica may answer.
    expect(sessionStarts).toEqual(["first-unconstrained"]);
  });

  it("reads from the bookmark a client sends back and sees the write it names", async () => {
    const demo = await demoOrg();
    const mentor = demo.as("mentor-042", "mentor");
    const write = await countRoundTrips("POST", LOGS, { as: mentor, body: entry });
    const bookmark = write.response.headers.get(BOOKMARK_HEADER) ?? "";
    const created = (await write.response.json()) as { log_id: string };

    const read = await countRoundTrips("GET", `${LOGS}/${created.log_id}`, {
      as: mentor,
      headers: { [BOOKMARK_HEADER]: bookmark },
    });
    expect(read.response.status).toBe(200);
    expect(read.sessionStarts).toEqual([bookmark]);
    expect(read.response.headers.get(BOOKMARK_HEADER)).toMatch(/\S/);
  });

  it("refuses a header that is not a bookmark with a 400 naming it", async () => {
    const demo = await demoOrg();
    const { response, inline } = await countRoundTrips("GET", LOGS, {
      as: demo.coordinator,
      headers: { [BOOKMARK_HEADER]: "'; drop table activities; --" },
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { path: string }[] };
    expect(problem.errors.map((e) => e.path)).toEqual([BOOKMARK_HEADER]);
    expect(inline.d1).toBe(0);
  });
});
