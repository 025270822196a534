import { z } from "@hono/zod-openapi";
import { MemberId } from "../../lib/fields";
import { MAX_BATCH_MENTORS } from "../../lib/limits";
import { AttributionSchema, activityFields } from "../activity-attributions/activity-attributions.schemas";

export const CreateBatchBody = z
  .strictObject({
    ...activityFields,
    mentor_ids: z
      .array(MemberId)
      .min(1)
      .max(MAX_BATCH_MENTORS)
      .refine((ids) => new Set(ids).size === ids.length, "Each mentor may be named once")
      .openapi({ example: ["mentor-042", "mentor-033", "mentor-482"] }),
    confirm: z.boolean().default(false).openapi({
      description: "true: create the attributions in the same call, without a preview",
    }),
  })
  .openapi("CreateBatch");

const BatchItemSchema = z
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
