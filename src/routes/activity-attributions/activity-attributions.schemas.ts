import { z } from "@hono/zod-openapi";
import { CursorQuery, NextCursorSchema, pageOrCursor } from "../../lib/cursor";
import { BATCH_MAX_MENTORS, MAX_ID_LENGTH, MAX_TEXT_LENGTH } from "../../lib/limits";
import { pageOf, pageQuery } from "../../lib/openapi";
import { IsoDateTime } from "../../lib/time";

const MemberRef = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "Letters, digits, '_', '.' and '-' only");

export const AttributionIdParam = z
  .string()
  .regex(/^attr-\d{8}-\d{3,}$/, "Expected an attribution ID like attr-20260325-001")
  .openapi({ example: "attr-20260325-001" });

export const BatchIdParam = z
  .string()
  .regex(/^batch-\d{8}-\d{3,}$/, "Expected a batch ID like batch-20260325-007")
  .openapi({ example: "batch-20260325-007" });

const ActivityTypeRef = z.string().min(1).max(MAX_ID_LENGTH).openapi({ example: "workshop" });
const Duration = z.number().int().min(1).max(1440).openapi({ example: 120 });
const Location = z.string().trim().max(200).openapi({ example: "Innovation Lab" });
const Notes = z.string().max(MAX_TEXT_LENGTH).openapi({ example: "Ran resume workshop for junior cohort" });

const activityFields = {
  activity_type_id: ActivityTypeRef,
  activity_date: IsoDateTime,
  duration_minutes: Duration.optional(),
  location: Location.optional(),
  notes: Notes.optional(),
  coordinator_id: MemberRef.openapi({ example: "coord-007" }),
};

export const CreateAttributionBody = z
  .strictObject({ ...activityFields, mentor_id: MemberRef.openapi({ example: "mentor-033" }) })
  .openapi("CreateAttribution", {
    example: {
      activity_type_id: "workshop",
      activity_date: "2026-03-26T09:00:00Z",
      duration_minutes: 120,
      location: "Innovation Lab",
      notes: "Ran resume workshop for junior cohort",
      coordinator_id: "coord-007",
      mentor_id: "mentor-033",
    },
  });

export const UpdateAttributionBody = z
  .strictObject({
    mentor_id: MemberRef.optional(),
    activity_type_id: ActivityTypeRef.optional(),
    activity_date: IsoDateTime.optional(),
    duration_minutes: Duration.nullable().optional(),
    location: Location.nullable().optional(),
    notes: Notes.nullable().optional(),
  })
  .refine((body) => Object.values(body).some((v) => v !== undefined), {
    message: "Give at least one field to change",
  })
  .openapi("UpdateAttribution", {
    example: {
      activity_date: "2026-03-26T10:00:00Z",
      duration_minutes: 90,
      notes: "Updated: session ran longer than expected",
    },
  });

export const CreateBatchBody = z
  .strictObject({
    ...activityFields,
    mentor_ids: z
      .array(MemberRef)
      .min(1)
      .max(BATCH_MAX_MENTORS)
      .refine((ids) => new Set(ids).size === ids.length, "Each mentor may be named once")
      .openapi({ example: ["mentor-042", "mentor-033", "mentor-482"] }),
    confirm: z.boolean().default(false).openapi({
      description: "true: create the attributions in the same call, without a preview",
    }),
  })
  .openapi("CreateBatch");

export const AttributionSchema = z
  .object({
    attribution_id: z.string().openapi({ example: "attr-20260325-001" }),
    activity_id: z.string().openapi({ example: "pact-20260325-001" }),
    attributed_to_mentor_id: z.string().openapi({ example: "mentor-042" }),
    attributed_to_mentor_name: z.string().nullable().openapi({ example: "Sam Rivera" }),
    registered_by_coordinator_id: z.string().openapi({ example: "coord-007" }),
    registered_by_coordinator_name: z.string().nullable().openapi({ example: "Jordan Lee" }),
    activity_type_id: z.string().openapi({ example: "one-on-one" }),
    activity_date: z.string().openapi({ example: "2026-03-24T14:00:00Z" }),
    duration_minutes: z.number().int().nullable().openapi({ example: 60 }),
    location: z.string().nullable(),
    notes: z.string().nullable(),
    proxy: z.boolean().openapi({ example: true }),
    entry_mode: z.enum(["proxy", "bulk"]).openapi({ example: "proxy" }),
    batch_id: z.string().nullable(),
    created_at: z.string().openapi({ example: "2026-03-24T15:30:00Z" }),
    updated_at: z.string().openapi({ example: "2026-03-24T15:30:00Z" }),
  })
  .openapi("Attribution");

