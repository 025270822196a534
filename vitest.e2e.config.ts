import { defineConfig } from "vitest/config";

// End-to-end tests run in Node, not workerd: they start `wrangler dev` and drive Chromium.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
