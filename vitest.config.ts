import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** The quota of LOW_RATE_LIMITER; test/routes/rate-limit.test.ts reads it as the binding LOW_RATE_LIMIT. */
const LOW_RATE_LIMIT = 3;
/** Generated cases of the fuzz run in every `npm test` (CI included), and its fixed seed. */
const DEFAULT_FUZZ_RUNS = 2000;
const DEFAULT_FUZZ_SEED = 20260326;

export default defineConfig(async () => {
  const migrations = await readD1Migrations(new URL("./migrations", import.meta.url).pathname);
  const directoryMigrations = await readD1Migrations(
    new URL("./migrations-directory", import.meta.url).pathname,
  );
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            JWT_SECRET: "test-secret-with-enough-entropy-for-hs256",
            // The test configuration's own signing key (never in src/); its public key is TEST_AUDIT_PUBLIC_KEY.
            AUDIT_SIGNING_KEY: "MC4CAQAwBQYDK2VwBCIEIOb5zKdiWpIO43u3887Lyems9I1a/0LXwNbKQWxCDsXF",
            TEST_MIGRATIONS: migrations,
            TEST_DIRECTORY_MIGRATIONS: directoryMigrations,
            // workerd has no Durable Object jurisdictions; test/db/jurisdiction.test.ts shows what a deployment asks.
            AUDIT_LOG_JURISDICTIONS: "ignore",
            LOW_RATE_LIMIT: String(LOW_RATE_LIMIT),
            // The property run's size and seed; `npm run fuzz -- --runs N --seed S` sets them.
            FUZZ_RUNS: process.env.FUZZ_RUNS ?? String(DEFAULT_FUZZ_RUNS),
            FUZZ_SEED: process.env.FUZZ_SEED ?? String(DEFAULT_FUZZ_SEED),
          },
          ratelimits: {
            // Test files send many requests as one caller; the production quota is not under test here.
            RATE_LIMITER: { namespace_id: "1001", simple: { limit: 100_000, period: 60 } },
            // Passed as RATE_LIMITER by the rate-limit tests, so a 429 takes a handful of requests.
            LOW_RATE_LIMITER: { namespace_id: "9001", simple: { limit: LOW_RATE_LIMIT, period: 60 } },
            // Test files send many bad tokens from one (absent) address; the anonymous limiter's own test passes LOW_RATE_LIMITER.
            IP_RATE_LIMITER: { namespace_id: "1002", simple: { limit: 100_000, period: 60 } },
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/helpers/apply-migrations.ts"],
      // Files share one workerd per worker thread; each test owns its organisation, so no state leaks.
      isolate: false,
      // The heaviest tests (a thousand-entry log's proofs) take about a second alone; on a machine
      // whose cores are busy with other work they can pass the 5 s default without being wrong.
      testTimeout: 20_000,
      // The API's suite (this configuration) and the witness Worker's (its own, against
      // witness/wrangler.toml) in one run, so `npm test` and CI run both.
      projects: [{ extends: true, test: { name: "api" } }, "./witness/vitest.config.ts"],
    },
  };
});
