import { and, eq, getTableColumns, lt, type SQL, sql } from "drizzle-orm";
import type { FeedPosition } from "../../lib/sync-cursor";
import { batchSql, type Db } from "../client";
import {
  type ActivityRow,
  type AttributionRow,
  activities,
  attributions,
  type MemberRow,
  members,
  orgFreezes,
  type SyncChangeRow,
  syncChanges,
  syncCounters,
} from "../schema";
import { type ActivityRowRaw, type AttributionRowRaw, activityFromRaw, attributionFromRaw } from "./rows";

/**
 * The changes feed (SPEC §10). The rows are kept by triggers (migration 0010_sync); this file
 * reads pages of them with the records they point at, and prunes old tombstones.
 *
 * A caller reads two streams, each an index range of `sync_changes_feed_idx`: its records
 * (`audience` = its mentor ID, or `*` for the organisation's readers) and the members
 * (`@members`). Both are numbered by the organisation's one sequence, so merging them by `seq`
 * gives commit order; the cursor keeps a position in each.
 */

/**
 * Who sees a record's row: the organisation's readers, and every member for member rows. Neither
 * can be a mentor's audience: a token's `sub` and a member's ID both start with a letter or digit
 * (`claimsSchema`, `RefId`).
 */
export const ORG_AUDIENCE = "*";
export const MEMBERS_AUDIENCE = "@members";

export type SyncChangeType = SyncChangeRow["type"];
export type SyncOp = SyncChangeRow["op"];

/** One change as read, with the record it points at (absent once deleted). */
export interface SyncRecordChange {
  seq: number;
  type: SyncChangeType;
  recordId: string;
  op: SyncOp;
  changedAt: string;
  activity: ActivityRow | null;
  attribution: AttributionRow | null;
  mentorName: string | null;
  coordinatorName: string | null;
  member: MemberRow | null;
}

const counterOf = (orgId: string) =>
  sql`(select ${syncCounters.seq} from ${syncCounters} where ${syncCounters.orgId} = ${orgId})`;

/** Leaves out the tombstones of the records that existed when a first sync started. */
function skipSnapshotTombstones(orgId: string, position: FeedPosition, first: boolean): SQL {
  if (!first && position.snapshotUntil === null) return sql``;
  const until = first ? counterOf(orgId) : sql`${position.snapshotUntil}`;
  return sql` and not (c.op = 'delete' and c.seq <= ${until})`;
}

/** A joined row as one JSON column (null when the join found none), so no column name collides. */
const rowJson = (alias: string, columns: readonly string[], extra = "") =>
  sql.raw(
    `case when ${alias}.org_id is null then null else json_object(${columns
      .map((column) => `'${column}', ${alias}.${column}`)
      .join(", ")}${extra}) end`,
  );

const ACTIVITY_COLUMNS = Object.values(getTableColumns(activities)).map((column) => column.name);
const ATTRIBUTION_COLUMNS = Object.values(getTableColumns(attributions)).map((column) => column.name);

/** The statements of one page, built but not run, so a test can ask SQLite for their plans. */
export const syncStatements = {
  counter: (orgId: string) => sql`select seq, watermark from ${syncCounters} where org_id = ${orgId}`,

  /** Up to `limit` changes of activity logs and attributions in one audience, with their records. */
  records: (orgId: string, audience: string, position: FeedPosition, first: boolean, limit: number) =>
    sql`select c.seq, c.type, c.record_id, c.op, c.changed_at,
        ${rowJson("a", ACTIVITY_COLUMNS)} as activity,
        ${rowJson("t", ATTRIBUTION_COLUMNS, ", 'mentor_name', mm.name, 'coordinator_name', cm.name")} as attribution
      from ${syncChanges} c
      left join ${activities} a
        on c.type = 'activity_log' and a.org_id = c.org_id and a.activity_id = c.record_id
      left join ${attributions} t
        on c.type = 'attribution' and t.org_id = c.org_id and t.attribution_id = c.record_id
      left join ${members} mm on mm.org_id = t.org_id and mm.member_id = t.mentor_id
      left join ${members} cm on cm.org_id = t.org_id and cm.member_id = t.coordinator_id
      where c.org_id = ${orgId} and c.audience = ${audience} and c.seq > ${position.records}${skipSnapshotTombstones(orgId, position, first)}
      order by c.seq
      limit ${limit}`,

  /** Up to `limit` member changes, with the members. */
  members: (orgId: string, position: FeedPosition, first: boolean, limit: number) =>
    sql`select c.seq, c.record_id, c.op, c.changed_at, m.member_id, m.name, m.roles, m.active
      from ${syncChanges} c
      left join ${members} m on m.org_id = c.org_id and m.member_id = c.record_id
      where c.org_id = ${orgId} and c.audience = ${MEMBERS_AUDIENCE} and c.seq > ${position.members}${skipSnapshotTombstones(orgId, position, first)}
      order by c.seq
      limit ${limit}`,
};

