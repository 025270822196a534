export interface RecordedStatement {
  sql: string;
  params: unknown[];
}

/**
 * A D1 binding that records every statement bound on it, then runs it on the
 * real database, so tests can inspect exactly what the query functions send.
 */
export function recordingD1(real: D1Database, log: RecordedStatement[]): D1Database {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") {
        return (sql: string) => {
          const statement = target.prepare(sql);
          return new Proxy(statement, {
            get(inner, innerProp) {
              if (innerProp === "bind") {
                return (...params: unknown[]) => {
                  log.push({ sql, params });
                  return inner.bind(...params);
                };
              }
              const value: unknown = Reflect.get(inner, innerProp);
              return typeof value === "function" ? value.bind(inner) : value;
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** The query plan lines of one statement, as SQLite explains it. */
export async function queryPlan(db: D1Database, statement: RecordedStatement): Promise<string[]> {
  const { results } = await db
    .prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}
