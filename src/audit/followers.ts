/**
 * The audit object's background jobs as followers of its log (the model is transparency-dev/
 * tessera's followers): each has a name, keeps its own state in its row of `followers`, says when
 * it is next due, and does its work one step at a time. The object's one alarm runs a step of the
 * follower due first, saves that follower's state with the step, and is set again for the
 * earliest time any follower is due, so every job keeps its progress whichever runs next.
 *
 * Appends never wait for a follower: a synchronous step is one short `transactionSync`, and the
 * calls queued behind it are served before the next (ALARM_PAUSE_MS); an asynchronous step does
 * its I/O outside any transaction, while the object serves other calls. The runtime runs one
 * `alarm()` at a time per object, so no two steps overlap, even one that waits.
 */

/** Between two steps, so that appends and reads queued behind a step are served first. */
export const ALARM_PAUSE_MS = 5;

/** When a follower has work next: a time in ms since the epoch (now or earlier: at once), or null for none. */
export type Due = number | null;

interface FollowerBase<S> {
  /** Its row in `followers`; never renamed, since the row keeps its progress. */
  readonly name: string;
  /** Its state before its first step. */
  readonly initial: S;
  /** Read with the state, in the same synchronous stretch as the step that may follow. */
  due(sql: SqlStorage, state: S, now: number): Due;
}

/**
 * A job of short synchronous steps (a chunk of tens of milliseconds): each runs in one
 * `transactionSync` with the save of the state it answers, so a step and its progress commit
 * together or not at all.
 */
export interface SyncFollower<S> extends FollowerBase<S> {
  readonly kind: "sync";
  step(sql: SqlStorage, state: S, now: number): S;
}

/** What an asynchronous step's I/O came to: its value, or what it threw. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * A job whose step awaits I/O, such as a request to a witness. The step is split so that no
 * transaction is open while it waits: `plan` reads what the I/O needs in one transaction, `run`
 * does the I/O outside any (other calls, appends included, are served meanwhile), and `settle`
 * saves the result in another transaction, against the state and log read again, since both
 * may have moved while `run` waited. A `run` that throws is settled as a failed outcome, so the
 * follower decides its retry and back-off (a later `due`).
 */
export interface AsyncFollower<S, P, R> extends FollowerBase<S> {
  readonly kind: "async";
  plan(sql: SqlStorage, state: S, now: number): P;
  run(plan: P): Promise<R>;
  settle(sql: SqlStorage, state: S, plan: P, outcome: Outcome<R>, now: number): S;
}

export type Follower = SyncFollower<unknown> | AsyncFollower<unknown, unknown, unknown>;

/** A follower's saved state, or its initial one when it has never saved any. */
export function readState<S>(sql: SqlStorage, follower: FollowerBase<S>): S {
  const row = sql
    .exec<{ state: string }>("SELECT state FROM followers WHERE name = ?", follower.name)
    .toArray()[0];
  return row === undefined ? follower.initial : (JSON.parse(row.state) as S);
}

export function saveState<S>(sql: SqlStorage, follower: FollowerBase<S>, state: S): void {
  sql.exec(
    "INSERT INTO followers (name, state) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET state = excluded.state",
    follower.name,
    JSON.stringify(state),
  );
}

/** The follower due first and when, or null when none has work; ties go to the one listed first. */
export function dueFirst(
  sql: SqlStorage,
  followers: readonly Follower[],
  now: number,
): { follower: Follower; at: number } | null {
  let first: { follower: Follower; at: number } | null = null;
  for (const follower of followers) {
    const at = follower.due(sql, readState(sql, follower), now);
    if (at !== null && (first === null || at < first.at)) first = { follower, at };
  }
  return first;
}

async function step(storage: DurableObjectStorage, follower: Follower, clock: () => number): Promise<void> {
  const { sql } = storage;
  if (follower.kind === "sync") {
    storage.transactionSync(() =>
      saveState(sql, follower, follower.step(sql, readState(sql, follower), clock())),
    );
    return;
  }
  const plan = storage.transactionSync(() => follower.plan(sql, readState(sql, follower), clock()));
  let outcome: Outcome<unknown>;
  try {
    outcome = { ok: true, value: await follower.run(plan) };
  } catch (error) {
    outcome = { ok: false, error };
  }
  storage.transactionSync(() =>
    saveState(sql, follower, follower.settle(sql, readState(sql, follower), plan, outcome, clock())),
  );
}

/**
 * One alarm's work: a step of the follower due first, if it is due by now (an alarm may fire
 * early, or have been set for another follower). Answers when the alarm should fire next: the
 * earliest time any follower is due, but not before a pause after a step; null when none has work.
 */
export async function runFollowers(
  storage: DurableObjectStorage,
  followers: readonly Follower[],
  clock: () => number = Date.now,
): Promise<Due> {
  const first = dueFirst(storage.sql, followers, clock());
  const ran = first !== null && first.at <= clock();
  if (ran) await step(storage, first.follower, clock);
  const next = dueFirst(storage.sql, followers, clock());
  if (next === null) return null;
  return ran ? Math.max(next.at, clock() + ALARM_PAUSE_MS) : next.at;
}

/**
 * Sets the alarm for the follower due first, unless it is set for earlier already; for calls
 * that give a follower work (a re-hash started) and for an object starting up.
 */
export async function scheduleFollowers(
  storage: DurableObjectStorage,
  followers: readonly Follower[],
  clock: () => number = Date.now,
): Promise<void> {
  const first = dueFirst(storage.sql, followers, clock());
  if (first === null) return;
  const set = await storage.getAlarm();
  if (set === null || set > first.at) await storage.setAlarm(first.at);
}
