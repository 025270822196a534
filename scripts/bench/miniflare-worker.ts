// The Worker for `npm run bench`, served by miniflare's own API: the bundle `wrangler deploy
// --dry-run` builds (what would be uploaded), with the bindings wrangler reads from the config,
// in one workerd process and no wrangler proxy Worker in front. See bench/README.md.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare, NoOpLog } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_startWorker } from "wrangler";
import { ROOT } from "../dev/config.ts";
import { workerdListeningOn } from "./workerd-cpu.ts";

// This process starts workerd too (miniflare, unstable_startWorker): no metrics, and no fetch of
// Request.cf from the internet (miniflare reads this variable; `cf: false` says it again below).
process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

/** Environment for the wrangler CLI: the above, and no interactive output. */
export const QUIET_ENV = { ...process.env, CI: "true" };

/** Bundles the Worker as `wrangler deploy` would (minified, [build] command run), without uploading. */
export function bundleWorker(config: string, outdir: string): string {
  const r = spawnSync(
    join(ROOT, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--config", config, "--outdir", outdir],
    { cwd: ROOT, env: QUIET_ENV, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${r.stderr}\n${r.stdout}`);
  return join(outdir, "index.js");
}

/**
 * wrangler.toml with both `[[ratelimits]]` (per caller and per IP) lifted to 10⁹ requests per
 * period, written next to it as `.wrangler-bench.toml` (git-ignored) so its paths resolve: a bench
 * is one caller far past the production quota and would otherwise measure 429s.
 */
export function benchConfig(): string {
  const file = join(ROOT, ".wrangler-bench.toml");
  const source = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const limits = source.match(/simple = \{ limit = \d+, period = \d+ \}/g) ?? [];
  if (limits.length !== 2)
    throw new Error("wrangler.toml should have two [[ratelimits]] simple limits to lift");
  const lifted = source.replace(
    /simple = \{ limit = \d+, period = (\d+) \}/g,
    "simple = { limit = 1000000000, period = $1 }",
  );
  writeFileSync(file, lifted);
  return file;
}

/**
 * A Worker through wrangler's unstable_startWorker (its proxy Worker in front) on a loopback port,
 * on the local state under `persist`, with `secrets` as plain-text bindings.
 */
export function startWithWrangler(config: string, persist: string, secrets: Record<string, string> = {}) {
  return unstable_startWorker({
    config,
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist,
      watch: false,
      logLevel: "none",
    },
    bindings: Object.fromEntries(
      Object.entries(secrets).map(([name, value]) => [name, { type: "plain_text" as const, value }]),
    ),
  });
}

export interface MiniflareWorkerOptions {
  /** wrangler config (TOML) the bindings come from. */
  config: string;
  /** The bundle from bundleWorker(). */
  script: string;
  /** wrangler's --persist-to directory: miniflare keeps its state under `<persist>/v3`, as wrangler does. */
  persist: string;
  /** Secrets and extra vars, as `wrangler secret put` would give them. */
  secrets: Record<string, string>;
  /** Route requests through the [assets] router Worker first, as the platform (and wrangler dev) do. */
  assets?: boolean;
}

export interface ServedWorker {
  mf: Miniflare;
  /** Through miniflare's entry Worker, as `dispatchFetch` and a browser reach it. */
  base: string;
  /** The Worker's own socket, with no entry Worker before it (as wrangler's proxy Worker reaches it). */
  direct: string;
  /** The workerd process serving it now, for its CPU time. */
  pids: () => number[];
}

export async function startMiniflareWorker(options: MiniflareWorkerOptions): Promise<ServedWorker> {
  const { workerOptions, externalWorkers } = unstable_getMiniflareWorkerOptions(options.config);
  const name = "mentor-activity-api";
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new NoOpLog(),
      // The Worker's own request log lines still go from workerd to this process; they are not printed.
      handleStructuredLogs: () => {},
      logRequests: false,
      resourcePersistencePath: join(options.persist, "v3"),
      workers: [
        {
          ...workerOptions,
          // One bundled ES module: module rules have nothing left to match.
          modulesRules: undefined,
          ...(options.assets ? {} : { assets: undefined }),
          name,
          rootPath: ROOT,
          modules: true,
          scriptPath: options.script,
          modulesRoot: join(options.script, ".."),
          // [vars]; SourcelessWorkerOptions is an Omit<> of a type with an index signature, so its keys are unknown.
          bindings: { ...(workerOptions.bindings as Record<string, string> | undefined), ...options.secrets },
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
        ...externalWorkers,
      ],
    }),
  );
  const url = await mf.ready;
  return {
    mf,
    base: url.origin,
    direct: (await mf.unsafeGetDirectURL(name)).origin,
    pids: () => [workerdListeningOn(Number(url.port))],
  };
}

/**
 * A Worker that does nothing but the one call its path names, against the same kinds of local
 * simulators the API uses: what each costs workerd by itself (see "Local floor" in bench/README.md).
 */
const PROBE_SCRIPT = `
import { DurableObject } from "cloudflare:workers";
export class Probe extends DurableObject {
  ping() { return 1; }
}
export default {
  async fetch(request, env) {
    switch (new URL(request.url).pathname) {
      case "/d1": await env.DB.prepare("select 1").first(); break;
      case "/rate-limit": await env.RATE_LIMITER.limit({ key: "probe" }); break;
      case "/object": await env.PROBE.get(env.PROBE.idFromName("probe")).ping(); break;
    }
    return new Response("ok");
  },
};
`;

/** The probe Worker in a workerd of its own, with a D1 database, a rate limiter and an object of its own. */
export async function startProbeWorker(persist: string): Promise<ServedWorker> {
  const name = "bench-probe";
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      log: new NoOpLog(),
      logRequests: false,
      resourcePersistencePath: join(persist, "v3"),
      workers: [
        {
          name,
          modules: true,
          script: PROBE_SCRIPT,
          compatibilityDate: "2026-11-01",
          d1Databases: { DB: { id: "bench-probe" } },
          ratelimits: {
            RATE_LIMITER: { namespace_id: "9001", simple: { limit: 1_000_000_000, period: 60 } },
          },
          durableObjects: { PROBE: { className: "Probe", useSQLite: true } },
          unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
        },
      ],
    }),
  );
  const url = await mf.ready;
  return {
    mf,
    base: url.origin,
    direct: (await mf.unsafeGetDirectURL(name)).origin,
    pids: () => [workerdListeningOn(Number(url.port))],
  };
}
