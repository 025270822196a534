import { z } from "@hono/zod-openapi";
import { ENTRY_ID_PATTERN } from "../../audit/entry-id";
import {
  ActionName,
  auditNoteSchema,
  ChangesSchema,
  EventAction,
  EventId,
  MentorIds,
} from "../../audit/events";
import { AUDIT_ACTIONS_PROSE } from "../../audit/vocabulary";
import { MemberId, rangeInOrder } from "../../lib/fields";
import { pageOf, pageQuery } from "../../lib/openapi";
import { IsoDateTime, IsoDateTimeFrom } from "../../lib/time";

export const EntryIdParam = z
  .string()
  .regex(ENTRY_ID_PATTERN, "Expected an audit entry ID like log-001")
  .openapi({ example: "log-001" });

export const CoordinatorIdParam = MemberId.openapi({ example: "coord-119" });

const HASH_EXAMPLE = "9f2c1e4b7a0d3c5e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708";

const summaryFields = {
  id: z
    .string()
    .openapi({ example: "log-001", description: "`log-NNN`, the organisation's sequence number" }),
  action: z.string().openapi({
    example: "proxy_created",
    description: `What the entry records. This service writes ${AUDIT_ACTIONS_PROSE}. Any other action is another producer's.`,
  }),
  coordinator_id: z.string().optional().openapi({ example: "coord-119" }),
  mentor_id: z.string().optional().openapi({ example: "mentor-482" }),
  activity_id: z.string().optional().openapi({ example: "pa-001" }),
  batch_id: z.string().optional().openapi({ example: "batch-0042" }),
  member_id: z.string().optional().openapi({
    example: "mentor-700",
    description: "On member_created and member_updated: the member changed",
  }),
  mentor_ids: z
    .array(z.string())
    .optional()
    .openapi({ example: ["mentor-482", "mentor-510"] }),
  target_id: z.string().optional().openapi({
    example: "log-001",
    description: "On entry_annotated and entry_deleted records: the entry meant",
  }),
  timestamp: z.string().openapi({
    example: "2026-03-20T09:00:00Z",
    description: "When the event happened (ISO 8601 UTC); fields an entry lacks are left out",
  }),
};

/** The seed's first entry. */
const SEED_ENTRY = {
  id: "log-001",
  action: "proxy_created",
  coordinator_id: "coord-119",
  mentor_id: "mentor-482",
  activity_id: "pa-001",
  timestamp: "2026-03-20T09:00:00Z",
};

const EntrySummarySchema = z.object(summaryFields).openapi("ProxyAuditLogSummary", { example: SEED_ENTRY });

export const EntryDetailSchema = z
  .object({
    ...summaryFields,
    actor_id: z.string().openapi({ example: "coord-119", description: "Who did it" }),
    seq: z.number().int().openapi({ example: 1 }),
    event_id: z.string().openapi({ example: "attr-20260320-001:created" }),
    actor_name: z
      .string()
      .optional()
      .openapi({ example: "Jordan Lee", description: "As it was at the time" }),
    mentor_name: z
      .string()
      .optional()
      .openapi({ example: "Sam Rivera", description: "As it was at the time" }),
    attribution_id: z.string().optional().openapi({ example: "attr-20260320-001" }),
    activity_type_id: z.string().optional().openapi({ example: "one-on-one" }),
    activity_date: z.string().optional().openapi({ example: "2026-03-20" }),
    mentor_count: z.number().int().optional(),
    skipped_count: z.number().int().optional(),
    changes: z
      .record(z.string(), z.object({ from: z.unknown(), to: z.unknown() }))
      .nullable()
      .openapi({ example: null, description: "`{field: {from, to}}` of an update; null when none" }),
    ip_address: z.string().nullable().openapi({ example: "192.168.1.42" }),
    user_agent: z.string().nullable().openapi({ example: "EircodexApp/2.1 Android" }),
    annotation: z.string().optional().openapi({
      description: "The latest annotation of this entry (on an entry_annotated record: the one it holds)",
    }),
    reviewed_by: z.string().optional(),
    updated_at: z.string().optional().openapi({ description: "When the latest annotation was made" }),
    recorded_at: z
      .string()
      .openapi({ example: "2026-03-20T09:00:02Z", description: "When the log appended it" }),
    payload_hash: z.string().openapi({ example: HASH_EXAMPLE }),
    prev_hash: z.string().openapi({ example: "0".repeat(64) }),
    hash: z.string().openapi({ example: HASH_EXAMPLE }),
  })
  .openapi("ProxyAuditLogEntry", {
    example: {
      ...SEED_ENTRY,
      actor_id: "coord-119",
      changes: null,
      ip_address: "192.168.1.42",
      user_agent: "EircodexApp/2.1 Android",
      seq: 1,
      event_id: "attr-20260320-001:created",
      recorded_at: "2026-03-20T09:00:02Z",
      payload_hash: HASH_EXAMPLE,
      prev_hash: "0".repeat(64),
      hash: HASH_EXAMPLE,
    },
  });

