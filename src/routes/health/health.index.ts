import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../http/create-app";
import { HttpStatus } from "../../lib/http-status";
import { jsonContent } from "../../lib/openapi";

const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "health",
  summary: "Liveness check",
  tags: ["Service"],
  // Public, so that a load balancer or uptime check can call it without a token.
  security: [],
  responses: {
    [HttpStatus.OK]: jsonContent(z.object({ status: z.literal("ok") }).openapi("Health"), "The Worker is up"),
  },
});

export const healthRouter = createRouter().openapi(health, (c) =>
  c.json({ status: "ok" as const }, HttpStatus.OK),
);
