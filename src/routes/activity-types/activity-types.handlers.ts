import { allow } from "../../auth/policy";
import { listActivityTypes } from "../../db/queries/activity-types";
import { HttpStatus } from "../../lib/http-status";
import type { AppRouteHandler } from "../../types";
import type { ListRoute } from "./activity-types.routes";

export const list: AppRouteHandler<ListRoute> = async (c) => {
  allow(c.var.caller, "activity-types.read");
  const rows = await listActivityTypes(c.var.org.db);
  return c.json({ data: rows }, HttpStatus.OK);
};
