import { expect } from "vitest";
import type { components } from "../../clients/typescript/index";
import { api } from "./client";
import type { TestOrg } from "./org";

/**
 * Things a test needs in its organisation (from `testOrg()`) before the call it checks: an
 * activity log, an attribution, a pending batch, an audit entry, each made through the typed
 * client by someone allowed to, and a way to see whether a call changed anything.
 */

type CreateAttribution = components["schemas"]["CreateAttribution"];
type CreateBatch = components["schemas"]["CreateBatch"];

/** The answer of a create the test depends on: it must have succeeded. */
export function created<T>(sent: { data?: T; error?: unknown; response: Response }, status = 201): T {
  expect(sent.response.status, JSON.stringify(sent.error)).toBe(status);
  if (sent.data === undefined) throw new Error(`A ${status} without a body`);
  return sent.data;
}

let serial = 0;
/** A distinct activity_date each time, so registrations never collide as duplicates. */
function nextDate(): string {
  serial += 1;
  const day = new Date(Date.UTC(2026, 0, 1) + serial * 60_000);
  return `${day.toISOString().slice(0, 19)}Z`;
}

/** A self-entered activity log of `mentorId`, recorded by an admin. */
export async function activityLogOf(o: TestOrg, mentorId: string): Promise<string> {
  const sent = await api(o.admin).POST("/api/v1/activity-logs", {
    body: {
      mentor_id: mentorId,
      activity_type: "check_in",
      description: "Weekly check-in",
      duration_minutes: 30,
      occurred_at: nextDate(),
    },
  });
  return created(sent).log_id;
}

export const attributionBody = (coordinatorId: string, mentorId: string): CreateAttribution => ({
  activity_type_id: "workshop",
  activity_date: nextDate(),
  duration_minutes: 60,
  location: "Innovation Lab",
  notes: "Resume workshop",
  coordinator_id: coordinatorId,
  mentor_id: mentorId,
});

/** An attribution of `mentorId` registered by the coordinator `coordinatorId` itself. */
export async function attributionOf(o: TestOrg, coordinatorId: string, mentorId: string): Promise<string> {
  const sent = await api(o.as(coordinatorId, "coordinator")).POST("/api/v1/activity-attributions", {
    body: attributionBody(coordinatorId, mentorId),
  });
  return created(sent).attribution_id;
}

/** A bulk registration by `coordinatorId` of the fixture's mentor and other mentor. */
export const batchBody = (o: TestOrg, coordinatorId: string, confirm = false): CreateBatch => {
  const { mentor_id: _mentor, ...activity } = attributionBody(coordinatorId, "");
  return { ...activity, mentor_ids: [o.mentor.sub, o.otherMentor.sub], confirm };
};

/** A pending bulk registration submitted by the coordinator `coordinatorId` itself. */
export async function pendingBatchOf(o: TestOrg, coordinatorId: string): Promise<string> {
  const sent = await api(o.as(coordinatorId, "coordinator")).POST("/api/v1/activity-attributions/batches", {
    body: batchBody(o, coordinatorId),
  });
  return created(sent).batch_id;
}

/** A proxy audit entry naming `coordinatorId`, appended by the system role. */
export async function auditEntryOf(o: TestOrg, coordinatorId: string): Promise<string> {
  const sent = await api(o.system).POST("/api/v1/proxy-audit-logs", {
    body: {
      action: "proxy_created",
      coordinator_id: coordinatorId,
      mentor_id: o.otherMentor.sub,
      activity_id: "pa-1",
    },
  });
  return created(sent).id;
}

/**
 * The organisation as its list routes show it, read by an auditor without a member record (so
 * no member write can lock it out). The audit log is seen through its verified head: every
 * append, annotation and redaction moves it. Each answer is kept as the text the Worker sent.
 */
export async function observe(o: TestOrg): Promise<string[]> {
  const auditor = api(o.as("observer", "admin", "compliance"));
  const page = { params: { query: { limit: 100 } }, parseAs: "text" } as const;
  const reads = [
    auditor.GET("/api/v1/members", page),
    auditor.GET("/api/v1/activity-logs", page),
    auditor.GET("/api/v1/activity-attributions", page),
    auditor.GET("/api/v1/proxy-audit-logs/verify", { parseAs: "text" }),
  ];
  return Promise.all(
    reads.map(async (read) => {
      const { data, error, response } = await read;
      expect(response.status, JSON.stringify(error)).toBe(200);
      return data ?? "";
    }),
  );
}
