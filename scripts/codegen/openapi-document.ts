// `node scripts/codegen/openapi-document.ts OUT`: writes the OpenAPI document the Worker serves at
// /openapi.json to OUT, without a dev server. The app imports `cloudflare:workers`, so it
// cannot be loaded in Node; wrangler's test harness builds it as it would be deployed, runs it
// in workerd with in-memory storage, and the document is fetched from it.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createTestHarness } from "wrangler";
import { ROOT } from "../dev/config.ts";

/** The origin `npm run dev` serves, so the document's `servers` entry is the one a developer uses. */
export const DOCUMENT_ORIGIN = "http://localhost:8787";

export async function fetchOpenApiDocument(): Promise<string> {
  // Miniflare would otherwise fetch a sample `Request.cf` object from Cloudflare; this runs offline.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const server = createTestHarness({ root: ROOT, workers: [{ configPath: "./wrangler.toml" }] });
  try {
    await server.listen();
    const response = await server.fetch(`${DOCUMENT_ORIGIN}/openapi.json`);
    if (!response.ok) throw new Error(`/openapi.json answered ${response.status}`);
    return `${JSON.stringify(await response.json(), null, 2)}\n`;
  } finally {
    await server.close();
  }
}

const out = process.argv[2];
if (import.meta.main && out) {
  const path = resolve(out);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, await fetchOpenApiDocument());
}