const filterFields = {
  ...pageQuery(),
  action: ActionName.optional().openapi({ description: "Only entries with this action" }),
  mentor_id: MemberId.optional().openapi({
    description: "Entries naming this mentor, also within mentor_ids",
  }),
  activity_id: MemberId.optional(),
  batch_id: MemberId.optional(),
  member_id: MemberId.optional().openapi({ description: "Member events about this member" }),
  from: IsoDateTimeFrom.optional().openapi({ description: "Earliest timestamp, inclusive" }),
  to: IsoDateTime.optional().openapi({ description: "Latest timestamp, inclusive" }),
};

export const ListQuery = z
  .object({
    ...filterFields,
    coordinator_id: MemberId.optional().openapi({ description: "A coordinator may only name itself" }),
  })
  .superRefine(rangeInOrder);

export const ByCoordinatorQuery = z.object(filterFields).superRefine(rangeInOrder);

export const EntryPage = pageOf(EntrySummarySchema).openapi("ProxyAuditLogPage", {
  example: {
    data: [
      SEED_ENTRY,
      {
        id: "log-002",
        action: "bulk_submission",
        coordinator_id: "coord-119",
        batch_id: "batch-0042",
        mentor_ids: ["mentor-482", "mentor-510"],
        timestamp: "2026-03-25T08:00:00Z",
      },
    ],
    pagination: { page: 1, limit: 20, total: 310 },
  },
});

export const CoordinatorEntryPage = pageOf(EntrySummarySchema).openapi("ProxyAuditLogCoordinatorPage", {
  example: {
    data: [
      {
        id: "log-001",
        action: "proxy_created",
        mentor_id: "mentor-482",
        activity_id: "pa-001",
        timestamp: "2026-03-20T09:00:00Z",
      },
    ],
    pagination: { page: 1, limit: 20, total: 88 },
  },
});

export const CreatedEntrySchema = EntrySummarySchema.openapi("ProxyAuditLogCreated", {
  example: {
    id: "log-099",
    action: "proxy_created",
    coordinator_id: "coord-119",
    mentor_id: "mentor-482",
    activity_id: "pa-005",
    timestamp: "2026-03-26T10:30:00Z",
  },
});

export const CreateEntryBody = z
  .strictObject({
    action: EventAction,
    coordinator_id: MemberId.openapi({ example: "coord-119" }),
    mentor_id: MemberId.optional().openapi({ example: "mentor-482" }),
    activity_id: MemberId.optional().openapi({ example: "pa-005" }),
    batch_id: MemberId.optional(),
    mentor_ids: MentorIds.optional(),
    changes: ChangesSchema.nullish(),
    event_id: EventId.optional().openapi({
      description:
        "Idempotency key; an ID the log already holds answers 200 with that entry. Default: random",
    }),
  })
  .openapi("ProxyAuditLogInput", {
    example: {
      action: "proxy_created",
      coordinator_id: "coord-119",
      mentor_id: "mentor-482",
      activity_id: "pa-005",
    },
  });

export const AnnotateBody = auditNoteSchema.openapi("ProxyAuditLogAnnotationInput", {
  example: { annotation: "Reviewed by compliance officer on 2026-03-26", reviewed_by: "admin-007" },
});

export const AnnotationSchema = z
  .object({
    id: z.string().openapi({ example: "log-001" }),
    annotation: z.string(),
    reviewed_by: z.string(),
    updated_at: z.string(),
    record_id: z.string().openapi({ description: "The entry_annotated entry that holds the annotation" }),
  })
  .openapi("ProxyAuditLogAnnotation", {
    example: {
      id: "log-001",
      annotation: "Reviewed by compliance officer on 2026-03-26",
      reviewed_by: "admin-007",
      updated_at: "2026-03-26T11:00:00Z",
      record_id: "log-311",
    },
  });

export const DeletedSchema = z
  .object({
    success: z.literal(true),
    deleted_id: z.string(),
    deletion_record_id: z
      .string()
      .openapi({ description: "The entry_deleted entry that records the deletion" }),
  })
  .openapi("ProxyAuditLogDeleted", {
    example: { success: true, deleted_id: "log-001", deletion_record_id: "log-312" },
  });
