/**
 * The D1 databases organisations live on (SPEC §13), as the `D1_DATABASES` variable declares
 * them: a JSON object from binding name to its settings,
 *
 *   {"DB_1": {}, "DB_2": {}, "DB_3": {"jurisdiction": "eu"}}
 *
 * `jurisdiction` is the one the database was created in (`wrangler d1 create --jurisdiction`);
 * an organisation on it gets its audit object in the same jurisdiction. `new_organisations`
 * says whether an organisation the directory does not know yet may be placed there by its first
 * request (default: yes without a jurisdiction, no with one; an EU organisation is placed
 * explicitly with `npm run org:place`). Set it to false on a database that is filling up: its
 * organisations stay, new ones go elsewhere.
 *
 * Bindings are named `DB_<n>` and never renamed or reused: the name is what the directory and
 * every `X-D1-Bookmark` record, and a new database is one more number, whatever it holds.
 */

export const JURISDICTIONS = ["eu", "fedramp"] as const;
export type Jurisdiction = (typeof JURISDICTIONS)[number];

export interface DatabaseEntry {
  /** The `[[d1_databases]]` binding. */
  binding: string;
  jurisdiction: Jurisdiction | null;
  /** Whether a first request may place a new organisation here. */
  newOrganisations: boolean;
}

/** Where a first request places an organisation the directory does not know. */
export interface PlacementRule {
  /** Databases open to new organisations, in the order ties are broken. */
  candidates: string[];
  /** Their one jurisdiction (null: none). */
  jurisdiction: Jurisdiction | null;
}

export interface Databases {
  entries: DatabaseEntry[];
  byBinding: ReadonlyMap<string, DatabaseEntry>;
  placement: PlacementRule;
}

/** A binding name as `DB_<n>` spells it; also what may prefix a bookmark. */
export const DATABASE_BINDING = /^DB_[1-9][0-9]{0,5}$/;

const isJurisdiction = (value: unknown): value is Jurisdiction =>
  typeof value === "string" && (JURISDICTIONS as readonly string[]).includes(value);

/** Whether a binding is a D1 database (what a session and a batch need of it). */
export function isD1Database(value: unknown): value is D1Database {
  if (typeof value !== "object" || value === null) return false;
  const d1 = value as Partial<Record<keyof D1Database, unknown>>;
  return (
    typeof d1.prepare === "function" && typeof d1.batch === "function" && typeof d1.withSession === "function"
  );
}

function entryOf(binding: string, raw: unknown, problems: string[]): DatabaseEntry | null {
  if (!DATABASE_BINDING.test(binding)) {
    problems.push(`D1_DATABASES: ${JSON.stringify(binding)} is not a binding name of the form DB_<n>`);
    return null;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    problems.push(`D1_DATABASES: the settings of ${binding} must be an object`);
    return null;
  }
  const settings = raw as Record<string, unknown>;
  for (const key of Object.keys(settings)) {
    if (key !== "jurisdiction" && key !== "new_organisations") {
      problems.push(`D1_DATABASES: ${binding} has an unknown setting ${JSON.stringify(key)}`);
    }
  }
  const jurisdiction = settings.jurisdiction ?? null;
  if (jurisdiction !== null && !isJurisdiction(jurisdiction)) {
    problems.push(`D1_DATABASES: ${binding}'s jurisdiction must be one of ${JURISDICTIONS.join(", ")}`);
    return null;
  }
  const open = settings.new_organisations ?? jurisdiction === null;
  if (typeof open !== "boolean") {
    problems.push(`D1_DATABASES: ${binding}'s new_organisations must be true or false`);
    return null;
  }
  return { binding, jurisdiction, newOrganisations: open };
}

/**
 * Reads `D1_DATABASES`, checking each entry names a D1 binding the Worker has (`bindings`), and
 * that new organisations have somewhere to go, in one jurisdiction. Problems are appended to
 * `problems`; the answer is null when there is any.
 */
export function parseDatabases(
  text: string | undefined,
  bindings: Readonly<Record<string, unknown>>,
  problems: string[],
): Databases | null {
  const before = problems.length;
  let raw: unknown;
  try {
    raw = JSON.parse(text?.trim() || "null");
  } catch {
    problems.push("D1_DATABASES is not JSON");
    return null;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || Object.keys(raw).length === 0) {
    problems.push('D1_DATABASES must name the databases organisations live on: {"DB_1": {}, …}');
    return null;
  }
  const entries: DatabaseEntry[] = [];
  for (const [binding, settings] of Object.entries(raw)) {
    const entry = entryOf(binding, settings, problems);
    if (entry === null) continue;
    if (!isD1Database(bindings[binding])) {
      problems.push(`D1_DATABASES names ${binding}, but the Worker has no D1 binding of that name`);
    }
    entries.push(entry);
  }
  const open = entries.filter((e) => e.newOrganisations);
  const [first] = open;
  if (first === undefined) {
    problems.push("D1_DATABASES: no database takes new organisations (new_organisations)");
  } else if (open.some((e) => e.jurisdiction !== first.jurisdiction)) {
    problems.push("D1_DATABASES: the databases that take new organisations must share one jurisdiction");
  }
  if (!isD1Database(bindings.DIRECTORY)) problems.push("The DIRECTORY D1 binding is missing");
  if (problems.length > before || first === undefined) return null;
  return {
    entries,
    byBinding: new Map(entries.map((e) => [e.binding, e])),
    placement: { candidates: open.map((e) => e.binding), jurisdiction: first.jurisdiction },
  };
}

/** The D1 database bound as `binding` (checked by `parseDatabases`). */
export function databaseBinding(bindings: Readonly<Record<string, unknown>>, binding: string): D1Database {
  const d1 = bindings[binding];
  if (!isD1Database(d1)) throw new Error(`No D1 binding ${binding}`);
  return d1;
}
