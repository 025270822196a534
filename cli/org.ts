// Where organisations live (SPEC §13), for the operators of a deployment:
//
//   npm run org:list  [-- --remote]
//   npm run org:place -- --org ORG --db DB_n [--remote]      a new organisation, on a named database
//   npm run org:move  -- --org ORG --to DB_n [--remote] [--cache-seconds N]
//                                                            freeze, copy, verify, flip, wait, purge
//   npm run org:adopt -- --db DB_n [--remote]                 record the organisations a database already holds
//   npm run org:purge -- --org ORG --db DB_n [--remote]      finish deleting the rows of one that moved out
//
// Each drives the D1 bindings themselves, through wrangler's platform proxy: the local files of
// `npm run dev` by default (`--persist-to DIR` as wrangler dev takes it), the deployment's
// databases with `--remote` (after `wrangler login`). The same code serves both, and it is the
// code the Worker's tests run (src/db/move.ts). Exit codes: 0 done, 1 failed, 2 usage,
// 3 refused before anything changed.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getPlatformProxy } from "wrangler";
import { type Databases, databaseBinding, parseDatabases } from "../src/db/databases.ts";
import { freezesOf, MoveRefused, moveOrganisation, organisationsIn, purgeMovedRows } from "../src/db/move.ts";
import { directoryCacheSecondsOf } from "../src/db/placement.ts";
import {
  createDirectoryDb,
  listPlacements,
  organisationsPerDatabase,
  placeExplicitly,
} from "../src/db/queries/directory.ts";

const ROOT = join(import.meta.dirname, "..");
const EXIT = { done: 0, failed: 1, usage: 2, refused: 3 } as const;

const USAGE = `usage:
  npm run org:list  [-- --remote]
  npm run org:place -- --org ORG --db DB_n [--remote]
  npm run org:move  -- --org ORG --to DB_n [--remote] [--cache-seconds N]
  npm run org:adopt -- --db DB_n [--remote]
  npm run org:purge -- --org ORG --db DB_n [--remote]
options: --remote (the deployment's databases), --persist-to DIR (local state, as wrangler dev takes it),
  --cache-seconds N (the Worker's DIRECTORY_CACHE_SECONDS, when it differs from wrangler.toml's)
`;

class UsageError extends Error {}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    org: { type: "string" },
    db: { type: "string" },
    to: { type: "string" },
    remote: { type: "boolean", default: false },
    "persist-to": { type: "string" },
    /** The Worker's DIRECTORY_CACHE_SECONDS, when it differs from wrangler.toml's. */
    "cache-seconds": { type: "string" },
  },
});

const iso = () => `${new Date().toISOString().slice(0, 19)}Z`;

/**
 * A configuration of the D1 bindings and D1_DATABASES alone, read from wrangler.toml: the proxy
 * then starts nothing else of the Worker. `remote = true` on each binding reaches the deployment.
 */
