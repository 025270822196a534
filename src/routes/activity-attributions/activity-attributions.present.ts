import {
  type AttributionWithNames,
  attributionRepresentation,
  attributionTag as attributionTagBasis,
} from "../../db/queries/representations";
import type { AttributionRow } from "../../db/schema";
import { type CurrentRepresentation, tagOf } from "../../http/etag";

/** An attribution as every attribution response shows it. */
export const toAttribution = (
  row: AttributionRow,
  mentorName: string | null,
  coordinatorName: string | null,
) => attributionRepresentation.of({ row, mentorName, coordinatorName });

export const fromNamed = (a: AttributionWithNames) => attributionRepresentation.of(a);

/**
 * Every write to an attribution records a new event and so a new `last_event_id`,
 * which is the record's version. Its audit trail can still lag: an event whose delivery
 * to the audit object failed shows up only after the outbox drain, so a representation
 * without it gets a tag of its own. A precondition accepts either, since the attribution
 * itself is the same.
 */
export const attributionTag = (org: string, a: AttributionWithNames, trailComplete = true) =>
  tagOf(attributionTagBasis, org, a, fromNamed(a), { trailComplete });

export const attributionTags = (org: string, a: AttributionWithNames) => [
  attributionTag(org, a, true),
  attributionTag(org, a, false),
];

/** The attribution and its ETag, as a 412 carries them (without the trail, as a write answers it). */
export const currentOf = (org: string, found: AttributionWithNames): CurrentRepresentation => ({
  body: fromNamed(found),
  etag: attributionTag(org, found, true),
});
