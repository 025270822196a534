import { z } from "@hono/zod-openapi";
import { MEMBER_ROLES } from "../../auth/caller";
import { DEFAULT_SYNC_PAGE, MAX_SYNC_CURSOR_LENGTH, MAX_SYNC_PAGE } from "../../lib/limits";
import { AttributionSchema } from "../activity-attributions/activity-attributions.schemas";
import { ActivityLogSchema, activityLogExamples } from "../activity-logs/activity-logs.schemas";

export const SyncQuery = z.object({
  cursor: z.string().min(1).max(MAX_SYNC_CURSOR_LENGTH).optional().openapi({
    description:
      "The `next_cursor` of the previous page. Without it the feed starts with every record the caller may see",
    example: "eyJ2IjoxLCJiIjoiM2YxYzBhOWU1YjdkMmM0ZSIsInIiOjQyLCJtIjoxMiwicyI6bnVsbH0",
  }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_SYNC_PAGE)
    .default(DEFAULT_SYNC_PAGE)
    .openapi({ description: `Changes per page, 1..${MAX_SYNC_PAGE}`, example: DEFAULT_SYNC_PAGE }),
});

export const SyncMemberSchema = z
  .object({
    member_id: z.string().openapi({ example: "mentor-042" }),
    name: z.string().openapi({ example: "Sam Rivera" }),
    roles: z.array(z.enum(MEMBER_ROLES)).openapi({ example: ["mentor"] }),
    active: z.boolean().openapi({ example: true }),
  })
  .openapi("SyncMember");

const changeFields = {
  op: z.enum(["upsert", "delete"]).openapi({
    description:
      "`upsert`: store `data` under `id`; `delete`: the record was deleted or left the caller's view (for example an attribution moved to another mentor): drop it",
  }),
  id: z.string().openapi({ description: "The record's ID (log_id, attribution_id or member_id)" }),
  changed_at: z.string().openapi({ example: "2026-03-26T13:05:00Z" }),
};

const ActivityLogChange = z
  .object({
    type: z.literal("activity_log"),
    ...changeFields,
    // A union rather than .nullable(): a nullable reference renders as allOf, which no null satisfies.
    data: z.union([ActivityLogSchema, z.null()]),
  })
  .openapi("SyncActivityLogChange", {
    description: "`data`: the entry as GET /api/v1/activity-logs lists it; null on a delete",
  });

const AttributionChange = z
  .object({
    type: z.literal("attribution"),
    ...changeFields,
    data: z.union([AttributionSchema, z.null()]),
  })
  .openapi("SyncAttributionChange", {
    description:
      "`data`: the attribution as GET /api/v1/activity-attributions lists it (no audit_trail); null on a delete",
  });

const MemberChange = z
  .object({
    type: z.literal("member"),
    ...changeFields,
    data: z.union([SyncMemberSchema, z.null()]),
  })
  .openapi("SyncMemberChange", { description: "`data`: the member; null on a delete" });

export const SyncChangeSchema = z.discriminatedUnion("type", [
  ActivityLogChange,
  AttributionChange,
  MemberChange,
]);

export const SyncPageSchema = z
  .object({
    changes: z.array(SyncChangeSchema).openapi({ description: "In commit order" }),
    next_cursor: z.string().openapi({
      description:
        "Send it back as `cursor`, now for the rest or later for what changed since; keep it with the local copy",
    }),
    has_more: z
      .boolean()
      .openapi({ description: "Whether more changes are ready now; pull again until false" }),
  })
  .openapi("SyncPage", {
    example: {
      changes: [
        {
          type: "activity_log",
          op: "upsert",
          id: activityLogExamples.create.log_id,
          data: activityLogExamples.create,
          changed_at: "2026-03-26T13:05:00Z",
        },
        {
          type: "attribution",
          op: "delete",
          id: "attr-20260325-004",
          data: null,
          changed_at: "2026-03-26T13:06:00Z",
        },
        {
          type: "member",
          op: "upsert",
          id: "mentor-042",
          data: { member_id: "mentor-042", name: "Sam Rivera", roles: ["mentor"], active: true },
          changed_at: "2026-03-26T13:07:00Z",
        },
      ],
      next_cursor: "eyJ2IjoxLCJiIjoiM2YxYzBhOWU1YjdkMmM0ZSIsInIiOjQyLCJtIjoxMiwicyI6bnVsbH0",
      has_more: false,
    },
  });
