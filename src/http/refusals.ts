import type { MentorRefusal } from "../db/queries/members";
import type { BatchItem } from "../db/schema";
import { AppError, conflict, forbidden, invalidField, notFound } from "../lib/errors";
import { type CurrentRepresentation, preconditionFailed } from "./etag";

/**
 * Why a write wrote nothing, and the one table that turns each reason into its problem. Write
 * queries and the audit object answer reasons; handlers say what the write was about
 * (`Refusing`) and the executor or the handler adds what the refusal found (`RefusalFacts`).
 */

/** A request's field a refusal is about: where the request named it, and the value it sent. */
export interface NamedValue {
  readonly path: string;
  readonly value: string;
}

/** What a write is about, as its refusals name it. */
export interface Refusing {
  /** The target as messages name it, such as `Attribution attr-20260325-001`. */
  readonly target: string;
  readonly activityType?: NamedValue;
  readonly mentor?: NamedValue;
  readonly coordinator?: NamedValue;
  readonly clientRef?: string;
  /** Why a caller whose reach does not cover the target may not write it (403). */
  readonly notYours?: string;
  /** How a duplicate is explained when it is a race rather than the request's own registration. */
  readonly duplicate?: string;
  /** What the write does to the target ("change", "delete"), for a refusal that says where to do it. */
  readonly verb?: string;
}

/** What a refusal found. */
export interface RefusalFacts {
  /** The target as it stands, and its tag: what a 412 carries (null: it is gone). */
  readonly current?: CurrentRepresentation | null;
  /** The entry a client_ref already holds. */
  readonly stored?: object;
  /** A batch's decision for each mentor, every one of them skipped. */
  readonly items?: readonly BatchItem[];
  /** The attribution that owns a registered activity. */
  readonly owner?: string | null;
  /** The action of the audit record a write may not touch. */
  readonly action?: string;
  /** Why the audit log takes no writes now, and whether it is because it cannot trust its tree. */
  readonly detail?: string;
  readonly untrusted?: boolean;
  /** The audit entry an event ID was recorded as (since deleted). */
  readonly recordedAs?: string;
}

/** How long to wait for an audit log that takes no writes: it needs its operators. */
const LOG_REFUSED_RETRY_AFTER = "300";

function named(value: NamedValue | undefined, what: string): NamedValue {
  if (value === undefined) throw new Error(`a refusal about the ${what} of a write that names none`);
  return value;
}

/** Why a member named as a mentor cannot be one, on whichever field named it. */
const MENTOR_REFUSALS: Record<MentorRefusal, (memberId: string) => string> = {
  mentor_unknown: (id) => `No member ${id} in this organisation`,
  not_a_mentor: (id) => `Member ${id} does not hold the mentor role`,
  mentor_inactive: (id) => `Member ${id} is inactive`,
};

const mentor = (reason: MentorRefusal) => (about: Refusing) => {
  const { path, value } = named(about.mentor, "mentor");
  return invalidField(path, MENTOR_REFUSALS[reason](value));
};

const REFUSALS = {
  not_found: (about: Refusing) => notFound(about.target),
  /** Another mentor's entry answers as a missing one, so IDs reveal nothing of what others have. */
  not_owner: (about: Refusing) => notFound(about.target),
  forbidden: (about: Refusing) => forbidden(about.notYours),
  stale: (about: Refusing, facts: RefusalFacts) =>
    preconditionFailed(`${about.target} changed while this request ran`, facts.current ?? null),
  conflict: () => conflict("The entry or its references changed while this request ran; try again"),
  type_unknown: (about: Refusing) => {
    const { path, value } = named(about.activityType, "activity type");
    return invalidField(path, `Unknown activity type ${value}; see GET /api/v1/activity-types`);
  },
  mentor_unknown: mentor("mentor_unknown"),
  not_a_mentor: mentor("not_a_mentor"),
  mentor_inactive: mentor("mentor_inactive"),
  coordinator_not_active: (about: Refusing) => {
    const { path, value } = named(about.coordinator, "coordinator");
    return invalidField(path, `${value} is not an active coordinator of this organisation`);
  },
  duplicate: (about: Refusing) =>
    conflict(
      about.duplicate ?? "This mentor already has an attribution of this activity type at this activity_date",
    ),
  client_ref_conflict: (about: Refusing, facts: RefusalFacts) =>
    new AppError("conflict", `client_ref ${about.clientRef} already holds another entry of this mentor`, {
      errors: [{ path: "client_ref", message: "Already used for an entry with other content" }],
      extensions: facts.stored ? { current: facts.stored } : {},
    }),
  not_self: (about: Refusing, facts: RefusalFacts) =>
    conflict(
      `${about.target} was registered by a coordinator and belongs to attribution ` +
        `${facts.owner ?? "(unknown)"}; ${about.verb ?? "change"} it through /api/v1/activity-attributions`,
    ),
  /** A batch in which every mentor would be skipped: nothing is recorded, and each mentor's reason is told. */
  all_skipped: (_about: Refusing, facts: RefusalFacts) => {
    const items = facts.items ?? [];
    return new AppError(
      "unprocessable",
      "Every mentor of this batch would be skipped, so nothing was recorded",
      {
        errors: items.map((item, i) => ({
          path: `mentor_ids.${i}`,
          message: `${item.mentor_id}: ${item.reason}`,
        })),
        extensions: { items: items.map(({ mentor_id, status, reason }) => ({ mentor_id, status, reason })) },
      },
    );
  },
  not_annotatable: (about: Refusing, facts: RefusalFacts) =>
    conflict(`${about.target} is an ${facts.action} record, which cannot be annotated`),
  not_redactable: (about: Refusing, facts: RefusalFacts) =>
    conflict(`${about.target} is an ${facts.action} record, the evidence of a deletion`),
  /** The log takes no writes now (no signing key, or a tree it cannot trust): an operator must act. */
  log_refused: (_about: Refusing, facts: RefusalFacts) =>
    new AppError(
      facts.untrusted ? "audit_log_untrusted" : "service_unavailable",
      `The audit log accepts no writes now: ${facts.detail ?? "unknown"}`,
      { headers: { "Retry-After": LOG_REFUSED_RETRY_AFTER } },
    ),
  event_redacted: (about: Refusing, facts: RefusalFacts) =>
    conflict(`${about.target} was recorded as ${facts.recordedAs}, which has since been deleted`),
} satisfies Record<string, (about: Refusing, facts: RefusalFacts) => AppError>;

/** Every reason a write may answer for writing nothing. */
export type Refusal = keyof typeof REFUSALS;

/** The problem a refusal answers. */
export const refusal = (reason: Refusal, about: Refusing, facts: RefusalFacts = {}): AppError =>
  REFUSALS[reason](about, facts);
