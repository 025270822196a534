// `npm run fuzz [-- --runs N --seed S]`: the property run of test/routes/fuzz.test.ts at any size.
// Every route of the served OpenAPI document gets its share of N generated cases (writes fewer
// than reads, since each is checked for side effects); the last line printed is the status
// histogram. `npm test` runs it with 2,000 cases and seed 20260326.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "./config.ts";

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\nusage: npm run fuzz -- [--runs N] [--seed S]\n`);
  process.exit(2);
}

let values: { runs?: string; seed?: string };
try {
  ({ values } = parseArgs({ options: { runs: { type: "string" }, seed: { type: "string" } }, strict: true }));
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };
for (const [name, value] of [
  ["FUZZ_RUNS", values.runs],
  ["FUZZ_SEED", values.seed],
] as const) {
  if (value === undefined) continue;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    fail(`--${name.slice(5).toLowerCase()} must be a whole number above 0`);
  env[name] = value;
}
const vitest = join(ROOT, "node_modules", ".bin", "vitest");
const run = spawnSync(vitest, ["run", "test/routes/fuzz.test.ts"], { cwd: ROOT, env, stdio: "inherit" });
process.exit(run.status ?? 1);
