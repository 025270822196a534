import { z } from "@hono/zod-openapi";
import { RANGE_ORDER_MESSAGE } from "./errors";
import { MAX_CLIENT_REF_LENGTH, MAX_DURATION_MINUTES, MAX_ID_LENGTH, MIN_DURATION_MINUTES } from "./limits";

/**
 * Field schemas more than one resource takes, written once. Routes add their own
 * descriptions and examples with `.openapi()`.
 */

/** What a member, activity or any other reference ID may hold. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A member, activity or other reference ID: 1..64 letters, digits, '_', '.', '-', starting alphanumeric. */
export const RefId = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(ID_PATTERN, "Letters, digits, '_', '.' and '-' only");

export const MemberId = RefId.openapi({ example: "mentor-042" });

export const AttributionId = z
  .string()
  .regex(/^attr-\d{8}-\d{3,}$/, "Expected an attribution ID like attr-20260325-001")
  .openapi({ example: "attr-20260325-001" });

export const BatchId = z
  .string()
  .regex(/^batch-\d{8}-\d{3,}$/, "Expected a batch ID like batch-20260325-007")
  .openapi({ example: "batch-20260325-007" });

/** An ID of the activity type catalogue; whether it exists is checked against the catalogue. */
export const ActivityTypeId = z.string().min(1).max(MAX_ID_LENGTH).openapi({
  description: "An ID of the activity type catalogue (GET /api/v1/activity-types); unknown IDs are a 400",
  example: "session_completed",
});

/** Whole minutes an activity lasted. */
export const DurationMinutes = z
  .number()
  .int()
  .min(MIN_DURATION_MINUTES)
  .max(MAX_DURATION_MINUTES)
  .openapi({ description: `Whole minutes, ${MIN_DURATION_MINUTES}..${MAX_DURATION_MINUTES}`, example: 60 });

/** The one from/to order check, for a query schema's superRefine: both bounds are named. */
export function rangeInOrder(range: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    for (const path of ["from", "to"])
      ctx.addIssue({ code: "custom", path: [path], message: RANGE_ORDER_MESSAGE });
  }
}

/** The app's own ID of an entry it queued offline (SPEC §10): unique per mentor. */
export const ClientRef = z
  .string()
  .min(1)
  .max(MAX_CLIENT_REF_LENGTH)
  .regex(/^[A-Za-z0-9_.:-]+$/, "Expected 1..64 of A-Z, a-z, 0-9, _ . : -")
  .openapi({
    description:
      "The app's own ID of the entry, unique per mentor: sending it again with the same content returns the stored entry and writes nothing",
    example: "ios-7F3A9C2E:42",
  });
