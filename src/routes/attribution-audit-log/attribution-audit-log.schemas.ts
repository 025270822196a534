import { z } from "@hono/zod-openapi";
import { ORG_LOG_EVENTS } from "../../audit/vocabulary";
import { MemberId, rangeInOrder } from "../../lib/fields";
import { pageOf, pageQuery } from "../../lib/openapi";
import { IsoDateTime, IsoDateTimeFrom } from "../../lib/time";

export const OrgAuditLogQuery = z
  .object({
    ...pageQuery({ limit: 50, max: 200 }),
    from: IsoDateTimeFrom.optional().openapi({ description: "Default: 30 days before `to`" }),
    to: IsoDateTime.optional().openapi({ description: "Default: now" }),
    event: z.enum(ORG_LOG_EVENTS).optional(),
    actor_id: MemberId.optional(),
    mentor_id: MemberId.optional(),
  })
  .superRefine(rangeInOrder);

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
