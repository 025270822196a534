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

/**
 * An error as a log line may carry it. A failed drizzle query's message names its SQL and every
 * bound value (a stored answer's body, an Idempotency-Key, a mentor's notes), so only what the
 * database said is kept; any other message is cut where a parameter list would begin.
 */
export function loggableError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.message.startsWith("Failed query:")) {
    return `query failed: ${err.cause instanceof Error ? loggableError(err.cause) : "no cause given"}`;
  }
  return err.message.split("\nparams:")[0] ?? "";
}

/** The call frames of an error's stack, without its first lines, which repeat the message. */
export function stackFrames(err: Error): string | undefined {
  return err.stack
    ?.split("\n")
    .filter((line) => line.trimStart().startsWith("at "))
    .join("\n");
}