function bindingsConfig(remote: boolean): string {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const blocks = toml
    .split(/^\[\[d1_databases\]\]\s*$/m)
    .slice(1)
    .map((block) => (block.split(/^\[/m)[0] ?? "").trim());
  const databases = /^D1_DATABASES\s*=\s*'(.*)'\s*$/m.exec(toml)?.[1];
  const compatibility = /^compatibility_date\s*=\s*"(.*)"\s*$/m.exec(toml)?.[1];
  if (databases === undefined || compatibility === undefined || blocks.length === 0) {
    throw new UsageError("wrangler.toml has no [[d1_databases]], D1_DATABASES or compatibility_date");
  }
  const file = join(ROOT, ".wrangler-org.toml");
  writeFileSync(
    file,
    [
      'name = "mentor-activity-api"',
      `compatibility_date = "${compatibility}"`,
      ...blocks.map((block) => `[[d1_databases]]\n${block}${remote ? "\nremote = true" : ""}`),
      `[vars]\nD1_DATABASES = '${databases}'`,
      "",
    ].join("\n\n"),
  );
  return file;
}

async function withBindings<T>(
  run: (env: Record<string, unknown>, databases: Databases) => Promise<T>,
): Promise<T> {
  const persist = values["persist-to"];
  const proxy = await getPlatformProxy<Record<string, unknown>>({
    configPath: bindingsConfig(values.remote),
    persist: persist === undefined ? true : { path: join(persist, "v3") },
    remoteBindings: values.remote,
  });
  try {
    const problems: string[] = [];
    const text = typeof proxy.env.D1_DATABASES === "string" ? proxy.env.D1_DATABASES : undefined;
    const databases = parseDatabases(text, proxy.env, problems);
    if (databases === null) throw new UsageError(problems.join("\n"));
    return await run(proxy.env, databases);
  } finally {
    await proxy.dispose();
  }
}

const required = (name: "org" | "db" | "to"): string => {
  const value = values[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
};

const commands: Record<string, () => Promise<number>> = {
  list: () =>
    withBindings(async (env, databases) => {
      const dir = createDirectoryDb(databaseBinding(env, "DIRECTORY"));
      const counts = new Map((await organisationsPerDatabase(dir)).map((r) => [r.database, r.organisations]));
      for (const entry of databases.entries) {
        const flags = [
          entry.jurisdiction ?? "no jurisdiction",
          entry.newOrganisations ? "takes new organisations" : "closed to new organisations",
        ];
        console.log(
          `${entry.binding}  ${counts.get(entry.binding) ?? 0} organisations  (${flags.join(", ")})`,
        );
        for (const f of await freezesOf(databaseBinding(env, entry.binding))) {
          console.log(
            `  ${f.org_id} ${f.state} (${f.state === "importing" ? "from" : "to"} ${f.other_database} since ${f.since})`,
          );
        }
      }
      for (const row of await listPlacements(dir)) {
        console.log(
          `${row.orgId}\t${row.database}\t${row.jurisdiction ?? "-"}\tplaced ${row.placedAt}${row.movedAt ? `\tmoved ${row.movedAt}` : ""}`,
        );
      }
      return EXIT.done;
    }),

  place: () =>
    withBindings(async (env, databases) => {
      const org = required("org");
      const database = required("db");
      const entry = databases.byBinding.get(database);
      if (entry === undefined) throw new MoveRefused(`${database} is not one of D1_DATABASES`);
      const dir = createDirectoryDb(databaseBinding(env, "DIRECTORY"));
      const result = await placeExplicitly(dir, org, { database, jurisdiction: entry.jurisdiction }, iso());
      if (result.current.database !== database) {
        throw new MoveRefused(
          `${org} is on ${result.current.database} already; move it with npm run org:move`,
        );
      }
      console.log(
        `${org} ${result.placed ? "placed" : "was already"} on ${database} (${entry.jurisdiction ?? "no jurisdiction"})`,
      );
      return EXIT.done;
    }),

  move: () =>
    withBindings(async (env, databases) => {
      const org = required("org");
      const to = required("to");
      const problems: string[] = [];
      const configured =
        typeof env.DIRECTORY_CACHE_SECONDS === "string" ? env.DIRECTORY_CACHE_SECONDS : undefined;
      const cacheSeconds = directoryCacheSecondsOf(values["cache-seconds"] ?? configured, problems);
      if (problems.length > 0) throw new UsageError(problems.join("\n"));
      const started = Date.now();
      const report = await moveOrganisation({
        directory: databaseBinding(env, "DIRECTORY"),
        databases,
        bindings: env,
        orgId: org,
        to,
        cacheTtlMs: cacheSeconds * 1000,
        log: (step) => console.log(`${((Date.now() - started) / 1000).toFixed(1)} s  ${step}`),
        wait: async (ms) => {
          console.log(`waiting ${Math.round(ms / 1000)} s for every isolate's directory cache to expire`);
          await new Promise((resolve) => setTimeout(resolve, ms));
        },
      });
      console.log(`${report.orgId}: ${report.from} → ${report.to}`);
      for (const t of report.tables)
        console.log(`  ${t.table.padEnd(20)} ${String(t.rows).padStart(9)}  ${t.checksum.slice(0, 16)}`);
      return EXIT.done;
    }),

  adopt: () =>
    withBindings(async (env, databases) => {
      const database = required("db");
      const entry = databases.byBinding.get(database);
      if (entry === undefined) throw new MoveRefused(`${database} is not one of D1_DATABASES`);
      const dir = createDirectoryDb(databaseBinding(env, "DIRECTORY"));
      let adopted = 0;
      let elsewhere = 0;
      for (const org of await organisationsIn(databaseBinding(env, database))) {
        const result = await placeExplicitly(dir, org, { database, jurisdiction: entry.jurisdiction }, iso());
        if (result.placed) adopted += 1;
        else if (result.current.database !== database) {
          elsewhere += 1;
          console.error(
            `${org} has rows in ${database} but the directory places it on ${result.current.database}`,
          );
        }
      }
      console.log(`${adopted} organisations recorded on ${database}`);
      return elsewhere === 0 ? EXIT.done : EXIT.failed;
    }),

  purge: () =>
    withBindings(async (env) => {
      const org = required("org");
      const database = required("db");
      await purgeMovedRows(databaseBinding(env, database), org);
      console.log(`${org}'s rows deleted from ${database}`);
      return EXIT.done;
    }),
};

const command = commands[positionals[0] ?? ""];
try {
  if (command === undefined) throw new UsageError("name a command");
  process.exitCode = await command();
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n${USAGE}`);
    process.exitCode = EXIT.usage;
  } else if (err instanceof MoveRefused) {
    console.error(`refused: ${err.message}`);
    process.exitCode = EXIT.refused;
  } else {
    console.error(`failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = EXIT.failed;
  }
}
