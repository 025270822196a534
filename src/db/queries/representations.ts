import { type SQL, sql } from "drizzle-orm";
import {
  type ActivityRow,
  type AttributionRow,
  activities,
  attributions,
  type BatchItem,
  type BatchRow,
  batches,
  type MemberRow,
  members,
} from "../schema";
import {
  type Aliased,
  bodyTag,
  columnFields,
  constant,
  type Field,
  type FieldMap,
  given,
  objectOrNull,
  type Representation,
  representation,
  type TagBasis,
  tagBasisJson,
} from "./field-map";
import { memberName } from "./members";

/**
 * The API's representations, one field map each (see field-map.ts): the routes present rows with
 * `.of`, and a write batch builds the same body with `.json` for the answer its Idempotency-Key
 * replays. `*Tag` are the bases of their ETags.
 */

/** An attribution with the current names of its mentor and coordinator. */
export interface AttributionWithNames {
  row: AttributionRow;
  mentorName: string | null;
  coordinatorName: string | null;
}

/** An attribution row aliased in a statement, with the SQL of the names joined to it. */
export interface AttributionSource extends Aliased {
  mentorName: SQL;
  coordinatorName: SQL;
}

/** The attribution aliased `alias` with the names of its mentor and coordinator as they are now. */
export const namedIn = (orgId: string, alias: string): AttributionSource => ({
  alias,
  mentorName: memberName(orgId, sql.raw(`${alias}.mentor_id`)),
  coordinatorName: memberName(orgId, sql.raw(`${alias}.coordinator_id`)),
});

/** A batch with the attributions its confirmation created. */
export interface BatchWithAttributions {
  batch: BatchRow;
  created: AttributionRow[];
}

const activity = columnFields<typeof activities, ActivityRow, Aliased>(activities, (row) => row);

/** Who answered for the mentor, when and why; null until someone did (who and when are written together). */
const confirmationOf = <S, X extends Aliased>(fields: {
  column: (key: "confirmationBy" | "confirmationAt" | "confirmationReason") => Field<S, X, string | null>;
}) =>
  objectOrNull<S, X>()(
    {
      by: fields.column("confirmationBy"),
      at: fields.column("confirmationAt"),
      reason: fields.column("confirmationReason"),
    },
    ["by", "at"],
  );

/** An activity as `/api/v1/activity-logs` shows it, whichever way it was entered. */
export const activityLog = representation<ActivityRow, Aliased>()({
  log_id: activity.column("activityId"),
  mentor_id: activity.column("mentorId"),
  activity_type: activity.column("activityType"),
  description: activity.column("description"),
  contact_id: activity.column("contactId"),
  duration_minutes: activity.column("durationMinutes"),
  occurred_at: activity.column("occurredAt"),
  entry_mode: activity.column("entryMode"),
  attribution_id: activity.column("attributionId"),
  created_by: activity.column("createdBy"),
  confirmation_status: activity.column("confirmationStatus"),
  confirmation: confirmationOf(activity),
  client_ref: activity.column("clientRef"),
  created_at: activity.column("createdAt"),
  updated_at: activity.column("updatedAt"),
});

/** An activity log's tag hashes its representation alone. */
export const activityLogTag = bodyTag("activity", activity.column("activityId"));

const attribution = columnFields<typeof attributions, AttributionWithNames, AttributionSource>(
  attributions,
  (source) => source.row,
);

/** An attribution as every attribution response shows it. */
export const attributionRepresentation = representation<AttributionWithNames, AttributionSource>()({
  attribution_id: attribution.column("attributionId"),
  activity_id: attribution.column("activityId"),
  attributed_to_mentor_id: attribution.column("mentorId"),
  attributed_to_mentor_name: given("mentorName"),
  registered_by_coordinator_id: attribution.column("coordinatorId"),
  registered_by_coordinator_name: given("coordinatorName"),
  activity_type_id: attribution.column("activityTypeId"),
  activity_date: attribution.column("activityDate"),
  duration_minutes: attribution.column("durationMinutes"),
  location: attribution.column("location"),
  notes: attribution.column("notes"),
  proxy: attribution.flag("proxy"),
  entry_mode: attribution.column("entryMode"),
  batch_id: attribution.column("batchId"),
  confirmation_status: attribution.column("confirmationStatus"),
  confirmation: confirmationOf(attribution),
  created_at: attribution.column("createdAt"),
  updated_at: attribution.column("updatedAt"),
});

/**
 * Every write to an attribution records a new event, whose ID is its version. A representation
 * served while that event has not reached the audit trail yet is hashed with `trailComplete`
 * false instead (the presenter's tag says why); a replay is served once it has.
 */
export const attributionTag = {
  kind: "attribution",
  id: attribution.column("attributionId"),
  version: representation<AttributionWithNames, AttributionSource>()({
    version: attribution.column("lastEventId"),
    trailComplete: constant(true),
  }),
};

const batch = columnFields<typeof batches, BatchWithAttributions, Aliased>(batches, (source) => source.batch);
const batchColumn = (source: Aliased, name: string) => sql.raw(`${source.alias}.${name}`);

