import { type SQL, sql } from "drizzle-orm";
import { attributions } from "../schema";

/**
 * The API's representations of what a creating write made, built in SQL inside the write's own
 * batch, so the answer an Idempotency-Key replays is stored with the write it answers (see
 * `BatchAnswer`). Each mirrors a presenter of the routes (`toActivityLog`, `toAttribution`,
 * `toBatch`) field for field and in the same order; the byte-for-byte replays of test/routes/exactly-once.test.ts hold each
 * to its presenter on the same rows.
 */

/** `null`, or `{by, at, reason}` once the mentor answered (who and when are written together). */
function confirmationJson(alias: string): SQL {
  const column = (name: string) => sql.raw(`${alias}.${name}`);
  return sql`case when ${column("confirmation_by")} is null or ${column("confirmation_at")} is null then null
    else json_object('by', ${column("confirmation_by")}, 'at', ${column("confirmation_at")},
      'reason', ${column("confirmation_reason")}) end`;
}

/** An activity row aliased `alias` as `/api/v1/activity-logs` shows it. */
export function activityLogJson(alias: string): SQL {
  const column = (name: string) => sql.raw(`${alias}.${name}`);
  return sql`json_object(
    'log_id', ${column("activity_id")},
    'mentor_id', ${column("mentor_id")},
    'activity_type', ${column("activity_type")},
    'description', ${column("description")},
    'contact_id', ${column("contact_id")},
    'duration_minutes', ${column("duration_minutes")},
    'occurred_at', ${column("occurred_at")},
    'entry_mode', ${column("entry_mode")},
    'attribution_id', ${column("attribution_id")},
    'created_by', ${column("created_by")},
    'confirmation_status', ${column("confirmation_status")},
    'confirmation', ${confirmationJson(alias)},
    'client_ref', ${column("client_ref")},
    'created_at', ${column("created_at")},
    'updated_at', ${column("updated_at")})`;
}

/** An attribution row aliased `alias`, with the names given, as every attribution response shows it. */
export function attributionJson(alias: string, mentorName: SQL, coordinatorName: SQL): SQL {
  const column = (name: string) => sql.raw(`${alias}.${name}`);
  return sql`json_object(
    'attribution_id', ${column("attribution_id")},
    'activity_id', ${column("activity_id")},
    'attributed_to_mentor_id', ${column("mentor_id")},
    'attributed_to_mentor_name', ${mentorName},
    'registered_by_coordinator_id', ${column("coordinator_id")},
    'registered_by_coordinator_name', ${coordinatorName},
    'activity_type_id', ${column("activity_type_id")},
    'activity_date', ${column("activity_date")},
    'duration_minutes', ${column("duration_minutes")},
    'location', ${column("location")},
    'notes', ${column("notes")},
    'proxy', json(case when ${column("proxy")} then 'true' else 'false' end),
    'entry_mode', ${column("entry_mode")},
    'batch_id', ${column("batch_id")},
    'confirmation_status', ${column("confirmation_status")},
    'confirmation', ${confirmationJson(alias)},
    'created_at', ${column("created_at")},
    'updated_at', ${column("updated_at")})`;
}

/**
 * The basis of an attribution's ETag (`attributionTag` over the body): its version is the last
 * event's ID, and a replay is served once the trail is complete.
 */
export function attributionTagBasis(alias: string): SQL {
  const column = (name: string) => sql.raw(`${alias}.${name}`);
  return sql`json_object('kind', 'attribution', 'id', ${column("attribution_id")},
    'version', json_object('version', ${column("last_event_id")}, 'trailComplete', json('true')))`;
}

/**
 * A batch row aliased `alias` as the batch routes show it: each mentor's decision, and the
 * attributions it created (without names, ordered by ID).
 */
export function batchJson(alias: string): SQL {
  const column = (name: string) => sql.raw(`${alias}.${name}`);
  const items = sql`(select json_group_array(json_object(
      'mentor_id', json_extract(j.value, '$.mentor_id'),
      'status', json_extract(j.value, '$.status'),
      'reason', json_extract(j.value, '$.reason'),
      'attribution_id', json_extract(j.value, '$.attribution_id')) order by j.key)
    from json_each(${column("items")}) j)`;
  const willCreate = sql`(select count(*) from json_each(${column("items")}) j
    where json_extract(j.value, '$.status') <> 'skipped')`;
  const created = sql`(select coalesce(json_group_array(json(${attributionJson("ca", sql`null`, sql`null`)})
      order by ca.attribution_id), json_array())
    from ${attributions} ca where ca.org_id = ${column("org_id")} and ca.batch_id = ${column("batch_id")})`;
  return sql`json_object(
    'batch_id', ${column("batch_id")},
    'status', ${column("status")},
    'coordinator_id', ${column("coordinator_id")},
    'activity_type_id', ${column("activity_type_id")},
    'activity_date', ${column("activity_date")},
    'duration_minutes', ${column("duration_minutes")},
    'location', ${column("location")},
    'notes', ${column("notes")},
    'mentor_count', ${column("mentor_count")},
    'skipped_count', ${column("skipped_count")},
    'will_create_count', ${willCreate},
    'items', ${items},
    'attributions', ${created},
    'created_at', ${column("created_at")},
    'confirmed_at', ${column("confirmed_at")})`;
}
