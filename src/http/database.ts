import { createMiddleware } from "hono/factory";
import { type AuditLogStub, auditLogOf, auditLogsIn } from "../audit/client";
import { deliver } from "../audit/outbox";
import { createDb, type Db } from "../db/client";
import { databaseBinding } from "../db/databases";
import { cachedPlacement, forgetPlacement, lookUpPlacement } from "../db/placement";
import type { Placement } from "../db/queries/directory";
import type { OutboxEvent } from "../db/queries/outbox";
import { AppError, invalidField, isOrganisationFrozen } from "../lib/errors";
import { logLine } from "../lib/log";
import { toIsoSeconds } from "../lib/time";
import type { AppBindings } from "../types";

/**
 * The caller's organisation as the request reaches it, bound once right after the directory
 * lookup: handlers use what is here and build no client of their own.
 */
export interface Organisation {
  /** The organisation's ID (the token's `org`). */
  readonly id: string;
  /** Its database, inside the request's D1 session: every query of the request goes through it. */
  readonly db: Db;
  /** The binding name of its database (`DB_1`, …). */
  readonly database: string;
  /** Its audit log, in its jurisdiction: every audit call of the request goes through it. */
  readonly log: AuditLogStub;
  /**
   * Appends events a write committed (with their outbox rows) to the audit log, clearing the
   * rows after the response; false when the log could not take them and they wait in the outbox.
   */
  deliver(events: readonly OutboxEvent[]): Promise<boolean>;
}

/** What the database middleware puts on the request's context. */
export interface DatabaseVariables {
  org: Organisation;
}

/**
 * Carries a D1 session bookmark. Every /api/v1 response names the newest commit its
 * session saw, prefixed with the database it was seen in (`DB_2:…`); a client that sends it
 * back on the next request reads at least that state, even from a read replica.
 */
export const BOOKMARK_HEADER = "X-D1-Bookmark";

/** Far longer than a D1 bookmark (about 100 characters); anything longer is not one. */
const MAX_BOOKMARK_LENGTH = 512;
const BOOKMARK = /^[A-Za-z0-9_.:+/=-]+$/;
/** `<binding>:<D1 bookmark>`; a value without the prefix predates bookmarks naming their database. */
const NAMED_BOOKMARK = /^(DB_[1-9][0-9]{0,5}):(.+)$/;

/** How long a client should wait before retrying a deployment whose directory and configuration disagree. */
const MISPLACED_RETRY_AFTER_SECONDS = "300";

interface RequestedBookmark {
  /** The database it was taken in; null for a value that does not say. */
  database: string | null;
  bookmark: string;
}

/**
 * A D1 session handed on as the D1Database drizzle takes. drizzle's d1 driver and `batchSql`
 * call only `prepare` and `batch`, which go through the session; `exec` and `dump` are not
 * part of a session and go to the database, and a nested `withSession` starts its own.
 */
function sessionDatabase(db: D1Database, session: D1DatabaseSession): D1Database {
  return {
    prepare: (query) => session.prepare(query),
    batch: (statements) => session.batch(statements),
    exec: (query) => db.exec(query),
    withSession: (constraintOrBookmark) => db.withSession(constraintOrBookmark),
    dump: () => db.dump(),
  };
}

function requestedBookmark(header: string | undefined): RequestedBookmark | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (value.length > MAX_BOOKMARK_LENGTH || !BOOKMARK.test(value)) {
    throw invalidField(BOOKMARK_HEADER, "Send back the value of a previous response's header", {
      detail: `${BOOKMARK_HEADER} is not a D1 bookmark`,
    });
  }
  const named = NAMED_BOOKMARK.exec(value);
  if (named?.[1] !== undefined && named[2] !== undefined) return { database: named[1], bookmark: named[2] };
  return { database: null, bookmark: value };
}

/**
 * Where the session starts: from the caller's bookmark when it was taken in this database;
 * from any replica without one, since the caller has then seen nothing it could miss; and from
 * the primary for a bookmark of another database (the organisation moved since, or the value
 * predates the prefix), which holds everything any bookmark could name, where D1 would refuse
 * the foreign bookmark itself.
 */
function sessionStart(requested: RequestedBookmark | undefined, database: string): string {
  if (requested === undefined) return "first-unconstrained";
  return requested.database === database ? requested.bookmark : "first-primary";
}

/** The directory's answer, checked against the configuration before it is cached and used. */
async function lookUp(
  env: AppBindings["Bindings"],
  config: AppBindings["Variables"]["config"],
  orgId: string,
  recheck: boolean,
): Promise<Placement> {
  const now = new Date();
  const placement = await lookUpPlacement(env.DIRECTORY, orgId, config.databases.placement, {
    now: now.getTime(),
    nowIso: toIsoSeconds(now),
    recheck,
    ttlMs: config.directoryCacheSeconds * 1000,
  });
  const entry = config.databases.byBinding.get(placement.database);
  if (entry === undefined || entry.jurisdiction !== placement.jurisdiction) {
    forgetPlacement(orgId);
    logLine("error", "the directory places an organisation where the configuration does not allow it", {
      org: orgId,
      database: placement.database,
      jurisdiction: placement.jurisdiction,
      configured: entry === undefined ? "not in D1_DATABASES" : (entry.jurisdiction ?? "none"),
    });
    throw new AppError(
      "service_unavailable",
      "The service is not configured correctly; its operators have been told why",
      {
        headers: { "Retry-After": MISPLACED_RETRY_AFTER_SECONDS },
      },
    );
  }
  return placement;
}

/**
 * Opens the request's database, once, right after the token is verified: the organisation's
 * own (from the directory, cached per isolate, so a cached organisation costs no round trip and
 * no await here), inside a D1 session started from the caller's bookmark. Writes always reach the
 * primary. Everything after this middleware, the member check included, reaches the
 * organisation through `c.var.org`.
 */
export const database = createMiddleware<AppBindings>(async (c, next) => {
  const requested = requestedBookmark(c.req.header(BOOKMARK_HEADER));
  const { caller, config } = c.var;
  const cached = cachedPlacement(caller.org, Date.now());
  let placement = cached?.placement ?? (await lookUp(c.env, config, caller.org, false));
  // A bookmark of another database than the cached one: the organisation may have moved since
  // this isolate asked, and the caller has seen the new database. Asked once per cached answer.
  if (cached && !cached.rechecked && requested?.database && requested.database !== placement.database) {
    placement = await lookUp(c.env, config, caller.org, true);
  }
  const d1 = databaseBinding(c.env as unknown as Record<string, unknown>, placement.database);
  const session = d1.withSession(sessionStart(requested, placement.database));
  const db = createDb(sessionDatabase(d1, session));
  const log = auditLogOf(
    auditLogsIn(c.env.AUDIT_LOG, placement.jurisdiction, config.ignoreJurisdictions),
    caller.org,
  );
  c.set("org", {
    id: caller.org,
    db,
    database: placement.database,
    log,
    // The execution context is asked for when a write delivers, not before.
    deliver: (events) => deliver(log, db, c.executionCtx, caller.org, events),
  });
  await next();
  // The database refused a write because the organisation is moving or has moved: the next
  // request of this isolate asks the directory again, and so finds the new database after the flip.
  if (c.error !== undefined && isOrganisationFrozen(c.error)) forgetPlacement(caller.org);
  const latest = session.getBookmark();
  if (latest) c.header(BOOKMARK_HEADER, `${placement.database}:${latest}`);
  else if (requested?.database === placement.database) {
    c.header(BOOKMARK_HEADER, `${placement.database}:${requested.bookmark}`);
  }
});
