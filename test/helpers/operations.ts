import { env } from "cloudflare:workers";
import { and, eq, type SQL } from "drizzle-orm";
import { expect } from "vitest";
import type { components, MentorActivityClient, operations } from "../../clients/typescript/index";
import { auditLogOf } from "../../src/audit/client";
import type { Role } from "../../src/auth/caller";
import { activities, attributions, batches, members, syncChanges } from "../../src/db/schema";
import type table from "../perf/round-trip-budgets.json";
import { api } from "./client";
import { addMember } from "./members";
import type { TestOrg } from "./org";
import { activityLogOf, attributionBody, auditEntryOf, created } from "./world";

/**
 * The operation catalogue: for every operation of the served OpenAPI document, how to call it
 * and what its answer and its writes look like. The authorization matrix, the exactly-once,
 * round-trip and precondition tests read it, and `operation-catalogue.test.ts` holds it to the
 * served document, so a route added to the API is one entry here (and a row of SPEC §4's role
 * table in `access.ts`, which says who may call it; this says how).
 */

type CreateAttribution = components["schemas"]["CreateAttribution"];
type CreateBatch = components["schemas"]["CreateBatch"];
type MemberInput = components["schemas"]["MemberInput"];

/** What a call of the typed client answers, whatever its route. */
export interface Sent {
  data?: unknown;
  error?: unknown;
  response: Response;
}

/**
 * One call of the typed client, made as whoever the client is signed in as, with the headers
 * the client sends (an Idempotency-Key, If-Match): a test adds those, not the call.
 */
export type Send = (client: MentorActivityClient) => Promise<Sent>;

/** A call made ready: what it needs exists in the organisation. */
export interface Call {
  send: Send;
  /** The ID of the stored thing its path names, where it names one. */
  target?: string;
}

/**
 * Makes what the call needs in `o` (through the typed client, by people allowed to) and names
 * the call, aimed at `subject`'s things: the member ID of whoever owns what it touches. A call
 * sends the same request each time it is sent, so a retry is a retry.
 */
export type Builder = (o: TestOrg, subject: string) => Promise<Call>;

/** A read of something of an organisation, kept as the text the Worker sent. */
export type Read = (
  client: MentorActivityClient,
) => Promise<{ data?: string; error?: unknown; response: Response }>;

/** Who owns what an operation touches, where SPEC §4's "own" wording applies to it. */
export type Owner = "mentor" | "coordinator" | null;

/** A kind of stored thing that GET reads by its ID. */
export type Resource = "activity log" | "attribution" | "member" | "audit entry";

/** A row of `test/perf/round-trip-budgets.json` (which `npm run bench` prints too). */
export type BudgetRow = keyof typeof table.budgets;

/** Whoever sends a write in the exactly-once tests, and what one such request records. */
export interface Sender {
  as: Role;
  /** Audit entries one request adds, once delivered. */
  auditEvents: number;
  /**
   * How far one request moves the organisation's changes feed (SPEC §10): once for every insert,
   * update and delete of an activity, attribution or member, even one that sets the values a record
   * already has, so a write made twice shows here whatever it wrote.
   */
  changes: number;
  /** Tells this sender's case from the operation's others. */
  label?: string;
  /** Another request than the operation's own (another body). */
  request?: Builder;
  /** The status it answers, where not the operation's own (a PUT that changes a member it could create). */
  success?: number;
}

interface D1WriteFacts {
  /** It writes to the organisation's database; its audit events follow through the outbox. */
  in: "D1";
  /**
   * Set where the server honours an Idempotency-Key by storing the answer in the write's own D1
   * batch: the exactly-once tests then run every sender's case through crashes and retries.
   */
  keyed?: "answer in the write batch";
  /** The IDs of what requests of this kind wrote in the organisation, as D1 holds them. */
  written: (o: TestOrg) => Promise<string[]>;
  /** What it answers: the representation GET shows of what it wrote (and GET's ETag), or a summary. */
  answers: "representation" | "representation and its ETag" | "summary";
  senders: readonly [Sender, ...Sender[]];
}

/** A write to D1: it creates something its answer names, or changes the thing its path names. */
export type D1Write =
  | (D1WriteFacts & { effect: "creates"; idOf: (answer: Record<string, unknown>) => unknown })
  | (D1WriteFacts & { effect: "changes" });

/** A write to the organisation's audit object only. */
export type AuditObjectWrite = { in: "audit object" } & (
  | {
      /**
       * How an Idempotency-Key is honoured: the object keeps the answer in the append's own
       * transaction, or (for a request that writes nothing D1 could store it with) D1 stores it
       * after the request.
       */
      keyed?: "answer kept with the append" | "answer stored after the request";
    }
  | {
      /**
       * The object looks the key up and keeps the answer it builds in the transaction of the write
       * (annotate, redact): the exactly-once tests hold it to one record through lost answers,
       * concurrent retries and a key reused for another request.
       */
      keyed: "answer kept with the write";
      /** The object's method that writes, where a lost answer is injected. */
      method: "annotate" | "redact";
      /** The IDs of the records requests of this kind appended, as the audit object holds them. */
      written: (o: TestOrg) => Promise<string[]>;
      /** The ID of the record the answer names. */
      recordOf: (answer: Record<string, unknown>) => unknown;
      /** Whether the answer carries the entry's ETag (the one a GET then shows). */
      tagged: boolean;
    }
);

