import type { Context } from "hono";
import { AppError } from "../lib/errors";
import type { AppBindings } from "../lib/types";
import type { Caller, Role } from "./caller";

/**
 * States which roles an operation allows and answers the caller, or throws 403.
 * Ownership rules ("own", "as itself") are checked by the handler on top of this.
 */
export function allow(c: Context<AppBindings>, ...roles: Role[]): Caller {
  const caller = c.get("caller");
  if (!caller.roles.some((r) => roles.includes(r))) {
    throw new AppError("forbidden", `This operation requires one of the roles: ${roles.join(", ")}`);
  }
  return caller;
}
