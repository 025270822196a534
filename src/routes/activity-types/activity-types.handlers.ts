import { allow } from "../../auth/authorize";
import { createDb } from "../../db/client";
import { listActivityTypes } from "../../db/queries/activity-types";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../lib/types";
import type { ListRoute } from "./activity-types.routes";

export const list: AppRouteHandler<ListRoute> = async (c) => {
  allow(c, "mentor", "coordinator", "admin", "compliance");
  const rows = await listActivityTypes(createDb(c.env.DB));
  return c.json({ data: rows }, HttpStatus.OK);
};