/** Another organisation's ID, sent by an allowed caller of one organisation. */
export interface Foreign {
  /** Who asks, in its own organisation. */
  as: Role;
  /** The status it answers: 404 (the ID names nothing in the asker's organisation) unless set. */
  expected?: number;
  /** Aims at the asker's own member ID abroad, so only the organisation tells the two apart. */
  aimedAtOwnId?: true;
  /** Makes what must exist abroad before the call's own setup. */
  before?: (f: TestOrg) => Promise<void>;
  /** Another request than the operation's own, in the other organisation. */
  request?: (f: TestOrg) => Promise<Call>;
  /** What must stay unchanged abroad, where the call's target is not a readable thing. */
  readBack?: Read;
  /** What a 2xx answer must show: nothing of the other organisation's. */
  answer?: (body: unknown) => void;
}

/** It takes If-Match (SPEC §10): a stale tag answers 412 with the current representation. */
export interface IfMatch {
  /** Who sends it, at its own things. */
  as: Role;
  /** Where the operation's own request aims at nothing that exists yet: a request that does, and its status. */
  existing?: { request: Builder; success: number };
}

/** A request held to a row of the round-trip budgets. */
export interface RoundTripCase {
  row: BudgetRow;
  /** Who sends it, aimed at the owner's own things (the mentor's where nobody owns them). */
  as: Role;
  /** With an Idempotency-Key: a fresh one, or one the same request was answered with before (uncounted). */
  key?: "fresh" | "replayed";
  /** With If-Match naming the current version of the call's target. */
  ifMatch?: true;
  /** Another request than the operation's own, where the row measures a size (100 entries, 50 mentors). */
  request?: Builder;
}

export interface Operation {
  owner: Owner;
  /** The status an allowed call of its own request answers. */
  success: number;
  request: Builder;
  /** What its target, or what it creates, is, where GET reads it by ID. */
  resource?: Resource;
  /**
   * How a caller that may act on its own things is answered when it aims at someone else's,
   * where that is not a plain 403: hidden as if it did not exist (SPEC §12: "a mentor asking for
   * another mentor's entry gets 404"), or refused entry by entry in a 200 (SPEC §10's batch upload).
   */
  othersAnswered?: { notFound: string } | { perEntry: number };
  /** Required where its path names an ID. */
  foreign?: Foreign;
  /** Required unless it is a GET. */
  writes?: D1Write | AuditObjectWrite;
  ifMatch?: IfMatch;
  /** The round-trip budget rows its requests are held to, or why it has none. */
  roundTrips: readonly [RoundTripCase, ...RoundTripCase[]] | { unbudgeted: string };
}

/** Every operationId of the served document, as the typed client knows them. */
export type OperationId = keyof operations;

/** Operations outside the API's authenticated surface, and why they are. */
export const PUBLIC_OPERATIONS = {
  health: "the load balancer's liveness probe: no caller, no organisation, no storage",
  listAuditLogKeys: "the audit log's public keys, for witnesses without an account (SPEC §9)",
} as const satisfies Partial<Record<OperationId, string>>;

export type CatalogueId = Exclude<OperationId, keyof typeof PUBLIC_OPERATIONS>;

/** The member whose things an operation's own caller aims at: the coordinator's, or the mentor's. */
export const ownersSubject = (o: TestOrg, owner: Owner): string =>
  owner === "coordinator" ? o.coordinator.sub : o.mentor.sub;

/** Someone else's: the other coordinator's, or the other mentor's. */
export const someoneElses = (o: TestOrg, owner: Owner): string =>
  owner === "coordinator" ? o.otherCoordinator.sub : o.otherMentor.sub;

// What the calls send and set up.

/**
 * Text that an answer built in SQL and replayed from storage must carry byte for byte: quotes,
 * a newline, a backslash, non-ASCII, an emoji and a control character.
 */
const AWKWARD = { location: 'Room "B"\nsecond floor', notes: "Résumé clinic – ✓ 😀 \\ \u0001" } as const;

const LOG = {
  activity_type: "check_in",
  description: 'Weekly call with "Ana"\n– follow-up ✓',
  contact_id: "contact-7",
  duration_minutes: 30,
  occurred_at: "2026-03-10T10:00:00Z",
} as const;

const CORRECTED_DESCRIPTION = 'Moved to "Thursday"\n– ✓';
const CORRECTED_NOTES = 'Corrected: "Room C"\n✓';
const NEW_MEMBER = { name: "New Mentor", roles: ["mentor" as const], active: true };

let queuedSerial = 0;
/** Entries of `mentorId` queued offline, under client_refs no other upload uses. */
function queued(mentorId: string, count = 1) {
  return Array.from({ length: count }, () => {
    queuedSerial += 1;
    return { ...LOG, mentor_id: mentorId, client_ref: `queue-${queuedSerial}` };
  });
}

/** A PUT of `body` on the other mentor, who is on record in every test organisation. */
const otherMentorChanged =
  (body: MemberInput): Builder =>
  async (o) => {
    const member_id = o.otherMentor.sub;
    return {
      target: member_id,
      send: (c) => c.PUT("/api/v1/members/{member_id}", { params: { path: { member_id } }, body }),
    };
  };

/** A registration by the coordinator `coordinatorId` of an activity of `mentorId`, on a date no other uses. */
const registration = (coordinatorId: string, mentorId: string): CreateAttribution => ({
  ...attributionBody(coordinatorId, mentorId),
  ...AWKWARD,
});

