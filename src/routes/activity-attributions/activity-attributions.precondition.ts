import type { Reach } from "../../auth/policy";
import { getAttribution } from "../../db/queries/attributions";
import type { AttributionWithNames } from "../../db/queries/representations";
import type { Precondition } from "../../http/precondition";
import type { Refusal } from "../../http/refusals";
import { attributionTags, currentOf } from "./activity-attributions.present";

/**
 * If-Match on an attribution: its tag hashes the representation, which SQL cannot compare, so
 * a conditional write reads it first, and then requires the event it read (`last_event_id`).
 * `refuse` says who may write what was read.
 */
export const attributionPrecondition = (
  id: string,
  refuse: (found: AttributionWithNames, reach: Reach) => Refusal | null,
): Precondition<AttributionWithNames> => ({
  read: (org) => getAttribution(org.db, org.id, id),
  refuse,
  current: (orgId, found) => ({
    tags: attributionTags(orgId, found),
    representation: currentOf(orgId, found),
  }),
});
