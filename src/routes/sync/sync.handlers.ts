import { MEMBER_ROLES, type MemberRole } from "../../auth/caller";
import { type Reach, reachOf } from "../../auth/policy";
import { ORG_AUDIENCE, readSyncPage, type SyncRecordChange } from "../../db/queries/sync";
import { AppError, forbidden, invalidField } from "../../lib/errors";
import { HttpStatus } from "../../lib/http-status";
import { decodeSyncCursor, encodeSyncCursor, type FeedPosition } from "../../lib/sync-cursor";
import type { AppRouteHandler } from "../../types";
import { toAttribution } from "../activity-attributions/activity-attributions.present";
import { toActivityLog } from "../activity-logs/activity-logs.present";
import type { ChangesRoute } from "./sync.routes";

/** Where a reach's records are: the organisation's stream, or the mentor's own. */
const audienceOf = (reach: Reach): string => (reach.all ? ORG_AUDIENCE : reach.owner);

const expired = (detail: string) => new AppError("sync-cursor-expired", detail);

/** A change as the feed answers it: the record as its list shows it, or no data on a delete. */
function toChange(change: SyncRecordChange) {
  const base = { id: change.recordId, changed_at: change.changedAt };
  const upsert = change.op === "upsert";
  switch (change.type) {
    case "activity_log":
      // A record gone from under an upsert cannot be shown: it is deleted for the client too.
      return change.activity && upsert
        ? {
            type: "activity_log" as const,
            op: "upsert" as const,
            ...base,
            data: toActivityLog(change.activity),
          }
        : { type: "activity_log" as const, op: "delete" as const, ...base, data: null };
    case "attribution":
      return change.attribution && upsert
        ? {
            type: "attribution" as const,
            op: "upsert" as const,
            ...base,
            data: toAttribution(change.attribution, change.mentorName, change.coordinatorName),
          }
        : { type: "attribution" as const, op: "delete" as const, ...base, data: null };
    case "member": {
      const member = change.member;
      return member && upsert
        ? {
            type: "member" as const,
            op: "upsert" as const,
            ...base,
            data: {
              member_id: member.memberId,
              name: member.name,
              roles: member.roles.filter((r): r is MemberRole =>
                (MEMBER_ROLES as readonly string[]).includes(r),
              ),
              active: member.active,
            },
          }
        : { type: "member" as const, op: "delete" as const, ...base, data: null };
    }
  }
}

/**
 * One page of the caller's feed: its records stream (when it may read activity logs and
 * attributions) and the members stream (when it may read members), each read one ahead of the
 * page, merged by sequence number; one D1 round trip.
 */
export const changes: AppRouteHandler<ChangesRoute> = async (c) => {
  const caller = c.var.caller;
  // Activity logs and attributions share one reach in SPEC §4 (a mentor its own, the others all),
  // so one stream serves both; members are the organisation's for every member role.
  const records = reachOf(caller, "activity-logs.read");
  const readsMembers = reachOf(caller, "members.read") !== null;
  if (records === null && !readsMembers) throw forbidden("Your roles give you nothing to sync");
  const { cursor, limit } = c.req.valid("query");

  const first = cursor === undefined;
  let position: FeedPosition = { records: 0, members: 0, snapshotUntil: null };
  if (cursor !== undefined) {
    const decoded = decodeSyncCursor(caller, cursor);
    if (decoded === "malformed") throw invalidField("cursor", "Not a cursor this feed answered");
    if (decoded === "foreign") {
      throw expired("The cursor was made for another caller or other roles; start again without one");
    }
    position = decoded;
  }
  const page = await readSyncPage(
    c.var.org.db,
    caller.org,
    records === null ? null : audienceOf(records),
    position,
    first,
    limit,
  );
  // Pruned tombstones are lost to a cursor behind them, except inside a first sync's snapshot,
  // which leaves out every tombstone up to where it started: only pruning past that point matters.
  const { watermark } = page.counter;
  const missed =
    position.snapshotUntil !== null
      ? watermark > position.snapshotUntil
      : position.records < watermark || position.members < watermark;
  if (!first && missed) {
    throw expired("The cursor is older than the deletions this feed keeps; start again without one");
  }

  const merged = [...page.records, ...(readsMembers ? page.members : [])].sort((a, b) => a.seq - b.seq);
  const taken = merged.slice(0, limit);
  const next: FeedPosition = { ...position };
  for (const change of taken) {
    if (change.type === "member") next.members = change.seq;
    else next.records = change.seq;
  }
  const hasMore = merged.length > taken.length;
  // A first sync leaves out the tombstones up to where it started, until it has read past them.
  const snapshotEnd = first ? page.counter.seq : position.snapshotUntil;
  next.snapshotUntil =
    snapshotEnd !== null && hasMore && (next.records < snapshotEnd || next.members < snapshotEnd)
      ? snapshotEnd
      : null;
  // Positions never fall behind the counter the page was read at when nothing is left to read:
  // the next pull then starts from there, however the streams were filtered.
  if (!hasMore) {
    next.records = Math.max(next.records, page.counter.seq);
    next.members = Math.max(next.members, page.counter.seq);
  }
  return c.json(
    { changes: taken.map(toChange), next_cursor: encodeSyncCursor(caller, next), has_more: hasMore },
    HttpStatus.OK,
  );
};
