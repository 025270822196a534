/** A statement as it reached D1: its SQL and bound parameters. */
export interface RecordedStatement {
  sql: string;
  params: unknown[];
}

/** What an instrumented database reports; every hook is optional. */
export interface D1Observer {
  /** Each statement bound, before it runs. */
  statement?: (statement: RecordedStatement) => void;
  /** Each call that reaches D1 (a statement's first/all/run/raw, a batch, an exec): `run` makes it. */
  call?: <R>(run: () => R) => R;
  /** Each session opened, with its bookmark or constraint. */
  session?: (constraintOrBookmark: string | undefined) => void;
  /**
   * Each batch, with its statements as bound: `run` sends it to D1, so a fault can be injected
   * before it runs, after it committed, or instead of it.
   */
  batch?: (statements: RecordedStatement[], run: () => Promise<D1Result[]>) => Promise<D1Result[]>;
}

type D1Client = Pick<D1Database, "prepare" | "batch">;

/**
 * The one instrumented D1 of the tests: a database (or session) that reports each statement,
 * each round trip and each session to an observer, then runs it on the real binding. Statements
 * handed to `batch` are mapped back to the real ones, which the binding requires.
 */
export function instrumentD1<T extends D1Client>(target: T, observer: D1Observer): T {
  const call = <R>(run: () => R): R => (observer.call ? observer.call(run) : run());
  const real = new WeakMap<D1PreparedStatement, D1PreparedStatement>();
  const bound = new WeakMap<D1PreparedStatement, RecordedStatement>();
  const wrap = (sql: string, statement: D1PreparedStatement, params: unknown[] = []): D1PreparedStatement => {
    const wrapped: D1PreparedStatement = {
      bind: (...values) => {
        observer.statement?.({ sql, params: values });
        return wrap(sql, statement.bind(...values), values);
      },
      first: ((column?: string) =>
        call(() =>
          column === undefined ? statement.first() : statement.first(column),
        )) as D1PreparedStatement["first"],
      run: () => call(() => statement.run()),
      all: () => call(() => statement.all()),
      raw: ((options?: { columnNames?: boolean }) =>
        call<unknown>(() =>
          options?.columnNames
            ? statement.raw({ columnNames: true })
            : statement.raw(options && { columnNames: false }),
        )) as D1PreparedStatement["raw"],
    };
    real.set(wrapped, statement);
    bound.set(wrapped, { sql, params });
    return wrapped;
  };
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (prop === "prepare") return (sql: string) => wrap(sql, obj.prepare(sql));
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          const run = () => call(() => obj.batch(statements.map((s) => real.get(s) ?? s)));
          if (!observer.batch) return run();
          const recorded = statements.map((s) => bound.get(s) ?? { sql: "", params: [] });
          return observer.batch(recorded, run);
        };
      }
      if (prop === "exec") return (query: string) => call(() => (obj as unknown as D1Database).exec(query));
      if (prop === "withSession") {
        return (constraintOrBookmark?: string) => {
          observer.session?.(constraintOrBookmark);
          return instrumentD1((obj as unknown as D1Database).withSession(constraintOrBookmark), observer);
        };
      }
      const value: unknown = Reflect.get(obj, prop, receiver);
      return typeof value === "function" ? value.bind(obj) : value;
    },
  });
}

/** A database that records every statement bound on it into `log`. */
export const recordingD1 = (real: D1Database, log: RecordedStatement[]): D1Database =>
  instrumentD1(real, { statement: (s) => log.push(s) });

/** The query plan lines of one statement, as SQLite explains it. */
export async function queryPlan(db: D1Database, statement: RecordedStatement): Promise<string[]> {
  const { results } = await db
    .prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}
