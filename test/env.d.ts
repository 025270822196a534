import type { D1Migration } from "cloudflare:test";
import type { Env as WorkerEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      TEST_MIGRATIONS: D1Migration[];
      TEST_DIRECTORY_MIGRATIONS: D1Migration[];
      /** The databases organisations live on (wrangler.toml; D1_DATABASES lists them). */
      DB_1: D1Database;
      DB_2: D1Database;
      DB_3: D1Database;
      /** A limiter with a quota of LOW_RATE_LIMIT requests per minute, for the 429 tests. */
      LOW_RATE_LIMITER: RateLimit;
      LOW_RATE_LIMIT: string;
      /** Cases and seed of the fuzz run (vitest.config.ts). */
      FUZZ_RUNS: string;
      FUZZ_SEED: string;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "AuditLog";
    }
  }
}
