import { problemsOf, wholeNumber } from "../lib/vars.ts";
import type { PlacementRule } from "./databases.ts";
import { createDirectoryDb, type Placement, placeByRule, readPlacement } from "./queries/directory.ts";

/**
 * How long an isolate trusts what the directory said about an organisation. An organisation's
 * database changes only when it is moved, and a move waits this long (plus a margin) after the
 * flip before it deletes the old rows, so no isolate reads a database its organisation has
 * left. A minute keeps the directory at one read per organisation per isolate per minute, and
 * bounds how long a reader that sends no bookmark may be served the frozen copy after a move.
 * A write aborted by the freeze, or a bookmark naming another database, asks again at once.
 */
export const DIRECTORY_CACHE_TTL_MS = 60_000;

/**
 * DIRECTORY_CACHE_SECONDS (default: DIRECTORY_CACHE_TTL_MS), read alike by the Worker's
 * configuration and by `npm run org:move`, which must wait at least as long as the Worker trusts
 * the directory.
 */
export const directoryCacheSeconds = wholeNumber("seconds", DIRECTORY_CACHE_TTL_MS / 1000);

/** DIRECTORY_CACHE_SECONDS from its text; a problem is appended to `problems`, and the default answered. */
export function directoryCacheSecondsOf(value: string | undefined, problems: string[]): number {
  const read = directoryCacheSeconds("DIRECTORY_CACHE_SECONDS").safeParse(value);
  if (read.success) return read.data;
  problems.push(...problemsOf(read.error));
  return DIRECTORY_CACHE_TTL_MS / 1000;
}

/** More organisations than one isolate serves in a minute; past it the oldest are forgotten. */
const MAX_CACHED_ORGANISATIONS = 10_000;

interface CachedPlacement {
  placement: Placement;
  expires: number;
  /** Read again because a bookmark named another database: not read again for that before it expires. */
  rechecked: boolean;
}

const cache = new Map<string, CachedPlacement>();

/** What this isolate knows of the organisation's placement, synchronously: no await on a hit. */
export function cachedPlacement(orgId: string, now: number): CachedPlacement | undefined {
  const entry = cache.get(orgId);
  if (entry === undefined) return undefined;
  if (entry.expires > now) return entry;
  cache.delete(orgId);
  return undefined;
}

/** Forgets the organisation's placement, so the next request reads the directory. */
export function forgetPlacement(orgId: string): void {
  cache.delete(orgId);
}

/**
 * Reads the organisation's placement from the directory, placing it by the rule when the
 * directory does not know it (its first request), and caches what it found. One round trip for
 * a known organisation, two for a new one.
 */
export async function lookUpPlacement(
  directory: D1Database,
  orgId: string,
  rule: PlacementRule,
  options: { now: number; nowIso: string; recheck?: boolean; ttlMs?: number },
): Promise<Placement> {
  const dir = createDirectoryDb(directory);
  const placement =
    (await readPlacement(dir, orgId)) ?? (await placeByRule(dir, orgId, rule, options.nowIso));
  if (cache.size >= MAX_CACHED_ORGANISATIONS) {
    const oldest = cache.keys().next();
    if (!oldest.done) cache.delete(oldest.value);
  }
  cache.delete(orgId);
  cache.set(orgId, {
    placement,
    expires: options.now + (options.ttlMs ?? DIRECTORY_CACHE_TTL_MS),
    rechecked: options.recheck === true,
  });
  return placement;
}
