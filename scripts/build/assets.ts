// Copies the API reference's standalone script from node_modules into the
// Worker's static assets, so /docs never loads code from a third-party CDN.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const source = join(root, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const target = join(root, "public/docs/assets/scalar-standalone.js");
mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
