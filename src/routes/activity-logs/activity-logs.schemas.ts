import { z } from "@hono/zod-openapi";
import { ENTRY_MODES } from "../../db/schema";
import { CursorQuery, NextCursorSchema, pageOrCursor } from "../../lib/cursor";
import { ActivityTypeId, ClientRef, DurationMinutes, MemberId, RefId, rangeInOrder } from "../../lib/fields";
import {
  MAX_DURATION_MINUTES,
  MAX_ID_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_UPLOAD_ENTRIES,
  MIN_DURATION_MINUTES,
} from "../../lib/limits";
import { ProblemSchema, pageOf, pageQuery } from "../../lib/openapi";
import { IsoDateTime, IsoDateTimeFrom } from "../../lib/time";
import {
  ConfirmationSchema,
  ConfirmationStatusSchema,
} from "../activity-attributions/activity-attributions.schemas";

/** Activity log IDs (`log_…`) and proxy activity IDs (`pact-…`) alike. */
export const ActivityLogIdParam = RefId.openapi({ example: "log_001aaa" });

const Description = z
  .string()
  .trim()
  .min(1)
  .max(MAX_TEXT_LENGTH)
  .openapi({
    description: `What happened, 1..${MAX_TEXT_LENGTH} characters`,
    example: "Monthly progress review",
  });

const ContactId = z
  .string()
  .trim()
  .min(1)
  .max(MAX_ID_LENGTH)
  .nullable()
  .openapi({
    description: `The supported contact, 1..${MAX_ID_LENGTH} characters; null when the activity had none`,
    example: "contact_xyz123",
  });

const Duration = DurationMinutes.nullable().openapi({
  description: `Whole minutes, ${MIN_DURATION_MINUTES}..${MAX_DURATION_MINUTES}; null when not recorded`,
  example: 60,
});

const OccurredAt = IsoDateTime.openapi({
  description: "When it happened: ISO 8601 with any offset, stored and answered in UTC with second precision",
  example: "2026-03-26T13:00:00Z",
});

export const ActivityLogSchema = z
  .object({
    log_id: z.string().openapi({
      description: "`log_…` for entries made here, `pact-…` for activities registered through an attribution",
      example: "log_003ccc",
    }),
    mentor_id: z.string().openapi({ example: "mentor_a1b2c3" }),
    activity_type: z.string().openapi({ example: "session_completed" }),
    description: z.string().openapi({ example: "Monthly progress review" }),
    contact_id: z.string().nullable().openapi({ example: "contact_xyz123" }),
    duration_minutes: z.number().int().nullable().openapi({ example: 60 }),
    occurred_at: z.string().openapi({ example: "2026-03-26T13:00:00Z" }),
    entry_mode: z.enum(ENTRY_MODES).openapi({
      description:
        "`self`: entered through activity logs; `proxy`/`bulk`: registered by a coordinator, read-only here",
      example: "self",
    }),
    attribution_id: z.string().nullable().openapi({
      description: "The attribution a proxy or bulk activity belongs to; null for `self` entries",
      example: null,
    }),
    created_by: z.string().openapi({
      description: "Member who entered it: the mentor, an admin on the mentor's behalf, or a coordinator",
      example: "mentor_a1b2c3",
    }),
    confirmation_status: ConfirmationStatusSchema,
    confirmation: ConfirmationSchema,
    client_ref: z.string().nullable().openapi({
      description:
        "The app's own ID of an entry it queued offline, unique per mentor (SPEC §10); null when none was sent",
      example: null,
    }),
    created_at: z.string().openapi({ example: "2026-03-26T13:05:00Z" }),
    updated_at: z.string().openapi({ example: "2026-03-26T13:05:00Z" }),
  })
  .openapi("ActivityLog");

/** The seed's request to record an activity. */
const createRequestExample = {
  mentor_id: "mentor_a1b2c3",
  activity_type: "session_completed",
  description: "Monthly progress review",
  contact_id: "contact_xyz123",
  duration_minutes: 60,
  occurred_at: "2026-03-26T13:00:00Z",
};

const createdExample = {
  log_id: "log_003ccc",
  ...createRequestExample,
  entry_mode: "self",
  attribution_id: null,
  created_by: "mentor_a1b2c3",
  confirmation_status: "confirmed",
  confirmation: null,
  client_ref: null,
  created_at: "2026-03-26T13:05:00Z",
  updated_at: "2026-03-26T13:05:00Z",
} as const;

/** The seed's examples, with the fields this API adds. */
export const activityLogExamples = {
  get: {
    ...createdExample,
    log_id: "log_001aaa",
    description: "Conducted weekly check-in with assigned contact",
    duration_minutes: 45,
    occurred_at: "2026-03-20T14:00:00Z",
    created_at: "2026-03-20T14:30:00Z",
    updated_at: "2026-03-20T14:30:00Z",
  },
  create: createdExample,
  update: {
    ...createdExample,
    description: "Monthly progress review — updated notes added",
    duration_minutes: 65,
    updated_at: "2026-03-26T14:00:00Z",
  },
} as const;