/** An attribution of `mentorId`, registered by the coordinator `coordinatorId` itself. */
async function registered(o: TestOrg, coordinatorId: string, mentorId: string): Promise<string> {
  const sent = await api(o.as(coordinatorId, "coordinator")).POST("/api/v1/activity-attributions", {
    body: registration(coordinatorId, mentorId),
  });
  return created(sent).attribution_id;
}

/** Who a bulk registration names: three active mentors and mentor-999, inactive, whom it skips. */
const BULK_MENTORS = ["mentor-042", "mentor-033", "mentor-482", "mentor-999"];
const ACTIVE_BULK_MENTORS = 3;

const bulkRegistration = (coordinatorId: string, confirm: boolean, mentorIds = BULK_MENTORS): CreateBatch => {
  const { mentor_id: _single, ...activity } = registration(coordinatorId, "");
  return { ...activity, mentor_ids: mentorIds, confirm };
};

/** A bulk registration submitted (not confirmed) by the coordinator `coordinatorId` itself. */
async function pendingBatch(o: TestOrg, coordinatorId: string, mentorIds = BULK_MENTORS): Promise<string> {
  const sent = await api(o.as(coordinatorId, "coordinator")).POST("/api/v1/activity-attributions/batches", {
    body: bulkRegistration(coordinatorId, false, mentorIds),
  });
  return created(sent).batch_id;
}

/** 50 more mentors on record, for the rows that measure a bulk registration's size. */
async function fiftyMentors(o: TestOrg): Promise<string[]> {
  const ids = Array.from({ length: 50 }, (_, i) => `mentor-bulk-${String(i).padStart(3, "0")}`);
  for (const id of ids) await addMember(o.org, id, ["mentor"]);
  return ids;
}

/**
 * Audit entry IDs count up in each organisation: two entries first give the call's own entry
 * an ID that an organisation holding one entry does not have.
 */
async function twoEntriesAhead(f: TestOrg): Promise<void> {
  await auditEntryOf(f, f.otherCoordinator.sub);
  await auditEntryOf(f, f.otherCoordinator.sub);
}

// What D1 holds of what requests of a kind wrote.

const idsOf = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

async function selfLogIds(o: TestOrg, where?: SQL): Promise<string[]> {
  const rows = await o.db
    .select({ id: activities.activityId })
    .from(activities)
    .where(and(eq(activities.orgId, o.org), eq(activities.entryMode, "self"), where))
    .all();
  return idsOf(rows);
}

async function attributionIds(o: TestOrg, where?: SQL): Promise<string[]> {
  const rows = await o.db
    .select({ id: attributions.attributionId })
    .from(attributions)
    .where(and(eq(attributions.orgId, o.org), where))
    .all();
  return idsOf(rows);
}

async function batchIds(o: TestOrg, status?: "pending" | "confirmed"): Promise<string[]> {
  const rows = await o.db
    .select({ id: batches.batchId })
    .from(batches)
    .where(and(eq(batches.orgId, o.org), status === undefined ? undefined : eq(batches.status, status)))
    .all();
  return idsOf(rows);
}

async function memberIds(o: TestOrg, where: SQL): Promise<string[]> {
  const rows = await o.db
    .select({ id: members.memberId })
    .from(members)
    .where(and(eq(members.orgId, o.org), where))
    .all();
  return idsOf(rows);
}

/** Records of the type deleted in the organisation: a deleted record leaves a tombstone in the changes feed. */
async function deletedIds(o: TestOrg, type: "activity_log" | "attribution"): Promise<string[]> {
  const rows = await o.db
    .selectDistinct({ id: syncChanges.recordId })
    .from(syncChanges)
    .where(and(eq(syncChanges.orgId, o.org), eq(syncChanges.type, type), eq(syncChanges.op, "delete")))
    .all();
  return idsOf(rows);
}

/** The audit records of `action` in the organisation's log (annotations, deletion records). */
async function recordIds(o: TestOrg, action: "entry_annotated" | "entry_deleted"): Promise<string[]> {
  const { entries } = await auditLogOf(env.AUDIT_LOG, o.org).list({
    actions: [action],
    limit: 100,
    offset: 0,
  });
  return entries.map((entry) => entry.id).sort();
}

// Reads of one stored thing.

const READS: Record<Resource, (id: string) => Read> = {
  "activity log": (id) => (c) =>
    c.GET("/api/v1/activity-logs/{id}", { params: { path: { id } }, parseAs: "text" }),
  attribution: (id) => (c) =>
    c.GET("/api/v1/activity-attributions/{id}", { params: { path: { id } }, parseAs: "text" }),
  member: (member_id) => (c) =>
    c.GET("/api/v1/members/{member_id}", { params: { path: { member_id } }, parseAs: "text" }),
  "audit entry": (id) => (c) =>
    c.GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } }, parseAs: "text" }),
};

/** A read of the stored thing `id` of the kind. */
export const readOf = (resource: Resource, id: string): Read => READS[resource](id);

/** A stored thing as GET shows it now to `client`, without the attribution's audit trail, and GET's ETag. */
export async function representationOf(
  client: MentorActivityClient,
  resource: Resource,
  id: string,
): Promise<{ body: Record<string, unknown>; etag: string | null }> {
  const { data, error, response } = await readOf(resource, id)(client);
  expect(response.status, JSON.stringify(error)).toBe(200);
  const { audit_trail: _trail, ...body } = JSON.parse(data ?? "") as Record<string, unknown>;
  return { body, etag: response.headers.get("ETag") };
}

