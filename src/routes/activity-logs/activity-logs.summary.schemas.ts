// The mentor's summary and count-by-type: their queries (a period in a time zone, or a range)
// and their answers.
import { z } from "@hono/zod-openapi";
import { MemberId, rangeInOrder } from "../../lib/fields";
import { MAX_TIME_ZONE_LENGTH } from "../../lib/limits";
import { canonicalTimeZone, PERIODS } from "../../lib/periods";
import { timeRange } from "./activity-logs.schemas";

const TimeZone = z
  .string()
  .min(1)
  .max(MAX_TIME_ZONE_LENGTH)
  .transform((value, ctx) => {
    const canonical = canonicalTimeZone(value);
    if (canonical === undefined) {
      ctx.addIssue({ code: "custom", message: "Unknown IANA time zone" });
      return z.NEVER;
    }
    return canonical;
  })
  .default("UTC")
  .openapi({
    type: "string",
    default: "UTC",
    description: "IANA time zone the period's calendar boundaries are taken in",
    example: "America/New_York",
  });

/** Four digit years keep both bounds of any period, in any zone, within what ISO text can carry. */
const AnchorDate = z.iso
  .date()
  .refine((value) => value >= "1970-01-01" && value <= "9998-12-31", "Expected a date from 1970 to 9998")
  .openapi({
    description: "A day inside the period, YYYY-MM-DD; default today in `tz`",
    example: "2026-03-15",
  });

export const SummaryQuery = z
  .object({
    period: z.enum(PERIODS).optional().openapi({
      description: "Calendar period holding `date` in `tz` (default month); weeks run Monday to Sunday",
    }),
    date: AnchorDate.optional(),
    tz: TimeZone,
    ...timeRange,
  })
  .superRefine((query, ctx) => {
    const custom = query.from !== undefined || query.to !== undefined;
    if (!custom) return;
    for (const key of ["from", "to"] as const) {
      if (query[key] === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: "from and to go together" });
      }
    }
    for (const key of ["period", "date"] as const) {
      if (query[key] !== undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: "Cannot be combined with from/to" });
      }
    }
    rangeInOrder(query, ctx);
  });

export const CountByTypeQuery = z.object(timeRange).superRefine(rangeInOrder);

export const MentorParams = z.object({ mentor_id: MemberId });

export const SummarySchema = z
  .object({
    mentor_id: z.string(),
    period: z.enum([...PERIODS, "custom"]),
    period_start: z.string().openapi({ description: "First second of the period, UTC" }),
    period_end: z.string().openapi({ description: "Last second of the period, UTC (inclusive)" }),
    time_zone: z.string().openapi({ description: "Canonical name of the zone the period was taken in" }),
    total_activities: z
      .number()
      .int()
      .openapi({
        description:
          "Activities in the period, whoever entered them; disputed ones are left out of this and every other " +
          "total, pending ones count",
      }),
    total_sessions: z.number().int().openapi({ description: "Activities whose type has category `session`" }),
    total_referrals: z
      .number()
      .int()
      .openapi({ description: "Activities whose type has category `referral`" }),
    total_check_ins: z
      .number()
      .int()
      .openapi({ description: "Activities whose type has category `check_in`" }),
    total_duration_minutes: z.number().int().openapi({ description: "Entries without a duration add 0" }),
    unique_contacts_supported: z
      .number()
      .int()
      .openapi({ description: "Distinct contact IDs; entries without a contact are not counted" }),
    pending_confirmation: z.number().int().openapi({
      description:
        "Registrations in the period the mentor has not confirmed or disputed yet (counted in the totals)",
    }),
    disputed: z.number().int().openapi({
      description: "Registrations in the period the mentor disputed (left out of the totals)",
    }),
  })
  .openapi("ActivitySummary", {
    example: {
      mentor_id: "mentor_a1b2c3",
      period: "month",
      period_start: "2026-03-01T00:00:00Z",
      period_end: "2026-03-31T23:59:59Z",
      time_zone: "UTC",
      total_activities: 12,
      total_sessions: 8,
      total_referrals: 2,
      total_check_ins: 2,
      total_duration_minutes: 520,
      unique_contacts_supported: 3,
      pending_confirmation: 1,
      disputed: 0,
    },
  });

export const CountByTypeSchema = z
  .object({
    mentor_id: z.string(),
    counts: z.record(z.string(), z.number().int()).openapi({
      description:
        "Activity type ID → number of activities, disputed ones left out; types that do not occur are absent",
    }),
  })
  .openapi("ActivityCountByType", {
    example: {
      mentor_id: "mentor_a1b2c3",
      counts: {
        session_completed: 42,
        referral_made: 7,
        check_in: 18,
        documentation: 15,
        training_attended: 4,
      },
    },
  });
