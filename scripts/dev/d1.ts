// The D1 databases of wrangler.toml, for the scripts that migrate or seed them: the directory
// and every database organisations live on (SPEC §13). Migrations apply to all of them, each
// from its binding's migrations_dir, in one loop.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./config.ts";

const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");

/** Every `[[d1_databases]]` binding of wrangler.toml (or `config`), the directory first. */
export function d1Bindings(config = join(ROOT, "wrangler.toml")): string[] {
  const blocks = readFileSync(config, "utf8")
    .split(/^\[\[d1_databases\]\]\s*$/m)
    .slice(1);
  const bindings = blocks.flatMap((block) => {
    const table = block.split(/^\[/m)[0] ?? "";
    const binding = /^binding\s*=\s*"([^"]+)"\s*$/m.exec(table)?.[1];
    return binding === undefined ? [] : [binding];
  });
  return [...bindings.filter((b) => b === "DIRECTORY"), ...bindings.filter((b) => b !== "DIRECTORY")];
}

/**
 * `wrangler d1 migrations apply` for every binding, `--local` or `--remote`, with any further
 * flags (`--persist-to DIR`, `--config FILE`). Answers the first failing exit status, or 0.
 */
export function migrateAll(where: "--local" | "--remote", extra: string[] = [], quiet = false): number {
  const configIndex = extra.indexOf("--config");
  const config = configIndex === -1 ? undefined : extra[configIndex + 1];
  for (const binding of d1Bindings(config === undefined ? undefined : join(ROOT, config))) {
    const run = spawnSync(wrangler, ["d1", "migrations", "apply", binding, where, ...extra], {
      cwd: ROOT,
      env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" },
      stdio: quiet ? ["ignore", "ignore", "inherit"] : "inherit",
    });
    if (run.status !== 0) {
      console.error(`applying the migrations of ${binding} failed (${run.status})`);
      return run.status ?? 1;
    }
  }
  return 0;
}
