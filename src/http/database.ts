import { createMiddleware } from "hono/factory";
import { createDb, type Db } from "../db/client";
import { invalidField } from "../lib/errors";
import type { AppBindings } from "../types";

/** What the database middleware puts on the request's context. */
export interface DatabaseVariables {
  /** The request's database, inside its D1 session: every query of the request goes through it. */
  db: Db;
}

/**
 * Carries a D1 session bookmark. Every /api/v1 response names the newest commit its
 * session saw; a client that sends it back on the next request reads at least that
 * state, even from a read replica.
 */
export const BOOKMARK_HEADER = "X-D1-Bookmark";

/** Far longer than a D1 bookmark (about 100 characters); anything longer is not one. */
const MAX_BOOKMARK_LENGTH = 512;
const BOOKMARK = /^[A-Za-z0-9_.:+/=-]+$/;

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

function requestedBookmark(header: string | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (value.length > MAX_BOOKMARK_LENGTH || !BOOKMARK.test(value)) {
    throw invalidField(BOOKMARK_HEADER, "Send back the value of a previous response's header", {
      detail: `${BOOKMARK_HEADER} is not a D1 bookmark`,
    });
  }
  return value;
}

/**
 * Opens the request's database, once, right after the token is verified: a D1 session from
 * the caller's bookmark when it sends one, otherwise from any replica ("first-unconstrained"),
 * since without a bookmark the caller has seen nothing it could miss. Writes always reach the
 * primary. Everything after this middleware, the member check included, uses `c.var.db`.
 */
export const database = createMiddleware<AppBindings>(async (c, next) => {
  const bookmark = requestedBookmark(c.req.header(BOOKMARK_HEADER));
  const session = c.env.DB.withSession(bookmark ?? "first-unconstrained");
  c.set("db", createDb(sessionDatabase(c.env.DB, session)));
  await next();
  const latest = session.getBookmark() ?? bookmark;
  if (latest) c.header(BOOKMARK_HEADER, latest);
});
