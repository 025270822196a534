import { AsyncLocalStorage } from "node:async_hooks";

type Level = "info" | "warn" | "error";

/** The request a log line is written for, so lines deep in the code carry its ID unasked. */
const requestScope = new AsyncLocalStorage<{ requestId: string }>();

export function inRequestScope<T>(requestId: string, run: () => Promise<T>): Promise<T> {
  return requestScope.run({ requestId }, run);
}

/**
 * Writes one JSON line, with the current request's ID when there is one. Callers pass
 * identifiers and outcomes only: never tokens, Authorization headers or bodies.
 */
export function logLine(level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const requestId = requestScope.getStore()?.requestId;
  const line = JSON.stringify({ level, msg, ...(requestId ? { request_id: requestId } : {}), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
