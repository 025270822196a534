import type { SQL, SQLWrapper } from "drizzle-orm";
import type { Result } from "../../lib/result";
import { batchResults, type Db, type SqlRow } from "../client";
import type { OutboxEvent } from "./outbox";

/**
 * A write is one D1 batch (D1 has no interactive transactions): its statements, named in the
 * order they run, and how their results say what happened. Write queries prepare one without
 * running it; `runWrite` runs it with the statements every write batch carries.
 */

/** One statement of a batch and how its result is read. */
export interface Step<T> {
  readonly statement: SQLWrapper;
  readonly read: (result: D1Result<SqlRow>) => T;
}

/** A raw statement, whose rows are typed by who wrote it (snake_case columns, as SQLite answers). */
export const rows = <T>(statement: SQLWrapper): Step<T[]> => ({
  statement,
  read: (result) => result.results as T[],
});

/** What a drizzle query can do beside being SQL: map its rows as drizzle maps them. */
interface DrizzleQuery<T> extends SQLWrapper {
  readonly _: { readonly result: T };
  prepare(): { mapResult(response: unknown, isFromBatch?: boolean): unknown };
}

/** A drizzle query, whose rows come back typed and mapped as drizzle's own batch maps them. */
export const query = <T>(statement: DrizzleQuery<T>): Step<T> => ({
  statement,
  read: (result) => statement.prepare().mapResult(result, true) as T,
});

/** A batch's steps by name, in the order they run; a step left undefined is not taken. */
export type Steps = Record<string, Step<unknown> | undefined>;

/** Each step's result under its name (undefined for a step not taken). */
export type StepResults<S extends Steps> = {
  [K in keyof S]-?: NonNullable<S[K]> extends Step<infer T>
    ? undefined extends S[K]
      ? T | undefined
      : T
    : never;
};

/** Runs the steps as one batch, in their order; answers each one's result by its name. */
async function runSteps<S extends Steps>(db: Db, steps: S): Promise<StepResults<S>> {
  const named = Object.entries(steps).filter(
    (entry): entry is [string, Step<unknown>] => entry[1] !== undefined,
  );
  const results = await batchResults(
    db,
    named.map(([, step]) => step.statement),
  );
  return Object.fromEntries(
    named.map(([name, step], i) => {
      const result = results[i];
      if (result === undefined) throw new Error(`the batch answered no result for ${name}`);
      return [name, step.read(result)];
    }),
  ) as StepResults<S>;
}

/** What a write that happened leaves: its value, and the audit events it recorded (in the outbox). */
export interface Written<V> {
  readonly value: V;
  readonly events: readonly OutboxEvent[];
}

/**
 * Where the answer an Idempotency-Key replays comes from, in SQL over the rows the batch wrote,
 * so that the write and its answer commit together or not at all.
 */
export interface AnswerSource<X, K extends PropertyKey = string> {
  /**
   * `from … where …`, read after the write's statements: one row when the write stands, none
   * when it was refused (a refusal is then recorded like any other 4xx, after the handler).
   */
  readonly from: SQL;
  /** That row as the answer's body reads it (its alias, and what is joined to it). */
  readonly row: X;
  /**
   * For a write that leaves nothing to tell afterwards whether it happened (a delete; a change
   * that records no event): the answer is decided just before the step named, by the conditions
   * that step writes under (`where`, a `from … where …`), and `from` then only finds the row the
   * body is built from. `created`, when the write may create or change: whether it creates.
   */
  readonly decidedBefore?: { readonly step: K; readonly where: SQL; readonly created?: SQL };
}

/** A write as a write query prepares it: its statements, how to read them, where its answer is. */
export interface PreparedWrite<S extends Steps, V, R extends string, C, X> {
  readonly steps: S;
  /** The written value and its events, or why nothing was written (with the target as it stands). */
  readonly outcome: (results: StepResults<S>) => Result<Written<V>, R, C>;
  readonly answer: AnswerSource<X, keyof S>;
}

/** A prepared write, its types inferred: the outcome reads each step's result by name, typed by the step. */
export const prepareWrite = <S extends Steps, V, R extends string, C, X>(
  write: PreparedWrite<S, V, R, C, X>,
): PreparedWrite<S, V, R, C, X> => write;

/**
 * Statements added around a write's own: `guards` run first (any of them may abort the whole
 * batch); `decision` runs just before the step the write names, when it names one; `after` run
 * last, and read what the batch left.
 */
export interface BatchAdditions {
  readonly guards: Steps;
  readonly decision: Steps;
  readonly after: Steps;
}

/**
 * What a request brings to every write batch it sends, whatever the write: its statements
 * around the write's own, and what it makes of their results once the batch ran. The
 * Idempotency-Key's answer is one (its lease check first, its answer after the write).
 */
export interface BatchParticipant<X> {
  additions(db: Db, source: AnswerSource<X, PropertyKey>): BatchAdditions;
  settle(results: Record<string, unknown>): void;
}

/** The write's steps with `decision` placed right before the step `before` (or at the end). */
function placed(steps: Steps, decision: Steps, before: PropertyKey | undefined): Steps {
  if (before === undefined || Object.keys(decision).length === 0) return { ...steps, ...decision };
  return Object.fromEntries(
    Object.entries(steps).flatMap(([name, step]) =>
      name === before ? [...Object.entries(decision), [name, step]] : [[name, step]],
    ),
  );
}

/**
 * Runs a prepared write as one D1 batch with the statements its request's participants add
 * around it, hands each participant the results, and answers what the write's results say.
 */
export async function runWrite<S extends Steps, V, R extends string, C, X>(
  db: Db,
  write: PreparedWrite<S, V, R, C, X>,
  participants: readonly BatchParticipant<X>[] = [],
): Promise<Result<Written<V>, R, C>> {
  const additions = participants.map((p) => p.additions(db, write.answer));
  const group = (part: keyof BatchAdditions): Steps => Object.assign({}, ...additions.map((a) => a[part]));
  const steps = {
    ...group("guards"),
    ...placed(write.steps, group("decision"), write.answer.decidedBefore?.step),
    ...group("after"),
  };
  const results = await runSteps(db, steps);
  for (const participant of participants) participant.settle(results);
  return write.outcome(results as StepResults<S>);
}
