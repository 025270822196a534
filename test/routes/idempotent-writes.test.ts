import { describe, expect, it } from "vitest";
import { api } from "../helpers/client";
import { testOrg } from "../helpers/org";
import { activityLogOf, attributionOf, auditEntryOf } from "../helpers/world";

/**
 * An Idempotency-Key on PUT and DELETE beyond what the exactly-once tests hold every keyed write
 * to (one write and one answer through retries and crashes, driven by the operation catalogue):
 * a refused write's answer is replayed as it was, a key sent with another request is 422, and
 * the writes to the audit object alone keep their answers there.
 */

interface Sent {
  response: Response;
  data?: unknown;
  error?: unknown;
}

function textOf(sent: Sent): string {
  if (typeof sent.data !== "string")
    throw new Error(`answered ${sent.response.status}: ${JSON.stringify(sent.error)}`);
  return sent.data;
}

const headerOf = (key: string) => ({ "idempotency-key": key });

describe("a keyed PUT or DELETE that was refused", () => {
  it("replays its 412 as it was, though the attribution changed since", async () => {
    const o = await testOrg("keyed-412");
    const id = await attributionOf(o, o.coordinator.sub, o.mentor.sub);
    const correct = (key: string, ifMatch: string, duration: number) =>
      api(o.coordinator).PUT("/api/v1/activity-attributions/{id}", {
        params: { path: { id }, header: { "idempotency-key": key, "if-match": ifMatch } },
        body: { duration_minutes: duration },
        parseAs: "text",
      });
    const stale = await correct("stale-key", '"0123456789abcdef0123456789abcdef"', 50);
    expect(stale.response.status).toBe(412);
    const tag = (
      await api(o.coordinator).GET("/api/v1/activity-attributions/{id}", { params: { path: { id } } })
    ).response.headers.get("ETag");
    expect((await correct("fresh-key", tag ?? "", 55)).response.status).toBe(200);
    const retry = await correct("stale-key", '"0123456789abcdef0123456789abcdef"', 50);
    expect(retry.response.status).toBe(412);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.error).toEqual(stale.error);
  });

  it("answers 422 to the same key sent with another body", async () => {
    const o = await testOrg("keyed-422");
    const id = await activityLogOf(o, o.mentor.sub);
    const change = (description: string) =>
      api(o.mentor).PUT("/api/v1/activity-logs/{id}", {
        params: { path: { id }, header: headerOf("one-key") },
        body: { description },
      });
    expect((await change("First")).response.status).toBe(200);
    expect((await change("Second")).response.status).toBe(422);
    const now = await api(o.mentor).GET("/api/v1/activity-logs/{id}", { params: { path: { id } } });
    expect(now.data?.description).toBe("First");
  });
});

describe("a keyed annotation or deletion of an audit entry (kept by the audit object with the write)", () => {
  it("answers a retried deletion with its first answer, not a 404", async () => {
    const o = await testOrg("keyed-redact");
    const id = await auditEntryOf(o, o.coordinator.sub);
    const redact = () =>
      api(o.admin).DELETE("/api/v1/proxy-audit-logs/{id}", {
        params: { path: { id }, header: headerOf("redact-once") },
        parseAs: "text",
      });
    const first = await redact();
    expect(first.response.status).toBe(200);
    const retry = await redact();
    expect(retry.response.status).toBe(200);
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(retry)).toBe(textOf(first));
  });

  it("answers 422 to the key of an annotation sent with a deletion of the entry, and deletes nothing", async () => {
    const o = await testOrg("keyed-reused");
    const id = await auditEntryOf(o, o.coordinator.sub);
    const annotated = await api(o.admin).PUT("/api/v1/proxy-audit-logs/{id}", {
      params: { path: { id }, header: headerOf("one-entry-key") },
      body: { annotation: "Reviewed", reviewed_by: "admin-007" },
    });
    expect(annotated.response.status).toBe(200);
    const reused = await api(o.admin).DELETE("/api/v1/proxy-audit-logs/{id}", {
      params: { path: { id }, header: headerOf("one-entry-key") },
    });
    expect(reused.response.status).toBe(422);
    const entry = await api(o.admin).GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } });
    expect(entry.data).toMatchObject({ id, annotation: "Reviewed" });
  });

  it("answers a retried annotation with its first answer and ETag", async () => {
    const o = await testOrg("keyed-annotate");
    const id = await auditEntryOf(o, o.coordinator.sub);
    const annotate = () =>
      api(o.admin).PUT("/api/v1/proxy-audit-logs/{id}", {
        params: { path: { id }, header: headerOf("annotate-once") },
        body: { annotation: "Reviewed", reviewed_by: "admin-007" },
        parseAs: "text",
      });
    const first = await annotate();
    expect(first.response.status).toBe(200);
    const retry = await annotate();
    expect(retry.response.headers.get("Idempotent-Replayed")).toBe("true");
    expect(textOf(retry)).toBe(textOf(first));
    expect(retry.response.headers.get("ETag")).toBe(first.response.headers.get("ETag"));
  });
});
