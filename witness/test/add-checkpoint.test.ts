import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { findCosignature, parseCosignatureLine } from "../../src/audit/cosignature.ts";
import { EMPTY_ROOT, toBase64 } from "../../src/audit/merkle.ts";
import { parseCheckpoint, signNote, verifyCheckpoint } from "../../src/audit/signed-note.ts";
import { encodeAddCheckpoint, parseSizeBody, TLOG_SIZE_CONTENT_TYPE } from "../../src/audit/tlog-witness.ts";
import {
  addCheckpoint,
  get,
  held,
  logSigner,
  newOrigin,
  postBody,
  strangerKey,
  TestLog,
  witnessKey,
} from "./log.ts";

/** The cosignature in a 200's body, verified with the shared module; fails the test otherwise. */
async function cosigned(res: Response, log: TestLog, size = log.size) {
  const body = await res.text();
  expect(res.status, body).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
  expect(body).toMatch(/^\u2014 witness\.test\/w1 [A-Za-z0-9+/]+=*\n$/u);
  const found = await findCosignature(body, log.text(size), await witnessKey());
  expect(found).not.toBeNull();
  return found?.timestamp ?? 0;
}

/** The size and root of what the witness holds for a log, read from its monitoring endpoint. */
async function heldTree(origin: string) {
  const note = await held(origin);
  if (note === null) return null;
  const parsed = parseCheckpoint(note);
  expect(parsed).not.toBeNull();
  return parsed === null ? null : { size: parsed.treeSize, root: toBase64(parsed.root) };
}

async function conflictSize(res: Response): Promise<number | null> {
  expect(res.status).toBe(409);
  expect(res.headers.get("Content-Type")).toBe(TLOG_SIZE_CONTENT_TYPE);
  return parseSizeBody(await res.text());
}

describe("POST /add-checkpoint: cosigning", () => {
  it("cosigns a log's first checkpoint from old size 0, with a timestamped cosignature/v1", async () => {
    const log = new TestLog(newOrigin()).grow(7);
    const timestamp = await cosigned(await addCheckpoint(log, 0), log);
    expect(Number.isSafeInteger(timestamp) && timestamp > 0).toBe(true);
    expect(await heldTree(log.origin)).toEqual({ size: 7, root: toBase64(log.root()) });
  });

  it("serves what it cosigned: the log's verified signature and its own cosignature on the checkpoint", async () => {
    const log = new TestLog(newOrigin()).grow(3);
    const res = await addCheckpoint(log, 0);
    const line = await res.text();
    const note = (await held(log.origin)) ?? "";
    expect(note).toBe(`${log.checkpoint()}${line}`);
    const parsed = parseCheckpoint(note);
    expect(parsed && verifyCheckpoint(parsed, [logSigner()])).not.toBeNull();
    expect(
      await findCosignature(note.slice(log.text().length + 1), log.text(), await witnessKey()),
    ).not.toBeNull();
  });

  it("cosigns the growth of a log with a valid consistency proof from the size it holds", async () => {
    const log = new TestLog(newOrigin()).grow(5);
    await cosigned(await addCheckpoint(log, 0), log);
    for (const more of [1, 6, 21]) {
      const from = log.size;
      log.grow(more);
      await cosigned(await addCheckpoint(log, from), log);
    }
    expect(await heldTree(log.origin)).toEqual({ size: 33, root: toBase64(log.root()) });
  });

  it("cosigns the checkpoint of the size it holds again, with the same root", async () => {
    const log = new TestLog(newOrigin()).grow(4);
    await cosigned(await addCheckpoint(log, 0), log);
    await cosigned(await addCheckpoint(log, 4), log);
  });

  it("cosigns the empty log's checkpoint, whose root is the hash of nothing", async () => {
    const log = new TestLog(newOrigin());
    await cosigned(await addCheckpoint(log, 0), log);
    expect(await heldTree(log.origin)).toEqual({ size: 0, root: toBase64(EMPTY_ROOT) });
  });

  it("knows a log configured by its exact origin", async () => {
    const log = new TestLog(env.TEST_SINGLE_ORIGIN).grow(2);
    await cosigned(await addCheckpoint(log, 0), log);
  });
});

