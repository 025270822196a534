import { eq, sql } from "drizzle-orm";
import type { Db } from "../../src/db/client";
import { auditOutbox } from "../../src/db/schema";

/** How many audit events wait in the outbox, for one organisation or all. */
export async function outboxSize(db: Db, orgId?: string): Promise<number> {
  const query = db.select({ n: sql<number>`count(*)` }).from(auditOutbox);
  const row = await (orgId === undefined ? query : query.where(eq(auditOutbox.orgId, orgId))).get();
  return row?.n ?? 0;
}
