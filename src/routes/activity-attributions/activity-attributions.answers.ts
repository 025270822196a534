// The mentor's answer to what was registered in its name (SPEC §11): confirm or dispute.

import type { Context } from "hono";
import { covers, ownerFilter } from "../../auth/policy";
import { answerAttribution, type MentorAnswer } from "../../db/queries/attribution-answers";
import {
  attributionRepresentation,
  attributionTag as attributionTagBasis,
  withTag,
} from "../../db/queries/representations";
import { runWrite } from "../../http/write";
import { HttpStatus } from "../../lib/http-status";
import type { AppBindings, AppRouteHandler } from "../../types";
import { attributionPrecondition } from "./activity-attributions.precondition";
import { attributionTag, fromNamed } from "./activity-attributions.present";
import type { ConfirmRoute, DisputeRoute } from "./activity-attributions.routes";

/**
 * Records the mentor's answer to the attribution `id` and delivers its audit event; answers the
 * attribution as it now stands and its tag. Another mentor's attribution is not found, as on its
 * `GET`. Without If-Match it is one D1 batch; with it, the attribution is read first.
 */
const recordAnswer = (c: Context<AppBindings>, id: string, answer: MentorAnswer) =>
  runWrite(c, {
    action: "attributions.confirm",
    precondition: attributionPrecondition(id, (found, reach) =>
      covers(reach, found.row.mentorId) ? null : "not_found",
    ),
    about: { target: `Attribution ${id}` },
    statements: (w) =>
      answerAttribution({
        orgId: w.orgId,
        attributionId: id,
        mentorId: ownerFilter(w.reach) ?? null,
        answer,
        seenEventId: w.seen?.row.lastEventId,
        eventId: w.eventId,
        now: w.now,
        actor: w.actor,
      }),
    answer: { status: HttpStatus.OK, ...withTag(attributionRepresentation, attributionTagBasis) },
    respond: ({ value, delivered }) => ({
      body: fromNamed(value),
      tag: attributionTag(c.var.org.id, value, delivered),
    }),
  });

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