describe("POST /add-checkpoint: what it refuses", () => {
  it("answers 409 with the size it holds when old is not that size, and keeps what it holds", async () => {
    const log = new TestLog(newOrigin()).grow(12);
    await cosigned(await addCheckpoint(log, 0), log);
    const stale = log.fork(12).grow(8);
    expect(await conflictSize(await addCheckpoint(stale, 5))).toBe(12);
    expect(await conflictSize(await addCheckpoint(stale, 0))).toBe(12);
    expect(await heldTree(log.origin)).toEqual({ size: 12, root: toBase64(log.root()) });
  });

  it("answers 409 with size 0 to a log it never cosigned, when old is not 0", async () => {
    const log = new TestLog(newOrigin()).grow(9);
    expect(await conflictSize(await addCheckpoint(log, 3))).toBe(0);
    expect(await held(log.origin)).toBeNull();
  });

  it("answers 422 to a consistency proof that does not verify", async () => {
    const log = new TestLog(newOrigin()).grow(5);
    await cosigned(await addCheckpoint(log, 0), log);
    log.grow(7);
    // Copies: a proof's hashes may be the log's own leaves.
    const proof = log.proof(5).map((hash) => Uint8Array.from(hash));
    const first = proof[0] ?? new Uint8Array(32);
    first[0] = (first[0] ?? 0) ^ 1;
    const res = await postBody(encodeAddCheckpoint({ oldSize: 5, proof, checkpoint: log.checkpoint() }));
    expect(res.status).toBe(422);
    const short = await postBody(
      encodeAddCheckpoint({ oldSize: 5, proof: log.proof(5).slice(1), checkpoint: log.checkpoint() }),
    );
    expect(short.status).toBe(422);
    expect(await heldTree(log.origin)).toEqual({ size: 5, root: toBase64(log.root(5)) });
  });

  it("answers 422 to a tree that rewrote what it cosigned, even with that tree's own valid proof", async () => {
    const log = new TestLog(newOrigin()).grow(6);
    await cosigned(await addCheckpoint(log, 0), log);
    const rewritten = log.fork(2).grow(10);
    expect((await addCheckpoint(rewritten, 6)).status).toBe(422);
    expect(await heldTree(log.origin)).toEqual({ size: 6, root: toBase64(log.root()) });
  });

  it("never cosigns a second, different root for the size it holds", async () => {
    const log = new TestLog(newOrigin()).grow(8);
    await cosigned(await addCheckpoint(log, 0), log);
    const other = log.fork(7).grow(1);
    const res = await addCheckpoint(other, 8);
    expect(res.status).toBe(422);
    expect(await res.text()).toMatch(/different root at size 8/);
    expect(await heldTree(log.origin)).toEqual({ size: 8, root: toBase64(log.root()) });
  });

  it("answers 422 to a size-0 checkpoint with another root, and to a proof sent from size 0", async () => {
    const empty = new TestLog(newOrigin());
    const wrongRoot = signNote(
      `${empty.origin}\n0\n${toBase64(new Uint8Array(32))}\n`,
      logSigner().name,
      logSigner().keyId,
      logSigner().privateKey,
    );
    expect(
      (await postBody(encodeAddCheckpoint({ oldSize: 0, proof: [], checkpoint: wrongRoot }))).status,
    ).toBe(422);
    const log = new TestLog(newOrigin()).grow(4);
    const body = encodeAddCheckpoint({ oldSize: 0, proof: [log.root(2)], checkpoint: log.checkpoint() });
    expect((await postBody(body)).status).toBe(422);
    expect(await held(log.origin)).toBeNull();
  });

  it("answers 403 to a checkpoint no trusted key signed, or whose trusted signature fails", async () => {
    const log = new TestLog(newOrigin()).grow(3);
    const stranger = logSigner(await strangerKey());
    expect(
      (
        await postBody(
          encodeAddCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(3, stranger) }),
        )
      ).status,
    ).toBe(403);
    const elsewhere = logSigner(await strangerKey(), "stranger.test");
    expect(
      (
        await postBody(
          encodeAddCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint(3, elsewhere) }),
        )
      ).status,
    ).toBe(403);
    // The log's own signature line, under a text it did not sign.
    const signed = log.checkpoint();
    const forged = signed.replace(`\n3\n`, "\n4\n");
    expect((await postBody(encodeAddCheckpoint({ oldSize: 0, proof: [], checkpoint: forged }))).status).toBe(
      403,
    );
    expect(await held(log.origin)).toBeNull();
  });

  it("answers 404 to an origin it does not know", async () => {
    for (const origin of [
      "other.test/log",
      `${env.TEST_LOG_NAME}/`,
      `${env.TEST_SINGLE_ORIGIN}-2`,
      "api.testing/x",
    ]) {
      const log = new TestLog(origin).grow(2);
      const res = await addCheckpoint(log, 0);
      expect(res.status, origin).toBe(404);
    }
  });

  it("answers 400 to a malformed body, and to an old size above the checkpoint's", async () => {
    const log = new TestLog(newOrigin()).grow(3);
    const note = log.checkpoint();
    const bodies = [
      "",
      note,
      `old 0\n${note}`,
      `old 00\n\n${note}`,
      `old -1\n\n${note}`,
      `old 0\nnot-base64\n\n${note}`,
      `old 0\n\n${log.text()}`,
      `old 0\n\n${note.replace("\n3\n", "\n03\n")}`,
      `old 0\n\n${note.replace(log.origin, `${log.origin}\u0007`)}`,
    ];
    for (const body of bodies) expect((await postBody(body)).status, JSON.stringify(body)).toBe(400);
    expect((await postBody(encodeAddCheckpoint({ oldSize: 4, proof: [], checkpoint: note }))).status).toBe(
      400,
    );
    expect(await held(log.origin)).toBeNull();
  });

  it("answers 413 to a body far larger than any checkpoint", async () => {
    const log = new TestLog(newOrigin()).grow(1);
    const res = await postBody(`old 0\n\n${log.checkpoint()}${"x".repeat(200_000)}`);
    expect(res.status).toBe(413);
  });

  it("answers 405 to add-checkpoint by another method", async () => {
    const res = await get("/add-checkpoint");
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("POST");
  });
});

