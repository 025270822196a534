// The generated part of the Worker's static assets (public/), built before every deploy, dev
// server and test run (wrangler.toml [build], npm test, npm run test:e2e); none of it is committed.
// - /docs: the API reference's standalone script, copied from node_modules, so the page never
//   loads code from a third-party CDN;
// - /statements/verify: the page's one ES module, bundled by esbuild (the version wrangler
//   bundles the Worker with) from web/statement-verify.ts and the src/audit code it shares with
//   `npm run verify-statement`. Same sources and lockfile, same bytes: no timestamps, no paths.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

const scalarSource = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const scalarTarget = join(root, "public/docs/assets/scalar-standalone.js");
mkdirSync(dirname(scalarTarget), { recursive: true });
copyFileSync(scalarSource, scalarTarget);

await build({
  absWorkingDir: root,
  entryPoints: ["web/statement-verify.ts"],
  outfile: "public/statements/verify.js",
  bundle: true,
  format: "esm",
  platform: "browser",
  // WebCrypto's Ed25519 and String.prototype.isWellFormed set the floor anyway.
  target: "es2022",
  minify: true,
  legalComments: "none",
  banner: {
    js: "/* /statements/verify: built by scripts/build/assets.ts. Includes canonicalize (Apache-2.0, https://github.com/erdtman/canonicalize). */",
  },
  logLevel: "warning",
});