export const ActivityLogPage = pageOf(ActivityLogSchema)
  .extend({ next_cursor: NextCursorSchema })
  .openapi("ActivityLogPage", {
    example: {
      data: [
        activityLogExamples.get,
        {
          ...activityLogExamples.get,
          log_id: "log_002bbb",
          activity_type: "referral_made",
          description: "Referred contact to specialist support",
          duration_minutes: null,
          occurred_at: "2026-03-18T10:00:00Z",
          created_at: "2026-03-18T10:15:00Z",
          updated_at: "2026-03-18T10:15:00Z",
        },
      ],
      pagination: { page: 1, limit: 20, total: 34 },
      next_cursor: null,
    },
  });

/** Inclusive bounds on occurred_at; `from` may not be after `to`. */
export const timeRange = {
  from: IsoDateTimeFrom.optional().openapi({ description: "Earliest occurred_at, inclusive" }),
  to: IsoDateTime.optional().openapi({ description: "Latest occurred_at, inclusive" }),
};

export const ActivityLogListQuery = z
  .object({
    ...pageQuery(),
    mentor_id: MemberId.optional().openapi({
      description: "Only this mentor's entries. A mentor may name only itself (403 otherwise)",
    }),
    activity_type: ActivityTypeId.optional().openapi({
      description: "Only entries of this type; an unknown type matches nothing",
    }),
    contact_id: z
      .string()
      .min(1)
      .max(MAX_ID_LENGTH)
      .optional()
      .openapi({ description: "Only entries about this contact" }),
    entry_mode: z.enum(ENTRY_MODES).optional().openapi({ description: "Only entries entered this way" }),
    ...timeRange,
    cursor: CursorQuery.optional(),
  })
  .superRefine(rangeInOrder)
  .superRefine(pageOrCursor);

/** The fields of a new entry: the single create's body, and each entry of a batch upload. */
const createFields = {
  mentor_id: MemberId.optional().openapi({
    description: "Whose activity it is; defaults to the caller",
    example: "mentor_a1b2c3",
  }),
  activity_type: ActivityTypeId,
  description: Description,
  contact_id: ContactId.optional(),
  duration_minutes: Duration.optional(),
  occurred_at: OccurredAt,
};

export const ActivityLogCreateSchema = z
  .strictObject({ ...createFields, client_ref: ClientRef.optional() })
  .openapi("ActivityLogInput", { example: createRequestExample });

export const ActivityLogUploadEntrySchema = z
  .strictObject({ ...createFields, client_ref: ClientRef })
  .openapi("ActivityLogUploadEntry", { example: { ...createRequestExample, client_ref: "ios-7F3A9C2E:42" } });

export const ActivityLogUploadSchema = z
  .strictObject({
    entries: z.array(ActivityLogUploadEntrySchema).min(1).max(MAX_UPLOAD_ENTRIES),
  })
  .openapi("ActivityLogUpload");

export const ActivityLogUploadResultSchema = z
  .object({
    results: z.array(
      z
        .object({
          client_ref: z.string().openapi({ example: "ios-7F3A9C2E:42" }),
          status: z.enum(["created", "existing", "rejected"]),
          // A union rather than .nullable(): a nullable reference renders as allOf, which no null satisfies.
          log: z.union([ActivityLogSchema, z.null()]),
          error: z.union([ProblemSchema, z.null()]),
        })
        .openapi("ActivityLogUploadEntryResult", {
          description:
            "`log`: the stored entry (on a 409 rejection, the one the client_ref already holds); `error`: why the entry was rejected, null otherwise",
        }),
    ),
  })
  .openapi("ActivityLogUploadResult", {
    example: {
      results: [
        {
          client_ref: "ios-7F3A9C2E:42",
          status: "created",
          log: { ...createdExample, client_ref: "ios-7F3A9C2E:42" },
          error: null,
        },
        {
          client_ref: "ios-7F3A9C2E:43",
          status: "rejected",
          log: null,
          error: {
            type: "https://mentor-activity.api/problems/validation_failed",
            title: "Validation Failed",
            status: 400,
            detail: "Unknown activity type yoga; see GET /api/v1/activity-types",
            errors: [
              {
                path: "entries.1.activity_type",
                message: "Unknown activity type yoga; see GET /api/v1/activity-types",
              },
            ],
          },
        },
      ],
    },
  });

export const ActivityLogUpdateSchema = z
  .strictObject({
    activity_type: ActivityTypeId.optional(),
    description: Description.optional(),
    contact_id: ContactId.optional(),
    duration_minutes: Duration.optional(),
    occurred_at: OccurredAt.optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { message: "Name at least one field to change" })
  .openapi("ActivityLogChanges", {
    example: { description: "Monthly progress review — updated notes added", duration_minutes: 65 },
  });

export const ActivityLogDeletedSchema = z
  .object({
    deleted: z.literal(true).openapi({ example: true }),
    log_id: z.string().openapi({ example: "log_001aaa" }),
  })
  .openapi("ActivityLogDeleted");
