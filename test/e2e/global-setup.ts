import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateAll } from "../../scripts/dev/d1.ts";

/**
 * Applies the D1 migrations once, to a template state directory, before any e2e file runs:
 * applying them is one wrangler process per database, about 25 s for the four, and every
 * server the files start (seven) begins from a copy of the template instead (dev-server.ts).
 */
export default function setup(): () => void {
  const template = mkdtempSync(join(tmpdir(), "mentor-e2e-template-"));
  const migrated = migrateAll("--local", ["--persist-to", template], true);
  if (migrated !== 0) throw new Error(`applying the D1 migrations failed (${migrated})`);
  process.env.E2E_TEMPLATE_STATE = template;
  return () => rmSync(template, { recursive: true, force: true });
}
