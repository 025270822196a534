// The mentor's answer to what was registered in its name (SPEC §11): confirm or dispute.

import type { Context } from "hono";
import { allow, covers, ownerFilter } from "../../auth/policy";
import { answerAttribution, type MentorAnswer } from "../../db/queries/attribution-answers";
import { batchAnswer } from "../../http/idempotency";
import { requestActor } from "../../http/request-actor";
import { notFound } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { nowIso } from "../../lib/time";
import type { AppBindings, AppRouteHandler } from "../../types";
import { changedMeanwhile, preconditionEvent } from "./activity-attributions.handlers";
import { attributionTag, fromNamed } from "./activity-attributions.present";
import type { ConfirmRoute, DisputeRoute } from "./activity-attributions.routes";

/**
 * Records the mentor's answer to the attribution `id` and delivers its audit event; answers the
 * attribution as it now stands and its tag. Without If-Match it is one D1 batch; with it, the
 * record is read first to check the tag (a hash of the representation, which SQL cannot compare),
 * and the write then requires the event it read, so a change in between is a 412.
 */
async function recordAnswer(c: Context<AppBindings>, id: string, answer: MentorAnswer) {
  const caller = c.var.caller;
  const reach = allow(caller, "attributions.confirm");
  const seenEventId = await preconditionEvent(c, id, (found) => {
    if (!covers(reach, found.row.mentorId)) throw notFound(`Attribution ${id}`);
  });
  const result = await answerAttribution(c.var.org.db, {
    orgId: caller.org,
    attributionId: id,
    mentorId: ownerFilter(reach) ?? null,
    answer,
    seenEventId,
    eventId: crypto.randomUUID(),
    now: nowIso(),
    actor: requestActor(c),
    replay: batchAnswer(c, HttpStatus.OK),
  });
  if (!result.ok) {
    switch (result.reason) {
      case "not_found":
        throw notFound(`Attribution ${id}`);
      case "stale":
        throw await changedMeanwhile(c, id);
    }
  }
  const { event, ...written } = result.value;
  // An answer that changed nothing recorded nothing, so there is nothing to deliver.
  const delivered = event === null || (await c.var.org.deliver([event]));
  return { body: fromNamed(written), tag: attributionTag(caller.org, written, delivered) };
}

export const confirm: AppRouteHandler<ConfirmRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const { body, tag } = await recordAnswer(c, id, { status: "confirmed", reason: null });
  return c.json(body, HttpStatus.OK, { ETag: tag });
};

export const dispute: AppRouteHandler<DisputeRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const { reason } = c.req.valid("json");
  const { body, tag } = await recordAnswer(c, id, { status: "disputed", reason });
  return c.json(body, HttpStatus.OK, { ETag: tag });
};