/** Each mentor's decision: will be created, skipped (and why), or created (and as which attribution). */
type BatchItemView = Pick<BatchItem, "mentor_id" | "status" | "reason"> & { attribution_id: string | null };

const batchItems: Field<BatchWithAttributions, Aliased, BatchItemView[]> = {
  of: ({ batch: row }) =>
    row.items.map((i) => ({
      mentor_id: i.mentor_id,
      status: i.status,
      reason: i.reason,
      attribution_id: i.attribution_id ?? null,
    })),
  sql: (source) => sql`(select json_group_array(json_object(
      'mentor_id', json_extract(j.value, '$.mentor_id'),
      'status', json_extract(j.value, '$.status'),
      'reason', json_extract(j.value, '$.reason'),
      'attribution_id', json_extract(j.value, '$.attribution_id')) order by j.key)
    from json_each(${batchColumn(source, "items")}) j)`,
};

const willCreateCount: Field<BatchWithAttributions, Aliased, number> = {
  of: ({ batch: row }) => row.items.filter((i) => i.status !== "skipped").length,
  sql: (source) => sql`(select count(*) from json_each(${batchColumn(source, "items")}) j
    where json_extract(j.value, '$.status') <> 'skipped')`,
};

/** The attributions the batch created, without names, ordered by ID. */
const batchAttributions: Field<
  BatchWithAttributions,
  Aliased,
  ReturnType<typeof attributionRepresentation.of>[]
> = {
  of: ({ created }) =>
    created.map((row) => attributionRepresentation.of({ row, mentorName: null, coordinatorName: null })),
  sql: (source) => {
    const body = attributionRepresentation.json({
      alias: "ca",
      mentorName: sql`null`,
      coordinatorName: sql`null`,
    });
    return sql`(select coalesce(json_group_array(json(${body}) order by ca.attribution_id), json_array())
      from ${attributions} ca where ca.org_id = ${batchColumn(source, "org_id")}
        and ca.batch_id = ${batchColumn(source, "batch_id")})`;
  },
};

/** A batch as the batch routes show it. */
export const batchRepresentation = representation<BatchWithAttributions, Aliased>()({
  batch_id: batch.column("batchId"),
  status: batch.column("status"),
  coordinator_id: batch.column("coordinatorId"),
  activity_type_id: batch.column("activityTypeId"),
  activity_date: batch.column("activityDate"),
  duration_minutes: batch.column("durationMinutes"),
  location: batch.column("location"),
  notes: batch.column("notes"),
  mentor_count: batch.column("mentorCount"),
  skipped_count: batch.column("skippedCount"),
  will_create_count: willCreateCount,
  items: batchItems,
  attributions: batchAttributions,
  created_at: batch.column("createdAt"),
  confirmed_at: batch.column("confirmedAt"),
});

const member = columnFields<typeof members, MemberRow, Aliased>(members, (row) => row);

/**
 * A member as the member routes show it: of its stored roles, only those of `known` (a role the
 * service no longer knows is not shown), in their stored order.
 */
export function memberRepresentation<R extends string>(known: readonly R[]) {
  const isKnown = (role: string): role is R => (known as readonly string[]).includes(role);
  const roles: Field<MemberRow, Aliased, R[]> = {
    of: (row) => row.roles.filter(isKnown),
    sql: (source) => sql`json((select coalesce(json_group_array(r.value order by r.key), json_array())
      from json_each(${batchColumn(source, "roles")}) r
      where r.value in (${sql.join(
        known.map((role) => sql`${role}`),
        sql`, `,
      )})))`,
  };
  return representation<MemberRow, Aliased>()({
    member_id: member.column("memberId"),
    name: member.column("name"),
    roles,
    active: member.flag("active"),
    created_at: member.column("createdAt"),
    updated_at: member.column("updatedAt"),
  });
}

/** A member's tag hashes its representation alone. */
export const memberTag = bodyTag("member", member.column("memberId"));

/** A deletion as its answer names it: what was deleted, and when. */
export interface Deletion {
  id: string;
  at: string;
}

/** The same in SQL, as the deleting batch knows it. */
export interface DeletionSource {
  id: SQL;
  at: SQL;
}

/** What deleting an attribution answers. */
export const attributionDeletion = representation<Deletion, DeletionSource>()({
  message: {
    of: (deletion: Deletion) => `Attribution ${deletion.id} deleted`,
    sql: (source: DeletionSource) => sql`('Attribution ' || ${source.id} || ' deleted')`,
  },
  deleted_at: given("at"),
});

/** What deleting an activity log answers. */
export const activityLogDeletion = representation<Deletion, DeletionSource>()({
  deleted: constant(true),
  log_id: given("id"),
});

/**
 * What a write stores for its Idempotency-Key when its response carries the resource and its
 * ETag: the body from the representation, and the tag's basis beside it.
 */
export const withTag = <S, X, F extends FieldMap<S, X>, V extends FieldMap<S, X>>(
  represented: Representation<S, X, F>,
  basis: TagBasis<S, X, V>,
) => ({
  body: (row: X) => represented.json(row),
  tag: (row: X) => tagBasisJson(basis, row),
});
