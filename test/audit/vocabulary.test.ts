import { describe, expect, it } from "vitest";
import { RECORD_ACTIONS } from "../../src/audit/chain";
import {
  type ActionAbout,
  AUDIT_ACTIONS,
  type AuditAction,
  LOG_RECORD_ACTIONS,
  ORG_LOG_EVENTS,
  TRAIL_EVENTS,
} from "../../src/audit/vocabulary";
import type { RecordAction } from "../../src/db/queries/outbox";
import { call, json } from "../helpers/api";

const ACTIONS = Object.keys(AUDIT_ACTIONS) as AuditAction[];

/** What these tests read of a component schema of the served document. */
interface Schema {
  properties?: Record<string, { description?: string; enum?: unknown[] }>;
}

async function schemaOf(name: string): Promise<Schema> {
  const doc = await json<{ components: { schemas: Record<string, Schema> } }>(
    await call("GET", "/openapi.json"),
  );
  const schema = doc.components.schemas[name];
  if (schema === undefined) throw new Error(`no schema ${name}`);
  return schema;
}

function propertyOf(schema: Schema, name: string) {
  const property = schema.properties?.[name];
  if (property === undefined) throw new Error(`no property ${name}`);
  return property;
}

describe("the audit vocabulary", () => {
  it("names as the log's own records exactly those the audit object writes itself", () => {
    expect([...LOG_RECORD_ACTIONS].sort()).toEqual([...RECORD_ACTIONS].sort());
  });

  it("is described action by action where the API document describes an entry's action", async () => {
    const description = propertyOf(await schemaOf("ProxyAuditLogSummary"), "action").description ?? "";
    for (const action of ACTIONS) {
      expect(description).toContain(`\`${action}\`: ${AUDIT_ACTIONS[action].description}`);
    }
  });

  it("gives the organisation log and the audit trail the event names the API document lists", async () => {
    const trail = propertyOf(await schemaOf("AuditTrailEvent"), "event");
    expect(trail.enum).toEqual([...TRAIL_EVENTS, "redacted"]);
    const orgEvent = propertyOf(await schemaOf("OrgAuditEvent"), "event");
    expect(orgEvent.enum).toEqual(ORG_LOG_EVENTS);
  });

  it("types each payload's actions from the table, so an action missing from it does not compile", () => {
    const created: ActionAbout<"attribution"> = "proxy_created";
    const member: RecordAction = "member_updated";
    // @ts-expect-error: an action the table lacks is no attribution action
    const moved: ActionAbout<"attribution"> = "proxy_moved";
    // @ts-expect-error: a batch's action is not an attribution's
    const batch: ActionAbout<"attribution"> = "bulk_confirmed";
    // @ts-expect-error: the log's own records are written by no payload of the outbox
    const annotated: RecordAction = "entry_annotated";
    expect([created, member, moved, batch, annotated].every((a) => typeof a === "string")).toBe(true);
  });
});