// The catalogue.

export const OPERATIONS: Record<CatalogueId, Operation> = {
  listMembers: {
    owner: null,
    success: 200,
    request: async () => ({ send: (c) => c.GET("/api/v1/members") }),
    roundTrips: [{ row: "member list", as: "coordinator" }],
  },
  getMember: {
    owner: null,
    success: 200,
    resource: "member",
    request: async (o) => {
      const member_id = o.otherMentor.sub;
      return {
        target: member_id,
        send: (c) => c.GET("/api/v1/members/{member_id}", { params: { path: { member_id } } }),
      };
    },
    foreign: {
      as: "admin",
      // The fixture's people are on record in every organisation: this one is only abroad.
      request: async (f) => {
        await addMember(f.org, "only-abroad", ["mentor"]);
        return {
          target: "only-abroad",
          send: (c) =>
            c.GET("/api/v1/members/{member_id}", { params: { path: { member_id: "only-abroad" } } }),
        };
      },
    },
    roundTrips: [{ row: "member get", as: "coordinator" }],
  },
  putMember: {
    owner: null,
    success: 201,
    resource: "member",
    request: async () => ({
      target: "mentor-new",
      send: (c) =>
        c.PUT("/api/v1/members/{member_id}", {
          params: { path: { member_id: "mentor-new" } },
          body: NEW_MEMBER,
        }),
    }),
    writes: {
      in: "D1",
      keyed: "answer in the write batch",
      effect: "creates",
      idOf: (answer) => answer.member_id,
      written: (o) => memberIds(o, eq(members.name, NEW_MEMBER.name)),
      answers: "representation and its ETag",
      senders: [
        { as: "admin", auditEvents: 1, changes: 1, label: "a new member" },
        {
          as: "admin",
          auditEvents: 1,
          changes: 1,
          label: "a change",
          success: 200,
          request: otherMentorChanged({ ...NEW_MEMBER, roles: ["mentor", "coordinator"] }),
        },
      ],
    },
    ifMatch: {
      as: "admin",
      existing: { success: 200, request: otherMentorChanged({ name: "Alex Chen", roles: ["mentor"] }) },
    },
    foreign: {
      as: "admin",
      // Not a lookup: a PUT answers for the caller's own organisation, where the ID names nobody yet.
      expected: 201,
      request: async (f) => {
        await addMember(f.org, "only-abroad", ["mentor"], { name: "Abroad" });
        return {
          target: "only-abroad",
          send: (c) =>
            c.PUT("/api/v1/members/{member_id}", {
              params: { path: { member_id: "only-abroad" } },
              body: { name: "Renamed", roles: ["admin"], active: false },
            }),
        };
      },
      answer: (body) => expect(body).toMatchObject({ member_id: "only-abroad", name: "Renamed" }),
    },
    roundTrips: [{ row: "member upsert", as: "admin" }],
  },
  listActivityTypes: {
    owner: null,
    success: 200,
    request: async () => ({ send: (c) => c.GET("/api/v1/activity-types") }),
    roundTrips: [{ row: "activity types", as: "mentor" }],
  },
  getActivitySummary: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => ({
      send: (c) =>
        c.GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", {
          params: { path: { mentor_id: mentor } },
        }),
    }),
    foreign: {
      as: "admin",
      // Not a lookup: it sums the caller's own organisation, where this mentor has nothing.
      expected: 200,
      request: async (f) => {
        await addMember(f.org, "mentor-abroad-only", ["mentor"]);
        await activityLogOf(f, "mentor-abroad-only");
        return {
          send: (c) =>
            c.GET("/api/v1/activity-logs/mentor/{mentor_id}/summary", {
              params: {
                path: { mentor_id: "mentor-abroad-only" },
                query: { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z" },
              },
            }),
        };
      },
      answer: (body) => expect(body).toMatchObject({ total_activities: 0, total_duration_minutes: 0 }),
    },
    roundTrips: [{ row: "activity-log summary", as: "coordinator" }],
  },
  countActivitiesByType: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => ({
      send: (c) =>
        c.GET("/api/v1/activity-logs/mentor/{mentor_id}/count-by-type", {
          params: { path: { mentor_id: mentor } },
        }),
    }),
    foreign: {
      as: "admin",
      expected: 200,
      request: async (f) => {
        await addMember(f.org, "mentor-abroad-only", ["mentor"]);
        await activityLogOf(f, "mentor-abroad-only");
        return {
          send: (c) =>
            c.GET("/api/v1/activity-logs/mentor/{mentor_id}/count-by-type", {
              params: { path: { mentor_id: "mentor-abroad-only" } },
            }),
        };
      },
      answer: (body) => expect(body).toHaveProperty("counts", {}),
    },
    roundTrips: [{ row: "activity-log count-by-type", as: "coordinator" }],
  },
  listActivityLogs: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => ({
      send: (c) => c.GET("/api/v1/activity-logs", { params: { query: { mentor_id: mentor } } }),
    }),
    roundTrips: [{ row: "activity-log list", as: "coordinator" }],
  },
  createActivityLog: {
    owner: "mentor",
    success: 201,
    resource: "activity log",
    request: async (_o, mentor) => {
      const body = { ...LOG, mentor_id: mentor };
      return { send: (c) => c.POST("/api/v1/activity-logs", { body }) };
    },
    writes: {
      in: "D1",
      effect: "creates",
      keyed: "answer in the write batch",
      idOf: (answer) => answer.log_id,
      written: (o) => selfLogIds(o),
      answers: "representation",
      senders: [
        { as: "mentor", auditEvents: 0, changes: 1, label: "a mentor's own" },
        { as: "admin", auditEvents: 1, changes: 1, label: "an admin's, for a mentor" },
      ],
    },
    roundTrips: [
      { row: "activity-log create", as: "mentor" },
      { row: "activity-log create (Idempotency-Key)", as: "mentor", key: "fresh" },
      { row: "activity-log create (admin, for a mentor)", as: "admin" },
    ],
  },
  uploadActivityLogs: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => {
      const entries = queued(mentor);
      return { send: (c) => c.POST("/api/v1/activity-logs/batch", { body: { entries } }) };
    },
    othersAnswered: { perEntry: 403 },
    writes: {
      in: "D1",
      effect: "creates",
      keyed: "answer in the write batch",
      // The entry's log ID: a retry must name the entry the first request wrote.
      idOf: (answer) => (answer.results as { log: { log_id: string } | null }[])[0]?.log?.log_id,
      written: (o) => selfLogIds(o),
      answers: "summary",
      senders: [{ as: "mentor", auditEvents: 0, changes: 1 }],
    },
    roundTrips: [
      { row: "activity-log batch upload (100 entries)", as: "mentor", request: uploadOf100 },
      {
        row: "activity-log batch upload (admin, 100 entries for a mentor)",
        as: "admin",
        request: uploadOf100,
      },
    ],
  },
  getActivityLog: {
    owner: "mentor",
    success: 200,
    resource: "activity log",
    request: async (o, mentor) => {
      const id = await activityLogOf(o, mentor);
      return { target: id, send: (c) => c.GET("/api/v1/activity-logs/{id}", { params: { path: { id } } }) };
    },
    othersAnswered: { notFound: "a mentor does not learn of another mentor's entries" },
    foreign: { as: "admin" },
    roundTrips: [{ row: "activity-log get", as: "mentor" }],
  },
  updateActivityLog: {
    owner: "mentor",
    success: 200,
    resource: "activity log",
    request: async (o, mentor) => {
      const id = await activityLogOf(o, mentor);
      return {
        target: id,
        send: (c) =>
          c.PUT("/api/v1/activity-logs/{id}", {
            params: { path: { id } },
            body: { description: CORRECTED_DESCRIPTION },
          }),
      };
    },
    othersAnswered: { notFound: "nor by trying to change one" },
    writes: {
      in: "D1",
      keyed: "answer in the write batch",
      effect: "changes",
      written: (o) => selfLogIds(o, eq(activities.description, CORRECTED_DESCRIPTION)),
      answers: "representation and its ETag",
      senders: [
        { as: "mentor", auditEvents: 0, changes: 1, label: "a mentor's own" },
        { as: "admin", auditEvents: 1, changes: 1, label: "an admin's, of a mentor's entry" },
      ],
    },
    ifMatch: { as: "mentor" },
    foreign: { as: "admin" },
    roundTrips: [
      { row: "activity-log update", as: "mentor" },
      { row: "activity-log update (admin, a mentor's entry)", as: "admin" },
    ],
  },
  deleteActivityLog: {
    owner: "mentor",
    success: 200,
    resource: "activity log",
    request: async (o, mentor) => {
      const id = await activityLogOf(o, mentor);
      return {
        target: id,
        send: (c) => c.DELETE("/api/v1/activity-logs/{id}", { params: { path: { id } } }),
      };
    },
    othersAnswered: { notFound: "nor by trying to delete one" },
    writes: {
      in: "D1",
      keyed: "answer in the write batch",
      effect: "changes",
      written: (o) => deletedIds(o, "activity_log"),
      answers: "summary",
      senders: [
        { as: "mentor", auditEvents: 0, changes: 1, label: "a mentor's own" },
        { as: "admin", auditEvents: 1, changes: 1, label: "an admin's, of a mentor's entry" },
      ],
    },
    ifMatch: { as: "mentor" },
    foreign: { as: "admin" },
    roundTrips: [
      { row: "activity-log delete", as: "mentor" },
      { row: "activity-log delete (admin, a mentor's entry)", as: "admin" },
    ],
  },
  listSyncChanges: {
    owner: null,
    success: 200,
    request: async () => ({ send: (c) => c.GET("/api/v1/sync/changes", { params: { query: {} } }) }),
    roundTrips: [{ row: "sync changes page", as: "mentor" }],
  },
  getAttributionAuditLog: {
    owner: null,
    success: 200,
    request: async () => ({ send: (c) => c.GET("/api/v1/activity-attributions/audit-log") }),
    roundTrips: [{ row: "attribution org audit log", as: "compliance" }],
  },
  createAttributionBatch: {
    owner: "coordinator",
    success: 201,
    request: async (_o, coordinator) => {
      const body = bulkRegistration(coordinator, false);
      return { send: (c) => c.POST("/api/v1/activity-attributions/batches", { body }) };
    },
    writes: {
      in: "D1",
      effect: "creates",
      keyed: "answer in the write batch",
      idOf: (answer) => answer.batch_id,
      written: (o) => batchIds(o),
      answers: "summary",
      senders: [
        // A preview writes the batch alone, which the feed does not carry.
        { as: "coordinator", auditEvents: 1, changes: 0, label: "preview" },
        {
          as: "coordinator",
          // The submission, its confirmation, and one registration per active mentor.
          auditEvents: 2 + ACTIVE_BULK_MENTORS,
          // An activity and its attribution per active mentor.
          changes: 2 * ACTIVE_BULK_MENTORS,
          label: "confirm: true",
          request: async (_o, coordinator) => {
            const body = bulkRegistration(coordinator, true);
            return { send: (c) => c.POST("/api/v1/activity-attributions/batches", { body }) };
          },
        },
      ],
    },
    roundTrips: [
      {
        row: "bulk preview (50 mentors)",
        as: "coordinator",
        request: async (o, coordinator) => {
          const body = bulkRegistration(coordinator, false, await fiftyMentors(o));
          return { send: (c) => c.POST("/api/v1/activity-attributions/batches", { body }) };
        },
      },
    ],
  },
  confirmAttributionBatch: {
    owner: "coordinator",
    success: 200,
    request: async (o, coordinator) => confirmationOf(await pendingBatch(o, coordinator)),
    writes: {
      in: "D1",
      effect: "changes",
      keyed: "answer in the write batch",
      written: (o) => batchIds(o, "confirmed"),
      answers: "summary",
      // The confirmation, and one registration per active mentor.
      senders: [
        { as: "coordinator", auditEvents: 1 + ACTIVE_BULK_MENTORS, changes: 2 * ACTIVE_BULK_MENTORS },
      ],
    },
    foreign: {
      as: "admin",
      // A pending batch is not readable on its own; the other organisation must still have no attributions.
      readBack: (c) =>
        c.GET("/api/v1/activity-attributions", { params: { query: { limit: 1 } }, parseAs: "text" }),
    },
    roundTrips: [
      { row: "bulk confirm (50 mentors)", as: "coordinator", request: confirmationOf50 },
      {
        row: "bulk confirm (50 mentors, Idempotency-Key)",
        as: "coordinator",
        key: "fresh",
        request: confirmationOf50,
      },
    ],
  },
  listAttributions: {
    owner: "mentor",
    success: 200,
    request: async (_o, mentor) => ({
      send: (c) => c.GET("/api/v1/activity-attributions", { params: { query: { mentor_id: mentor } } }),
    }),
    roundTrips: [{ row: "attribution list", as: "coordinator" }],
  },
  createAttribution: {
    owner: "coordinator",
    success: 201,
    resource: "attribution",
    request: async (o, coordinator) => {
      const body = registration(coordinator, o.otherMentor.sub);
      return { send: (c) => c.POST("/api/v1/activity-attributions", { body }) };
    },
    writes: {
      in: "D1",
      effect: "creates",
      keyed: "answer in the write batch",
      idOf: (answer) => answer.attribution_id,
      written: (o) => attributionIds(o),
      answers: "representation",
      // The attribution and its activity.
      senders: [{ as: "coordinator", auditEvents: 1, changes: 2 }],
    },
    roundTrips: [
      { row: "attribution create", as: "coordinator" },
      { row: "attribution create (Idempotency-Key)", as: "coordinator", key: "fresh" },
      { row: "attribution create (Idempotency-Key, replayed)", as: "coordinator", key: "replayed" },
    ],
  },
  getAttribution: {
    owner: "mentor",
    success: 200,
    resource: "attribution",
    request: async (o, mentor) => {
      const id = await registered(o, o.otherCoordinator.sub, mentor);
      return {
        target: id,
        send: (c) => c.GET("/api/v1/activity-attributions/{id}", { params: { path: { id } } }),
      };
    },
    othersAnswered: { notFound: "a mentor does not learn of attributions to others" },
    foreign: { as: "admin" },
    roundTrips: [{ row: "attribution get", as: "coordinator" }],
  },
  updateAttribution: {
    owner: "coordinator",
    success: 200,
    resource: "attribution",
    request: async (o, coordinator) => {
      const id = await registered(o, coordinator, o.otherMentor.sub);
      return {
        target: id,
        send: (c) =>
          c.PUT("/api/v1/activity-attributions/{id}", {
            params: { path: { id } },
            body: { notes: CORRECTED_NOTES },
          }),
      };
    },
    writes: {
      in: "D1",
      keyed: "answer in the write batch",
      effect: "changes",
      written: (o) => attributionIds(o, eq(attributions.notes, CORRECTED_NOTES)),
      answers: "representation and its ETag",
      // The attribution and its activity.
      senders: [{ as: "coordinator", auditEvents: 1, changes: 2 }],
    },
    ifMatch: { as: "coordinator" },
    foreign: { as: "admin" },
    roundTrips: [{ row: "attribution update", as: "coordinator" }],
  },
  deleteAttribution: {
    owner: "coordinator",
    success: 200,
    resource: "attribution",
    request: async (o, coordinator) => {
      const id = await registered(o, coordinator, o.otherMentor.sub);
      return {
        target: id,
        send: (c) => c.DELETE("/api/v1/activity-attributions/{id}", { params: { path: { id } } }),
      };
    },
    writes: {
      in: "D1",
      keyed: "answer in the write batch",
      effect: "changes",
      written: (o) => deletedIds(o, "attribution"),
      answers: "summary",
      // The attribution and its activity.
      senders: [{ as: "coordinator", auditEvents: 1, changes: 2 }],
    },
    ifMatch: { as: "coordinator" },
    foreign: { as: "admin" },
    roundTrips: [{ row: "attribution delete", as: "coordinator" }],
  },
  confirmAttribution: {
    owner: "mentor",
    success: 200,
    resource: "attribution",
    request: async (o, mentor) => {
      const id = await registered(o, o.otherCoordinator.sub, mentor);
      return {
        target: id,
        send: (c) => c.POST("/api/v1/activity-attributions/{id}/confirm", { params: { path: { id } } }),
      };
    },
    othersAnswered: { notFound: "nor by confirming one (SPEC §11)" },
    writes: {
      in: "D1",
      effect: "changes",
      keyed: "answer in the write batch",
      written: (o) => attributionIds(o, eq(attributions.confirmationStatus, "confirmed")),
      answers: "representation and its ETag",
      // The attribution and its activity.
      senders: [{ as: "mentor", auditEvents: 1, changes: 2 }],
    },
    ifMatch: { as: "mentor" },
    foreign: { as: "mentor", aimedAtOwnId: true },
    roundTrips: [{ row: "attribution confirm", as: "mentor" }],
  },
  disputeAttribution: {
    owner: "mentor",
    success: 200,
    resource: "attribution",
    request: async (o, mentor) => {
      const id = await registered(o, o.otherCoordinator.sub, mentor);
      return {
        target: id,
        send: (c) =>
          c.POST("/api/v1/activity-attributions/{id}/dispute", {
            params: { path: { id } },
            body: { reason: 'Not me: "on leave"\nall week' },
          }),
      };
    },
    othersAnswered: { notFound: "nor by disputing one (SPEC §11)" },
    writes: {
      in: "D1",
      effect: "changes",
      keyed: "answer in the write batch",
      written: (o) => attributionIds(o, eq(attributions.confirmationStatus, "disputed")),
      answers: "representation and its ETag",
      // The attribution and its activity.
      senders: [{ as: "mentor", auditEvents: 1, changes: 2 }],
    },
    ifMatch: { as: "mentor" },
    foreign: { as: "mentor", aimedAtOwnId: true },
    roundTrips: [
      { row: "attribution dispute", as: "mentor" },
      { row: "attribution dispute (Idempotency-Key)", as: "mentor", key: "fresh" },
      { row: "attribution dispute (If-Match)", as: "mentor", ifMatch: true },
    ],
  },
  getAuditCheckpoint: {
    owner: null,
    success: 200,
    request: async () => ({ send: (c) => c.GET("/api/v1/proxy-audit-logs/checkpoint") }),
    roundTrips: [{ row: "proxy-audit checkpoint", as: "compliance" }],
  },
  listAuditCheckpoints: {
    owner: null,
    success: 200,
    request: async () => ({ send: (c) => c.GET("/api/v1/proxy-audit-logs/checkpoints") }),
    roundTrips: [{ row: "proxy-audit checkpoints", as: "compliance" }],
  },
  getAuditConsistencyProof: {
    owner: null,
    success: 200,
    request: async () => ({
      send: (c) => c.GET("/api/v1/proxy-audit-logs/consistency", { params: { query: { from: 0 } } }),
    }),
    roundTrips: [{ row: "proxy-audit consistency proof", as: "compliance" }],
  },
  verifyProxyAuditLog: {
    owner: null,
    success: 200,
    request: async () => ({ send: (c) => c.GET("/api/v1/proxy-audit-logs/verify") }),
    roundTrips: [{ row: "proxy-audit verify", as: "compliance" }],
  },
  startAuditFullVerification: {
    owner: null,
    success: 202,
    request: async (o) => {
      // A log with an entry, so the re-hash has a signed tree to check.
      await auditEntryOf(o, o.coordinator.sub);
      return { send: (c) => c.POST("/api/v1/proxy-audit-logs/verify", {}) };
    },
    writes: { in: "audit object", keyed: "answer stored after the request" },
    roundTrips: [{ row: "proxy-audit full re-hash", as: "compliance" }],
  },
  getAuditInclusionProof: {
    owner: "coordinator",
    success: 200,
    resource: "audit entry",
    request: async (o, coordinator) => {
      const id = await auditEntryOf(o, coordinator);
      return {
        target: id,
        send: (c) => c.GET("/api/v1/proxy-audit-logs/{id}/proof", { params: { path: { id }, query: {} } }),
      };
    },
    othersAnswered: { notFound: "nor proves another's" },
    foreign: { as: "admin", before: twoEntriesAhead },
    roundTrips: [{ row: "proxy-audit inclusion proof", as: "compliance" }],
  },
  exportProxyAuditLog: {
    owner: null,
    success: 200,
    // NDJSON, so read as text rather than as one JSON value.
    request: async () => ({
      send: (c) =>
        c.GET("/api/v1/proxy-audit-logs/export", {
          params: { query: { format: "ndjson" } },
          parseAs: "text",
        }),
    }),
    roundTrips: {
      unbudgeted:
        "it streams the log as the reader takes it, one object call per 500 entries, so its round trips grow " +
        "with the log; npm run bench:export measures it by size",
    },
  },
  listProxyAuditLogs: {
    owner: "coordinator",
    success: 200,
    request: async (_o, coordinator) => ({
      send: (c) => c.GET("/api/v1/proxy-audit-logs", { params: { query: { coordinator_id: coordinator } } }),
    }),
    roundTrips: [{ row: "proxy-audit list", as: "compliance" }],
  },
  createProxyAuditLog: {
    owner: null,
    success: 201,
    request: async (o) => {
      const body = {
        action: "proxy_created",
        coordinator_id: o.otherCoordinator.sub,
        mentor_id: o.otherMentor.sub,
        activity_id: "pa-9",
      };
      return { send: (c) => c.POST("/api/v1/proxy-audit-logs", { body }) };
    },
    writes: { in: "audit object", keyed: "answer kept with the append" },
    roundTrips: [
      { row: "proxy-audit append", as: "system" },
      { row: "proxy-audit append (Idempotency-Key)", as: "system", key: "fresh" },
    ],
  },
  listProxyAuditLogsByCoordinator: {
    owner: "coordinator",
    success: 200,
    request: async (_o, coordinator) => ({
      send: (c) =>
        c.GET("/api/v1/proxy-audit-logs/by-coordinator/{coordinator_id}", {
          params: { path: { coordinator_id: coordinator } },
        }),
    }),
    foreign: {
      as: "admin",
      // Not a lookup: it lists the caller's own organisation's log, where this coordinator has no entry.
      expected: 200,
      request: async (f) => {
        await auditEntryOf(f, "coord-abroad-only");
        return {
          send: (c) =>
            c.GET("/api/v1/proxy-audit-logs/by-coordinator/{coordinator_id}", {
              params: { path: { coordinator_id: "coord-abroad-only" } },
            }),
        };
      },
      answer: (body) => expect(body).toMatchObject({ data: [], pagination: { total: 0 } }),
    },
    roundTrips: [{ row: "proxy-audit by-coordinator", as: "compliance" }],
  },
  getProxyAuditLog: {
    owner: "coordinator",
    success: 200,
    resource: "audit entry",
    request: async (o, coordinator) => {
      const id = await auditEntryOf(o, coordinator);
      return {
        target: id,
        send: (c) => c.GET("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } }),
      };
    },
    othersAnswered: { notFound: "a coordinator sees only its own entries" },
    foreign: { as: "admin", before: twoEntriesAhead },
    roundTrips: [{ row: "proxy-audit get", as: "compliance" }],
  },
  annotateProxyAuditLog: {
    owner: null,
    success: 200,
    resource: "audit entry",
    request: async (o) => {
      const id = await auditEntryOf(o, o.otherCoordinator.sub);
      return {
        target: id,
        send: (c) =>
          c.PUT("/api/v1/proxy-audit-logs/{id}", {
            params: { path: { id } },
            body: { annotation: "Reviewed", reviewed_by: o.admin.sub },
          }),
      };
    },
    writes: {
      in: "audit object",
      keyed: "answer kept with the write",
      method: "annotate",
      written: (o) => recordIds(o, "entry_annotated"),
      recordOf: (answer) => answer.record_id,
      tagged: true,
    },
    ifMatch: { as: "admin" },
    foreign: { as: "admin", before: twoEntriesAhead },
    roundTrips: [
      { row: "proxy-audit annotate", as: "admin" },
      { row: "proxy-audit annotate (Idempotency-Key)", as: "admin", key: "fresh" },
    ],
  },
  deleteProxyAuditLog: {
    owner: null,
    success: 200,
    resource: "audit entry",
    request: async (o) => {
      const id = await auditEntryOf(o, o.otherCoordinator.sub);
      return {
        target: id,
        send: (c) => c.DELETE("/api/v1/proxy-audit-logs/{id}", { params: { path: { id } } }),
      };
    },
    writes: {
      in: "audit object",
      keyed: "answer kept with the write",
      method: "redact",
      written: (o) => recordIds(o, "entry_deleted"),
      recordOf: (answer) => answer.deletion_record_id,
      tagged: false,
    },
    ifMatch: { as: "admin" },
    foreign: { as: "admin", before: twoEntriesAhead },
    roundTrips: [
      { row: "proxy-audit delete", as: "admin" },
      { row: "proxy-audit delete (Idempotency-Key)", as: "admin", key: "fresh" },
    ],
  },
};

