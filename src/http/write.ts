import type { Context } from "hono";
import { type Action, allow, type Reach } from "../auth/policy";
import type { Db } from "../db/client";
import type { AnswerBody } from "../db/queries/idempotency";
import type { ActorContext } from "../db/queries/outbox";
import {
  type BatchParticipant,
  type PreparedWrite,
  runWrite as runBatch,
  type Steps,
  type Written,
} from "../db/queries/write-batch";
import type { AppError } from "../lib/errors";
import type { Result } from "../lib/result";
import { nowIso } from "../lib/time";
import type { AppBindings } from "../types";
import { batchAnswer } from "./idempotency";
import { checkPrecondition, currentNow, type Precondition } from "./precondition";
import { type Refusal, type RefusalFacts, type Refusing, refusal } from "./refusals";
import { requestActor } from "./request-actor";

/** Who writes, and what the If-Match check read: what a write's statements are built from. */
export interface WriteInput<Seen> {
  readonly orgId: string;
  readonly db: Db;
  /** How far the caller's grant for the write's action reaches. */
  readonly reach: Reach;
  /** The resource as the If-Match check read it (the version the write must still find); undefined without the header. */
  readonly seen: Seen | undefined;
  readonly actor: ActorContext;
  readonly now: string;
  /** A fresh ID for the write's audit event. */
  readonly eventId: string;
}

/**
 * A write, described once: who may (the policy action), its precondition, its statements (the
 * data, its audit events in the outbox, read back in the same D1 batch), what its refusals name,
 * the answer an Idempotency-Key replays (stored by the same batch) and the response.
 */
export interface Write<Seen, S extends Steps, V, R extends Refusal, C, X, Out> {
  readonly action: Action;
  /** Why the caller may not make this write as the request asks it (it names another's resource). */
  readonly authorize?: (reach: Reach) => Refusal | null;
  /** For a write on an existing resource: how If-Match is checked against it. */
  readonly precondition?: Precondition<Seen>;
  readonly about: Refusing;
  readonly statements: (input: WriteInput<Seen>) => PreparedWrite<S, V, R, C, X>;
  /** What a refusal found in the target as the batch left it (the refusal's `current`). */
  readonly found?: (current: C, orgId: string) => RefusalFacts;
  readonly answer: AnswerBody<X>;
  /** The response, once the write committed and its events were handed to the audit log. */
  readonly respond: (written: { value: V; delivered: boolean }) => Out;
}

/**
 * What every write batch of this request carries besides the write's own statements: the one
 * place they are chosen. With an Idempotency-Key, its lease check and the answer it replays.
 */
function participantsOf<X>(c: Context<AppBindings>, answer: AnswerBody<X>): BatchParticipant<X>[] {
  const keyed = batchAnswer(c, answer);
  return keyed ? [keyed] : [];
}

const isUniqueViolation = (err: unknown) =>
  err instanceof Error && /UNIQUE constraint failed/i.test(err.message);

/**
 * Runs a write: the policy's reach, the If-Match check, the statements in one D1 batch with the
 * Idempotency-Key's answer and the statements every write batch carries, a refusal as its problem
 * (from the one table), then the delivery of its audit events and the response.
 */
export async function runWrite<Seen, S extends Steps, V, R extends Refusal, C, X, Out>(
  c: Context<AppBindings>,
  write: Write<Seen, S, V, R, C, X, Out>,
): Promise<Out> {
  const org = c.var.org;
  const reach = allow(c.var.caller, write.action);
  const unauthorized = write.authorize?.(reach) ?? null;
  if (unauthorized !== null) throw refusal(unauthorized, write.about);
  const seen = write.precondition
    ? await checkPrecondition(c, write.precondition, reach, write.about)
    : undefined;
  const prepared = write.statements({
    orgId: org.id,
    db: org.db,
    reach,
    seen,
    actor: requestActor(c),
    now: nowIso(),
    eventId: crypto.randomUUID(),
  });
  let outcome: Result<Written<V>, R, C>;
  try {
    outcome = await runBatch(org.db, prepared, participantsOf(c, write.answer));
  } catch (err) {
    // A unique index refused the write: someone registered the same thing first, even within this batch.
    if (isUniqueViolation(err)) throw refusal("duplicate", write.about);
    throw err;
  }
  if (!outcome.ok) throw await refused(c, write, outcome);
  const delivered = await org.deliver(outcome.value.events);
  return write.respond({ value: outcome.value.value, delivered });
}

/** The problem of a refusal, with what it found; a race lost after the If-Match check pays a read for it. */
async function refused<Seen, S extends Steps, V, R extends Refusal, C, X, Out>(
  c: Context<AppBindings>,
  write: Write<Seen, S, V, R, C, X, Out>,
  outcome: Extract<Result<unknown, R, C>, { ok: false }>,
): Promise<AppError> {
  const org = c.var.org;
  const facts = write.found?.(outcome.current, org.id) ?? {};
  if (outcome.reason === "stale" && facts.current === undefined && write.precondition) {
    return refusal("stale", write.about, { ...facts, current: await currentNow(org, write.precondition) });
  }
  return refusal(outcome.reason, write.about, facts);
}
