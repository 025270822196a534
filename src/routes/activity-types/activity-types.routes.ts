import { createRoute, z } from "@hono/zod-openapi";
import { HttpStatus } from "../../lib/http-status";
import { authedErrors, bearerSecurity, jsonContent } from "../../lib/openapi";

const ActivityTypeSchema = z
  .object({
    id: z.string().openapi({ example: "session_completed" }),
    label: z.string().openapi({ example: "Session completed" }),
    category: z.string().openapi({
      example: "session",
      description:
        "Drives the summary totals: session, referral, check_in, documentation, training, workshop",
    }),
  })
  .openapi("ActivityType");

export const list = createRoute({
  method: "get",
  path: "/api/v1/activity-types",
  operationId: "listActivityTypes",
  summary: "List the activity type catalogue",
  tags: ["Activity types"],
  security: bearerSecurity,
  responses: {
    [HttpStatus.OK]: jsonContent(
      z.object({ data: z.array(ActivityTypeSchema) }).openapi("ActivityTypeList"),
      "Every activity type, by ID",
    ),
    ...authedErrors,
  },
});

export type ListRoute = typeof list;
