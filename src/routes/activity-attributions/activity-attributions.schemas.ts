import { z } from "@hono/zod-openapi";
import { TRAIL_EVENTS } from "../../audit/vocabulary";
import { CONFIRMATION_STATUSES } from "../../db/schema";
import { CursorQuery, NextCursorSchema, pageOrCursor } from "../../lib/cursor";
import { ActivityTypeId, DurationMinutes, MemberId } from "../../lib/fields";
import { MAX_DISPUTE_REASON_LENGTH, MAX_LOCATION_LENGTH, MAX_TEXT_LENGTH } from "../../lib/limits";
import { pageOf, pageQuery } from "../../lib/openapi";
import { IsoDateTime, IsoDateTimeFrom } from "../../lib/time";

const ActivityTypeRef = ActivityTypeId.openapi({ example: "workshop" });
const Duration = DurationMinutes.openapi({ example: 120 });
const Location = z.string().trim().max(MAX_LOCATION_LENGTH).openapi({ example: "Innovation Lab" });
const Notes = z.string().max(MAX_TEXT_LENGTH).openapi({ example: "Ran resume workshop for junior cohort" });

/** The activity fields single and bulk registration share. */
export const activityFields = {
  activity_type_id: ActivityTypeRef,
  activity_date: IsoDateTime,
  duration_minutes: Duration.optional(),
  location: Location.optional(),
  notes: Notes.optional(),
  coordinator_id: MemberId.openapi({ example: "coord-007" }),
};

export const CreateAttributionBody = z
  .strictObject({ ...activityFields, mentor_id: MemberId.openapi({ example: "mentor-033" }) })
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
    mentor_id: MemberId.optional(),
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

export const ConfirmationStatusSchema = z.enum(CONFIRMATION_STATUSES).openapi("ConfirmationStatus", {
  description:
    "Where the mentor stands on the activity (SPEC §11): `pending` until the mentor it is attributed to " +
    "confirms or disputes it, and again after any correction; `confirmed`; `disputed` (left out of the " +
    "mentor's summary and counts). A mentor's own activity logs are `confirmed`.",
  example: "pending",
});

/**
 * `null | {by, at, reason}`, as SPEC §11 writes it: null while `pending` and on a mentor's own
 * entries. Nullable as a component, since a nullable copy of a named schema takes over its name.
 */
export const ConfirmationSchema = z
  .object({
    by: z.string().openapi({ description: "The mentor who answered", example: "mentor-042" }),
    at: z.string().openapi({ description: "When it answered", example: "2026-03-25T08:12:00Z" }),
    reason: z.string().nullable().openapi({
      description: "Why it disputes the activity; null when it confirmed it",
      example: "I was on leave that day; this session was run by someone else",
    }),
  })
  .nullable()
  .openapi("Confirmation", {
    description:
      "The mentor's last answer to an activity registered in its name. A representation's `confirmation` " +
      "is null while `pending` (no answer since the registration or its last correction) and on a " +
      "mentor's own activity logs.",
    example: {
      by: "mentor-042",
      at: "2026-03-25T08:12:00Z",
      reason: "I was on leave that day; this session was run by someone else",
    },
  });

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
    confirmation_status: ConfirmationStatusSchema,
    confirmation: ConfirmationSchema,
    created_at: z.string().openapi({ example: "2026-03-24T15:30:00Z" }),
    updated_at: z.string().openapi({ example: "2026-03-24T15:30:00Z" }),
  })
  .openapi("Attribution");

export const AuditTrailEvent = z
  .object({
    event: z.enum([...TRAIL_EVENTS, "redacted"]).openapi({
      description:
        "`redacted`: the event was erased from the audit log; `actor` and `at` are the redaction's",
      example: "created",
    }),
    id: z.string().openapi({ description: "The audit entry (log-NNN)", example: "log-042" }),
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
    mentor_id: MemberId.optional().openapi({ description: "Attributed to this mentor" }),
    coordinator_id: MemberId.optional().openapi({ description: "Registered by this coordinator" }),
    activity_type_id: ActivityTypeRef.optional(),
    from: IsoDateTimeFrom.optional().openapi({ description: "activity_date at or after" }),
    to: IsoDateTime.optional().openapi({ description: "activity_date at or before" }),
    confirmation_status: z
      .enum(CONFIRMATION_STATUSES)
      .optional()
      .openapi({
        description:
          "Only attributions the mentor has answered so: `pending` gives a mentor its to-do list (the app's " +
          "badge is `pagination.total` of `?confirmation_status=pending&limit=1`); `disputed` gives a " +
          "coordinator what to correct or remove",
      }),
    cursor: CursorQuery.optional(),
  })
  .superRefine(pageOrCursor);

export const DisputeAttributionBody = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(MAX_DISPUTE_REASON_LENGTH)
      .openapi({
        description: `Why the mentor disputes the activity, 1..${MAX_DISPUTE_REASON_LENGTH} characters (trimmed)`,
        example: "I was on leave that day; this session was run by someone else",
      }),
  })
  .openapi("DisputeAttribution", {
    example: { reason: "I was on leave that day; this session was run by someone else" },
  });

export const AttributionPage = pageOf(AttributionSchema)
  .extend({ next_cursor: NextCursorSchema })
  .openapi("AttributionPage");
