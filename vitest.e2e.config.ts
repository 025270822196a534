import { defineConfig } from "vitest/config";

// End-to-end tests run in Node, not workerd: each file starts `wrangler dev`; one at a time,
// so that two servers and a browser do not compete for a small machine's cores.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    fileParallelism: false,
    // Migrates a template state once; every server starts from a copy of it.
    globalSetup: ["test/e2e/global-setup.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