export const AuditTrailEvent = z
  .object({
    event: z.enum(["created", "updated", "deleted"]).openapi({ example: "created" }),
    actor: z.string().openapi({ example: "coord-007" }),
    at: z.string().openapi({ example: "2026-03-24T15:30:00Z" }),
    changes: z
      .record(z.string(), z.object({ from: z.unknown(), to: z.unknown() }))
      .nullable()
      .optional(),
  })
  .openapi("AuditTrailEvent");

export const AttributionDetailSchema = AttributionSchema.extend({
  audit_trail: z.array(AuditTrailEvent),
}).openapi("AttributionDetail");

export const UpdatedAttributionSchema = AttributionSchema.openapi("UpdatedAttribution");

export const DeletedAttributionSchema = z
  .object({
    message: z.string().openapi({ example: "Attribution attr-20260325-001 deleted" }),
    deleted_at: z.string().openapi({ example: "2026-03-26T09:00:00Z" }),
  })
  .openapi("DeletedAttribution");

export const AttributionListQuery = z
  .object({
    ...pageQuery(),
    mentor_id: MemberRef.optional().openapi({ description: "Attributed to this mentor" }),
    coordinator_id: MemberRef.optional().openapi({ description: "Registered by this coordinator" }),
    activity_type_id: ActivityTypeRef.optional(),
    from: IsoDateTime.optional().openapi({ description: "activity_date at or after" }),
    to: IsoDateTime.optional().openapi({ description: "activity_date at or before" }),
    cursor: CursorQuery.optional(),
  })
  .superRefine(pageOrCursor);

export const AttributionPage = pageOf(AttributionSchema)
  .extend({ next_cursor: NextCursorSchema })
  .openapi("AttributionPage");

export const ORG_LOG_EVENTS = [
  "proxy_activity_created",
  "proxy_activity_updated",
  "proxy_activity_deleted",
  "bulk_batch_submitted",
  "bulk_batch_confirmed",
] as const;

export const OrgAuditLogQuery = z.object({
  ...pageQuery({ limit: 50, max: 200 }),
  from: IsoDateTime.optional().openapi({ description: "Default: 30 days before `to`" }),
  to: IsoDateTime.optional().openapi({ description: "Default: now" }),
  event: z.enum(ORG_LOG_EVENTS).optional(),
  actor_id: MemberRef.optional(),
  mentor_id: MemberRef.optional(),
});

export const OrgAuditEvent = z
  .object({
    event: z.enum(ORG_LOG_EVENTS),
    attribution_id: z.string().optional(),
    activity_id: z.string().optional(),
    batch_id: z.string().optional(),
    actor_id: z.string(),
    actor_name: z.string().nullable(),
    mentor_id: z.string().optional(),
    mentor_name: z.string().nullable().optional(),
    activity_type_id: z.string().optional(),
    activity_date: z.string().optional(),
    mentor_count: z.number().int().optional(),
    skipped_count: z.number().int().optional(),
    changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).optional(),
    occurred_at: z.string(),
  })
  .openapi("OrgAuditEvent", {
    example: {
      event: "proxy_activity_created",
      attribution_id: "attr-20260325-001",
      activity_id: "pact-20260325-001",
      actor_id: "coord-007",
      actor_name: "Jordan Lee",
      mentor_id: "mentor-042",
      mentor_name: "Sam Rivera",
      activity_type_id: "one-on-one",
      activity_date: "2026-03-24T14:00:00Z",
      occurred_at: "2026-03-24T15:30:00Z",
    },
  });

export const OrgAuditPage = pageOf(OrgAuditEvent).openapi("OrgAuditPage");

export const BatchItemSchema = z
  .object({
    mentor_id: z.string(),
    status: z.enum(["will_create", "skipped", "created"]),
    reason: z.enum(["unknown_mentor", "inactive_mentor", "duplicate"]).nullable(),
    attribution_id: z.string().nullable(),
  })
  .openapi("BatchItem");

export const BatchSchema = z
  .object({
    batch_id: z.string().openapi({ example: "batch-20260325-007" }),
    status: z.enum(["pending", "confirmed"]),
    coordinator_id: z.string(),
    activity_type_id: z.string(),
    activity_date: z.string(),
    duration_minutes: z.number().int().nullable(),
    location: z.string().nullable(),
    notes: z.string().nullable(),
    mentor_count: z.number().int().openapi({ example: 10 }),
    skipped_count: z.number().int().openapi({ example: 2 }),
    will_create_count: z.number().int().openapi({ example: 8 }),
    items: z.array(BatchItemSchema),
    attributions: z.array(AttributionSchema),
    created_at: z.string(),
    confirmed_at: z.string().nullable(),
  })
  .openapi("Batch");