interface ChangeRaw {
  seq: number;
  record_id: string;
  op: SyncOp;
  changed_at: string;
}
type RecordChangeRaw = ChangeRaw & {
  type: SyncChangeType;
  activity: string | null;
  attribution: string | null;
};
type MemberChangeRaw = ChangeRaw & {
  member_id: string | null;
  name: string | null;
  roles: string | null;
  active: number | null;
};

export interface SyncPage {
  /** The organisation's last sequence number and its watermark, read with the page. */
  counter: { seq: number; watermark: number };
  /** Each stream read `limit + 1` rows ahead. */
  records: SyncRecordChange[];
  members: SyncRecordChange[];
}

const change = (raw: ChangeRaw, type: SyncChangeType) => ({
  seq: raw.seq,
  type,
  recordId: raw.record_id,
  op: raw.op,
  changedAt: raw.changed_at,
  activity: null,
  attribution: null,
  mentorName: null,
  coordinatorName: null,
  member: null,
});

function recordChange(raw: RecordChangeRaw): SyncRecordChange {
  const attribution = raw.attribution === null ? null : (JSON.parse(raw.attribution) as AttributionRowRaw);
  return {
    ...change(raw, raw.type),
    activity: raw.activity === null ? null : activityFromRaw(JSON.parse(raw.activity) as ActivityRowRaw),
    attribution: attribution === null ? null : attributionFromRaw(attribution),
    mentorName: attribution?.mentor_name ?? null,
    coordinatorName: attribution?.coordinator_name ?? null,
  };
}

function memberChange(raw: MemberChangeRaw): SyncRecordChange {
  const member: MemberRow | null =
    raw.member_id === null || raw.name === null || raw.roles === null
      ? null
      : {
          orgId: "",
          memberId: raw.member_id,
          name: raw.name,
          roles: JSON.parse(raw.roles) as string[],
          active: Boolean(raw.active),
          createdAt: "",
          updatedAt: "",
        };
  return { ...change(raw, "member"), member };
}

/**
 * One page of a caller's feed in one round trip: the counter, and `limit + 1` changes of each
 * stream after its position (the extra one tells whether more follow). `audience` null reads
 * no records (a caller who may read only members).
 */
export async function readSyncPage(
  db: Db,
  orgId: string,
  audience: string | null,
  position: FeedPosition,
  first: boolean,
  limit: number,
): Promise<SyncPage> {
  const statements = syncStatements;
  // Without an audience the third statement is not sent, and its rows are not read.
  const [counter, members, records] = await batchSql<
    [{ seq: number; watermark: number }[], MemberChangeRaw[], RecordChangeRaw[]]
  >(db, [
    statements.counter(orgId),
    statements.members(orgId, position, first, limit + 1),
    ...(audience === null ? [] : [statements.records(orgId, audience, position, first, limit + 1)]),
  ]);
  return {
    counter: counter[0] ?? { seq: 0, watermark: 0 },
    records: audience === null ? [] : records.map(recordChange),
    members: members.map(memberChange),
  };
}

/**
 * Prunes the tombstones older than `before` (ISO), first raising each organisation's watermark
 * to the newest one pruned, so a cursor that may have missed one answers 410. One batch.
 */
export async function pruneSyncTombstones(db: Db, before: string): Promise<number> {
  // An organisation being moved is left alone: its rows are being copied, and the freeze guard
  // would abort the whole statement.
  const old = and(
    eq(syncChanges.op, "delete"),
    lt(syncChanges.changedAt, before),
    sql`${syncChanges.orgId} not in (select org_id from ${orgFreezes})`,
  );
  const [, deleted] = await db.batch([
    db
      .update(syncCounters)
      .set({
        watermark: sql`max(${syncCounters.watermark}, coalesce((select max(${syncChanges.seq}) from ${syncChanges}
          where ${syncChanges.orgId} = ${syncCounters.orgId} and ${old}), 0))`,
      })
      .where(
        sql`${syncCounters.orgId} in (select distinct ${syncChanges.orgId} from ${syncChanges} where ${old})`,
      ),
    db.delete(syncChanges).where(old).returning({ seq: syncChanges.seq }),
  ]);
  return deleted.length;
}
