// Registering, correcting and deleting an attribution: each a write described once and run by the
// write executor (src/http/write.ts).

import { covers, ownerFilter } from "../../auth/policy";
import { correctAttribution } from "../../db/queries/attribution-corrections";
import { createAttribution, deleteAttribution } from "../../db/queries/attribution-writes";
import {
  type AttributionWithNames,
  attributionDeletion,
  attributionRepresentation,
  attributionTag as attributionTagBasis,
  withTag,
} from "../../db/queries/representations";
import type { Refusing } from "../../http/refusals";
import { runWrite, type WriteInput } from "../../http/write";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../types";
import { attributionPrecondition } from "./activity-attributions.precondition";
import { attributionTag, fromNamed } from "./activity-attributions.present";
import { asItself, registering, registration } from "./activity-attributions.registration";
import type { CreateRoute, RemoveRoute, UpdateRoute } from "./activity-attributions.routes";

const NOT_THE_REGISTRANT =
  "Only the coordinator who registered this attribution, or an admin, may correct or delete it";

/** The attribution a correction or deletion is aimed at, as the caller reaches it and its precondition read it. */
const targetOf = (w: WriteInput<AttributionWithNames>, attributionId: string) => ({
  orgId: w.orgId,
  attributionId,
  onlyCoordinator: ownerFilter(w.reach) ?? null,
  seenEventId: w.seen?.row.lastEventId,
  eventId: w.eventId,
  now: w.now,
  actor: w.actor,
});

/** An attribution is corrected or deleted by the coordinator who registered it, or by an admin. */
const byRegistrant = (id: string) =>
  attributionPrecondition(id, (found, reach) =>
    covers(reach, found.row.coordinatorId) ? null : "forbidden",
  );

export const create: AppRouteHandler<CreateRoute> = async (c) => {
  const body = c.req.valid("json");
  const caller = c.var.caller;
  return runWrite(c, {
    action: "attributions.create",
    authorize: asItself(body),
    about: {
      ...registering(`An attribution to ${body.mentor_id}`, body),
      mentor: { path: "mentor_id", value: body.mentor_id },
    },
    statements: (w) =>
      createAttribution({
        ...registration(caller, body),
        orgId: w.orgId,
        mentorId: body.mentor_id,
        eventId: w.eventId,
        now: w.now,
        actor: w.actor,
      }),
    answer: { status: HttpStatus.CREATED, body: attributionRepresentation.json },
    respond: ({ value }) => c.json(fromNamed(value), HttpStatus.CREATED),
  });
};

export const update: AppRouteHandler<UpdateRoute> = async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const about: Refusing = {
    target: `Attribution ${id}`,
    notYours: NOT_THE_REGISTRANT,
    mentor: body.mentor_id === undefined ? undefined : { path: "mentor_id", value: body.mentor_id },
    activityType:
      body.activity_type_id === undefined
        ? undefined
        : { path: "activity_type_id", value: body.activity_type_id },
  };
  return runWrite(c, {
    action: "attributions.write",
    precondition: byRegistrant(id),
    about,
    statements: (w) => correctAttribution({ ...targetOf(w, id), patch: body }),
    answer: { status: HttpStatus.OK, ...withTag(attributionRepresentation, attributionTagBasis) },
    respond: ({ value, delivered }) =>
      c.json(fromNamed(value), HttpStatus.OK, { ETag: attributionTag(c.var.org.id, value, delivered) }),
  });
};

export const remove: AppRouteHandler<RemoveRoute> = async (c) => {
  const { id } = c.req.valid("param");
  return runWrite(c, {
    action: "attributions.write",
    precondition: byRegistrant(id),
    about: { target: `Attribution ${id}`, notYours: NOT_THE_REGISTRANT },
    statements: (w) => deleteAttribution(targetOf(w, id)),
    answer: { status: HttpStatus.OK, body: attributionDeletion.json },
    respond: ({ value }) => c.json(attributionDeletion.of(value), HttpStatus.OK),
  });
};
