import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { encodeAddCheckpoint } from "../../src/audit/tlog-witness.ts";
import { keysFor, witnessConfig } from "../src/config.ts";
import type { WitnessEnv } from "../src/env.ts";
import worker from "../src/index.ts";
import { logSigner, newOrigin, strangerKey, TestLog } from "./log.ts";

const logKey = () => {
  const key = logSigner();
  return `${key.name}+${key.keyId}+${Buffer.from([1, ...key.publicKey]).toString("base64")}`;
};

/** The test bindings with some variables replaced. */
const configured = (vars: Partial<Omit<WitnessEnv, "WITNESSED_LOG">>): WitnessEnv => ({ ...env, ...vars });

describe("WITNESS_LOGS", () => {
  it("knows an origin by its exact name, or by a prefix with something after it", () => {
    const config = witnessConfig(
      configured({
        WITNESS_LOGS: JSON.stringify([
          { origin_prefix: "api.example/", verifier_key: logKey() },
          { origin: "one.example/log", verifier_key: logKey() },
        ]),
      }),
    );
    expect(config.problems).toEqual([]);
    expect(keysFor(config, "api.example/org-1")).toHaveLength(1);
    expect(keysFor(config, "one.example/log")).toHaveLength(1);
    for (const unknown of [
      "api.example/",
      "api.example",
      "api.examples/org",
      "one.example/log/2",
      "one.example",
    ]) {
      expect(keysFor(config, unknown), unknown).toBeNull();
    }
  });

  it("trusts every key of every entry that matches an origin, as a key rotation lists both", async () => {
    const next = logSigner(await strangerKey());
    const nextKey = `${next.name}+${next.keyId}+${Buffer.from([1, ...next.publicKey]).toString("base64")}`;
    const config = witnessConfig(
      configured({
        WITNESS_LOGS: JSON.stringify([
          { origin_prefix: "api.example/", verifier_key: logKey() },
          { origin_prefix: "api.example/", verifier_key: nextKey },
        ]),
      }),
    );
    expect(keysFor(config, "api.example/org-1")?.map((k) => k.keyId)).toEqual([
      logSigner().keyId,
      next.keyId,
    ]);
  });

  it("names each problem, and then cosigns nothing", () => {
    const cases: [Partial<WitnessEnv>, RegExp][] = [
      [{ WITNESS_LOGS: "" }, /WITNESS_LOGS is empty/],
      [{ WITNESS_LOGS: "{" }, /WITNESS_LOGS is not JSON/],
      [{ WITNESS_LOGS: "{}" }, /must be a JSON list/],
      [
        { WITNESS_LOGS: JSON.stringify([{ verifier_key: logKey() }]) },
        /exactly one of "origin" and "origin_prefix"/,
      ],
      [
        { WITNESS_LOGS: JSON.stringify([{ origin: "a/b", origin_prefix: "a/", verifier_key: logKey() }]) },
        /exactly one of/,
      ],
      [{ WITNESS_LOGS: JSON.stringify([{ origin: "a\nb", verifier_key: logKey() }]) }, /non-empty line/],
      [{ WITNESS_LOGS: JSON.stringify([{ origin: "a/b" }]) }, /verifier_key is missing/],
      [
        { WITNESS_LOGS: JSON.stringify([{ origin: "a/b", verifier_key: "nope" }]) },
        /verifier_key: A verifier key reads/,
      ],
      [{ WITNESS_NAME: "" }, /WITNESS_NAME is not set/],
      [{ WITNESS_NAME: "has space" }, /witness name/],
      [{ WITNESS_SIGNING_KEY: "" }, /WITNESS_SIGNING_KEY is not set/],
      [{ WITNESS_SIGNING_KEY: "bm90IGEga2V5" }, /not a base64 PKCS#8 Ed25519/],
    ];
    for (const [vars, problem] of cases) {
      const config = witnessConfig(configured(vars));
      expect(config.problems.join("; "), JSON.stringify(vars)).toMatch(problem);
      expect(config.cosigner).toBeNull();
    }
  });

  it("refuses a witness's cosignature key where a log's key is expected", () => {
    const config = witnessConfig(
      configured({
        WITNESS_LOGS: JSON.stringify([
          {
            origin: "a/b",
            verifier_key: "witness.test/w1+acd8c968+BD9AQjLLlXqIJ2PCew2D6nOIQehaQBKPSgn5RNvg5kmx",
          },
        ]),
      }),
    );
    expect(config.problems.join("; ")).toMatch(/not an Ed25519 key/);
  });
});

describe("a witness whose configuration is incomplete", () => {
  it("answers 503 naming the problem, and cosigns nothing", async () => {
    const log = new TestLog(newOrigin()).grow(2);
    const request = new Request("https://witness.test/add-checkpoint", {
      method: "POST",
      body: encodeAddCheckpoint({ oldSize: 0, proof: [], checkpoint: log.checkpoint() }),
    });
    const res = await worker.fetch(
      request as Parameters<typeof worker.fetch>[0],
      configured({ WITNESS_SIGNING_KEY: "" }),
    );
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/WITNESS_SIGNING_KEY is not set/);
  });
});
