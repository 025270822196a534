import { asc, type SQL, sql } from "drizzle-orm";
import type { Db } from "../client";
import { type ActivityTypeRow, activityTypes } from "../schema";

export async function listActivityTypes(db: Db): Promise<ActivityTypeRow[]> {
  return db.select().from(activityTypes).orderBy(asc(activityTypes.id)).all();
}

/** Whether the catalogue holds the type, for use inside a larger statement. */
export const activityTypeKnown = (typeId: SQL | string): SQL =>
  sql`exists (select 1 from ${activityTypes} where id = ${typeId})`;
