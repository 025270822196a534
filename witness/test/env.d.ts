import type { WitnessEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends WitnessEnv {
      /** The test log's signing key and key name (witness/vitest.config.ts); WITNESS_LOGS trusts it. */
      TEST_LOG_SIGNING_KEY: string;
      TEST_LOG_NAME: string;
      /** The origin WITNESS_LOGS names exactly, besides the prefix `<TEST_LOG_NAME>/`. */
      TEST_SINGLE_ORIGIN: string;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "WitnessedLog";
    }
  }
}
