import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { components } from "../../clients/typescript/index";
import { auditLogOf } from "../../src/audit/client";
import { parseCheckpoint, parseVerifierKey, verifyCheckpoint } from "../../src/audit/signed-note";
import type { AuditEventInput } from "../../src/audit/types";
import { api } from "../helpers/client";
import { type TestOrg, testOrg } from "../helpers/org";
import { rfcHex, rfcLeaf, rfcRoot, rfcVerifyConsistency, rfcVerifyInclusion } from "../helpers/rfc9162";

const CHECKPOINT = "/api/v1/proxy-audit-logs/checkpoint";
const CHECKPOINTS = "/api/v1/proxy-audit-logs/checkpoints";
const PROOF = "/api/v1/proxy-audit-logs/{id}/proof";
const CONSISTENCY = "/api/v1/proxy-audit-logs/consistency";
const ENTRY = "/api/v1/proxy-audit-logs/{id}";

type Problem = components["schemas"]["Problem"];

const event = (id: string, coordinator: string): AuditEventInput => ({
  event_id: id,
  action: "proxy_created",
  actor_id: coordinator,
  coordinator_id: coordinator,
  mentor_id: "mentor-482",
  activity_id: `pa-${id}`,
});

/**
 * Five entries in three append calls, so three checkpoints (2, 3 and 5) besides the empty one:
 * log-001, log-002 and log-004 are coord-007's, log-003 and log-005 coord-119's.
 */
async function signedLog(): Promise<TestOrg & { payloadHashes: string[] }> {
  const o = await testOrg("proofs");
  const client = auditLogOf(env.AUDIT_LOG, o.org);
  await client.append([event("a", "coord-007"), event("b", "coord-007")]);
  await client.append([event("c", "coord-119")]);
  await client.append([event("d", "coord-007"), event("e", "coord-119")]);
  const payloadHashes: string[] = [];
  for (const id of ["log-001", "log-002", "log-003", "log-004", "log-005"]) {
    const { data } = await api(o.compliance).GET(ENTRY, { params: { path: { id } } });
    payloadHashes.push(data?.payload_hash ?? "");
  }
  return { ...o, payloadHashes };
}

function expectProblem(answer: { response: Response; error?: Problem }, status: number, path?: string): void {
  expect(answer.response.status).toBe(status);
  expect(answer.response.headers.get("content-type")).toContain("application/problem+json");
  if (path !== undefined) expect(answer.error?.errors?.map((e) => e.path)).toContain(path);
}

describe("GET /proxy-audit-logs/checkpoint and /checkpoints", () => {
  it("answers the latest signed checkpoint, which the published key verifies", async () => {
    const o = await signedLog();
    const { data, response } = await api(o.compliance).GET(CHECKPOINT);
    expect(response.status).toBe(200);
    const leaves = o.payloadHashes.map(rfcLeaf);
    expect(data).toMatchObject({ tree_size: 5, root_hash: rfcHex(rfcRoot(leaves)) });
    const keys = await api(o.compliance).GET("/.well-known/audit-log-keys");
    const note = parseCheckpoint(data?.checkpoint ?? "");
    expect(note).toMatchObject({ origin: `mentor-activity-api/${o.org}`, treeSize: 5 });
    const verifiers = (keys.data?.keys ?? []).map((key) => parseVerifierKey(key.verifier_key));
    expect(note && verifyCheckpoint(note, verifiers)?.keyId).toBe(data?.key_id);
  });

  it("lists every signed checkpoint in size order, a page at a time", async () => {
    const o = await signedLog();
    const first = await api(o.admin).GET(CHECKPOINTS, { params: { query: { limit: 2 } } });
    expect(first.data?.data.map((c) => c.tree_size)).toEqual([2, 3]);
    expect(first.data?.next_after_size).toBe(3);
    const rest = await api(o.admin).GET(CHECKPOINTS, { params: { query: { after_size: 3, limit: 2 } } });
    expect(rest.data).toMatchObject({ data: [{ tree_size: 5 }], next_after_size: null });
    expectProblem(await api(o.admin).GET(CHECKPOINTS, { params: { query: { limit: 0 } } }), 400, "limit");
    // The largest page (found by the fuzz run: it once asked the object for one too many and got a 500).
    const largest = await api(o.admin).GET(CHECKPOINTS, { params: { query: { limit: 100 } } });
    expect(largest.response.status).toBe(200);
    expect(largest.data?.data.map((c) => c.tree_size)).toEqual([2, 3, 5]);
  });

  it("refuses coordinators, mentors and the system role", async () => {
    const o = await signedLog();
    for (const caller of [o.coordinator, o.mentor, o.system]) {
      expectProblem(await api(caller).GET(CHECKPOINT), 403);
      expectProblem(await api(caller).GET(CHECKPOINTS, { params: { query: {} } }), 403);
      expectProblem(await api(caller).GET(CONSISTENCY, { params: { query: { from: 2 } } }), 403);
    }
  });
});

