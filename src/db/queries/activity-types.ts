import { asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { type ActivityTypeRow, activityTypes } from "../schema";

export async function listActivityTypes(db: Db): Promise<ActivityTypeRow[]> {
  return db.select().from(activityTypes).orderBy(asc(activityTypes.id)).all();
}

export async function getActivityType(db: Db, id: string): Promise<ActivityTypeRow | undefined> {
  return db.select().from(activityTypes).where(eq(activityTypes.id, id)).get();
}
