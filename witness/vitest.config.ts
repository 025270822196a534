import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { keyIdOf, signingKey, verifierKey } from "../src/audit/signed-note.ts";

/**
 * The witness Worker's suite, in workerd against witness/wrangler.toml; `npm test` runs it as
 * the `witness` project of the root vitest.config.ts. Its keys are the test configuration's own
 * (never in witness/src or src/): the witness's, and a log's that the tests sign checkpoints with.
 */
const TEST_WITNESS_SIGNING_KEY = "MC4CAQAwBQYDK2VwBCIEIEI5AYauBugdu+gxjUD/AOj4zfFRu/dZj3Xy2FRDRLSZ";
const TEST_LOG_SIGNING_KEY = "MC4CAQAwBQYDK2VwBCIEIIFaR0H3z+WVkBu9l09Z3e0zs0bvRYhWlvH9aA/mhO9U";
/** The log key's name, and (with a slash) the prefix of every origin it signs, as a deployment's AUDIT_LOG_ORIGIN. */
const TEST_LOG_NAME = "api.test";
/** One log the witness knows by its exact origin. */
const TEST_SINGLE_ORIGIN = "single.test/log";

const { publicKey } = signingKey(TEST_LOG_SIGNING_KEY);
const logVerifierKey = verifierKey({
  name: TEST_LOG_NAME,
  keyId: keyIdOf(TEST_LOG_NAME, publicKey),
  publicKey,
});

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          WITNESS_NAME: "witness.test/w1",
          WITNESS_SIGNING_KEY: TEST_WITNESS_SIGNING_KEY,
          WITNESS_LOGS: JSON.stringify([
            { origin_prefix: `${TEST_LOG_NAME}/`, verifier_key: logVerifierKey },
            { origin: TEST_SINGLE_ORIGIN, verifier_key: logVerifierKey },
          ]),
          TEST_LOG_SIGNING_KEY,
          TEST_LOG_NAME,
          TEST_SINGLE_ORIGIN,
        },
      },
    }),
  ],
  test: {
    name: "witness",
    // After the API's suite rather than beside it: its CPU-bound tests keep the machine to themselves.
    sequence: { groupOrder: 1 },
    include: ["test/**/*.test.ts"],
    // Files share one workerd; each test owns its log origins, so no state leaks.
    isolate: false,
  },
});