describe("GET /proxy-audit-logs/{id}/proof", () => {
  it("proves an entry in the latest tree and in an earlier signed one", async () => {
    const o = await signedLog();
    const leaves = o.payloadHashes.map(rfcLeaf);
    const latest = await api(o.compliance).GET(PROOF, { params: { path: { id: "log-002" }, query: {} } });
    expect(latest.response.status).toBe(200);
    expect(latest.data).toMatchObject({ id: "log-002", leaf_index: 1, tree_size: 5 });
    const proof = latest.data;
    if (!proof) throw new Error("no proof");
    expect(rfcVerifyInclusion(1, 5, leaves[1] ?? new Uint8Array(), proof.audit_path, proof.root_hash)).toBe(
      true,
    );
    expect(parseCheckpoint(proof.checkpoint)?.treeSize).toBe(5);

    const earlier = await api(o.admin).GET(PROOF, {
      params: { path: { id: "log-002" }, query: { tree_size: 3 } },
    });
    const root3 = rfcHex(rfcRoot(leaves.slice(0, 3)));
    expect(earlier.data).toMatchObject({ tree_size: 3, root_hash: root3 });
    expect(
      rfcVerifyInclusion(1, 3, leaves[1] ?? new Uint8Array(), earlier.data?.audit_path ?? [], root3),
    ).toBe(true);
  });

  it("lets a coordinator prove its own entry and answers 404 for another's", async () => {
    const o = await signedLog();
    const own = await api(o.coordinator).GET(PROOF, { params: { path: { id: "log-004" }, query: {} } });
    expect(own.response.status).toBe(200);
    expect(own.data?.id).toBe("log-004");
    expectProblem(
      await api(o.coordinator).GET(PROOF, { params: { path: { id: "log-003" }, query: {} } }),
      404,
    );
    expectProblem(await api(o.mentor).GET(PROOF, { params: { path: { id: "log-001" }, query: {} } }), 403);
  });

  it("answers 400 for a size never signed or too small to hold the entry, 404 for a missing entry", async () => {
    const o = await signedLog();
    const unsigned = await api(o.admin).GET(PROOF, {
      params: { path: { id: "log-001" }, query: { tree_size: 4 } },
    });
    expectProblem(unsigned, 400, "tree_size");
    expect(unsigned.error?.errors?.[0]?.message).toBe("No checkpoint was signed at size 4");
    const tooSmall = await api(o.admin).GET(PROOF, {
      params: { path: { id: "log-005" }, query: { tree_size: 3 } },
    });
    expectProblem(tooSmall, 400, "tree_size");
    expect(tooSmall.error?.errors?.[0]?.message).toBe("log-005 is not in the tree of size 3");
    expectProblem(await api(o.admin).GET(PROOF, { params: { path: { id: "log-006" }, query: {} } }), 404);
    expectProblem(
      await api(o.admin).GET(PROOF, { params: { path: { id: "entry-1" }, query: {} } }),
      400,
      "id",
    );
  });
});

describe("GET /proxy-audit-logs/consistency", () => {
  it("proves that each signed tree extends an earlier one", async () => {
    const o = await signedLog();
    const leaves = o.payloadHashes.map(rfcLeaf);
    const { data, response } = await api(o.compliance).GET(CONSISTENCY, { params: { query: { from: 3 } } });
    expect(response.status).toBe(200);
    expect(data).toMatchObject({ from: 3, to: 5 });
    const root3 = rfcHex(rfcRoot(leaves.slice(0, 3)));
    const root5 = rfcHex(rfcRoot(leaves));
    expect(rfcVerifyConsistency(3, 5, root3, root5, data?.proof ?? [])).toBe(true);
    // From the empty tree, and between two sizes given: both signed.
    const empty = await api(o.compliance).GET(CONSISTENCY, { params: { query: { from: 0, to: 2 } } });
    expect(empty.data).toEqual({ from: 0, to: 2, proof: [] });
  });

  it("answers 400 naming the size that was never signed or that comes after the other", async () => {
    const o = await signedLog();
    const unsigned = await api(o.admin).GET(CONSISTENCY, { params: { query: { from: 4 } } });
    expectProblem(unsigned, 400, "from");
    expectProblem(await api(o.admin).GET(CONSISTENCY, { params: { query: { from: 2, to: 4 } } }), 400, "to");
    expectProblem(
      await api(o.admin).GET(CONSISTENCY, { params: { query: { from: 5, to: 3 } } }),
      400,
      "from",
    );
  });
});