describe("concurrent requests", () => {
  it("cosign at most one of several different roots of one size, from one held size", async () => {
    const log = new TestLog(newOrigin()).grow(10);
    await cosigned(await addCheckpoint(log, 0), log);
    const forks = Array.from({ length: 6 }, () => log.fork().grow(5));
    const answers = await Promise.all(forks.map((fork) => addCheckpoint(fork, 10)));
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    const winner = forks[statuses.indexOf(200)] ?? log;
    expect(await heldTree(log.origin)).toEqual({ size: 15, root: toBase64(winner.root()) });
    // A loser that learns the held size and asks again is refused: another root at size 15.
    const loser = forks[statuses.indexOf(409)] ?? log;
    expect((await addCheckpoint(loser, 15)).status).toBe(422);
  });

  it("cosign at most one of several different first checkpoints of one size", async () => {
    const origin = newOrigin();
    const logs = Array.from({ length: 4 }, () => new TestLog(origin).grow(3));
    const statuses = (await Promise.all(logs.map((l) => addCheckpoint(l, 0)))).map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(3);
  });
});

describe("GET", () => {
  it("answers 404 for a log it never cosigned", async () => {
    expect(await held(newOrigin())).toBeNull();
  });

  it("/ names the witness and its verifier key, the one its private key gives", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { name: string; verifier_key: string; problems: string[] };
    const key = await witnessKey();
    expect(body.name).toBe("witness.test/w1");
    expect(body.verifier_key).toBe(
      `${key.name}+${key.keyId}+${toBase64(Uint8Array.from([4, ...key.publicKey]))}`,
    );
    expect(body.problems).toEqual([]);
    const line = await (await addCheckpoint(new TestLog(newOrigin()).grow(1), 0)).text();
    expect(parseCosignatureLine(line)?.keyId).toBe(key.keyId);
  });
});