/** A confirmation of the pending batch `batch_id`. */
function confirmationOf(batch_id: string): Call {
  return {
    target: batch_id,
    send: (c) =>
      c.POST("/api/v1/activity-attributions/batches/{batch_id}/confirm", { params: { path: { batch_id } } }),
  };
}

/** A confirmation of a batch of 50 mentors. */
async function confirmationOf50(o: TestOrg, coordinator: string): Promise<Call> {
  return confirmationOf(await pendingBatch(o, coordinator, await fiftyMentors(o)));
}

/** A day of 100 entries of `mentor` queued offline, uploaded at once. */
async function uploadOf100(_o: TestOrg, mentor: string): Promise<Call> {
  const entries = queued(mentor, 100);
  return { send: (c) => c.POST("/api/v1/activity-logs/batch", { body: { entries } }) };
}

/** The catalogue's entry for `operationId`, which must have one. */
export function operationNamed(operationId: string): Operation {
  const entry = (OPERATIONS as Record<string, Operation | undefined>)[operationId];
  if (entry === undefined) throw new Error(`The operation catalogue has no ${operationId}`);
  return entry;
}

/** The catalogue's entries, each with its operationId. */
export const CATALOGUE: { id: string; operation: Operation }[] = Object.entries(OPERATIONS).map(
  ([id, operation]) => ({ id, operation }),
);
