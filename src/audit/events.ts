import { z } from "@hono/zod-openapi";
import { fieldErrors } from "../lib/errors";
import { RefId } from "../lib/fields";
import {
  MAX_APPEND_EVENTS,
  MAX_AUDIT_LIST_LIMIT,
  MAX_BATCH_MENTORS,
  MAX_CHANGED_FIELDS,
  MAX_EVENT_ID_LENGTH,
  MAX_EXPORT_CHUNK_ROWS,
  MAX_FILTER_ACTIONS,
  MAX_ID_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_IP_LENGTH,
  MAX_JSON_DEPTH,
  MAX_NAME_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_USER_AGENT_LENGTH,
} from "../lib/limits";
import { IsoDateTime, IsoDateTimeFrom } from "../lib/time";
import { ANNOTATION_ACTION, DELETION_ACTION, RECORD_ACTIONS } from "./chain";

/** How an action is named; the stored vocabulary is open so producers can add actions. */
const ACTION_PATTERN = /^[a-z][a-z0-9_]{2,63}$/;

export const ActionName = z
  .string()
  .regex(ACTION_PATTERN, "Expected a lowercase action name like proxy_created (3 to 64 of a-z, 0-9, _)")
  .openapi({ example: "proxy_created" });

/** An action a producer may append: any well-formed name except the object's own record actions. */
export const EventAction = ActionName.refine((action) => !RECORD_ACTIONS.includes(action), {
  message: `${ANNOTATION_ACTION} and ${DELETION_ACTION} are written by the audit log itself`,
});

/** A reference to a member, activity, attribution or batch. */
export const AuditRef = RefId;

/**
 * An ID as a token may carry it (a service's subject need not look like a member ID). Actors
 * and filter values are only stored and compared, so no pattern is imposed.
 */
export const OpaqueId = z.string().min(1).max(MAX_ID_LENGTH);

export const EventId = z
  .string()
  .min(1)
  .max(MAX_EVENT_ID_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "Letters, digits, '_', '.', ':' and '-' only")
  .openapi({ example: "attr-20260324-001:created" });

const Name = z.string().trim().min(1).max(MAX_NAME_LENGTH);

function isJsonValue(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (depth >= MAX_JSON_DEPTH || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  // Anything but a plain object (a Date, a Map) would hash as something it is not.
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  return Object.values(value).every((item) => isJsonValue(item, depth + 1));
}

// z.json() would say the same, but its recursive schema overflows the OpenAPI generator.
const JsonValue = z.unknown().refine((value) => isJsonValue(value), {
  message: `Expected a JSON value nested at most ${MAX_JSON_DEPTH} deep`,
});

const Change = z
  .strictObject({ from: JsonValue.optional(), to: JsonValue.optional() })
  .transform(({ from, to }) => ({ from: from ?? null, to: to ?? null }));

/** `{field: {from, to}}`; a missing side is null. */
export const ChangesSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "Expected a field name like duration_minutes"), Change)
  .refine((changes) => Object.keys(changes).length <= MAX_CHANGED_FIELDS, {
    message: `At most ${MAX_CHANGED_FIELDS} changed fields`,
  });

export const MentorIds = z.array(AuditRef).min(1).max(MAX_BATCH_MENTORS);

const IpAddress = z.string().min(1).max(MAX_IP_LENGTH);
const UserAgent = z.string().min(1).max(MAX_USER_AGENT_LENGTH);

/** The object checks every event itself: it is the last line before the chain. */
export const auditEventSchema = z.strictObject({
  event_id: EventId,
  action: EventAction,
  actor_id: OpaqueId,
  actor_name: Name.nullish(),
  coordinator_id: AuditRef.nullish(),
  mentor_id: AuditRef.nullish(),
  mentor_name: Name.nullish(),
  activity_id: AuditRef.nullish(),
  attribution_id: AuditRef.nullish(),
  batch_id: AuditRef.nullish(),
  mentor_ids: MentorIds.nullish(),
  activity_type_id: AuditRef.nullish(),
  activity_date: IsoDateTime.nullish(),
  mentor_count: z.number().int().min(0).nullish(),
  skipped_count: z.number().int().min(0).nullish(),
  changes: ChangesSchema.nullish(),
  ip_address: IpAddress.nullish(),
  user_agent: UserAgent.nullish(),
  member_id: AuditRef.nullish(),
  occurred_at: IsoDateTime.nullish(),
});

export type ParsedEvent = z.output<typeof auditEventSchema>;

export const auditEventsSchema = z.array(auditEventSchema).max(MAX_APPEND_EVENTS);

export const auditIdempotencyKeySchema = z.strictObject({
  caller_id: OpaqueId,
  key: z.string().min(1).max(MAX_IDEMPOTENCY_KEY_LENGTH),
  fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
});

/** A response to keep under a key: a status below 500 (a 5xx frees the key instead) and its text. */
export const keptResponseSchema = z.strictObject({
  status: z.number().int().min(200).max(499),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
});

export const entryWriteOptionsSchema = z.strictObject({
  key: auditIdempotencyKeySchema.optional(),
  seen: z.strictObject({ annotation: OpaqueId.nullable() }).optional(),
});

export const auditActorSchema = z.strictObject({
  actor_id: OpaqueId,
  actor_name: Name.nullish(),
  ip_address: IpAddress.nullish(),
  user_agent: UserAgent.nullish(),
});

export type ParsedActor = z.output<typeof auditActorSchema>;

export const auditNoteSchema = z.strictObject({
  annotation: z.string().trim().min(1).max(MAX_TEXT_LENGTH),
  reviewed_by: AuditRef,
});

export const auditListQuerySchema = z.strictObject({
  actions: z.array(ActionName).min(1).max(MAX_FILTER_ACTIONS).optional(),
  actor_id: OpaqueId.optional(),
  coordinator_id: OpaqueId.optional(),
  mentor_id: OpaqueId.optional(),
  activity_id: OpaqueId.optional(),
  attribution_id: OpaqueId.optional(),
  batch_id: OpaqueId.optional(),
  member_id: OpaqueId.optional(),
  from: IsoDateTimeFrom.optional(),
  to: IsoDateTime.optional(),
  order: z.enum(["asc", "desc"]).optional(),
  limit: z.number().int().min(1).max(MAX_AUDIT_LIST_LIMIT),
  offset: z.number().int().min(0),
});

export const seqSchema = z.number().int().min(1);

export const treeSizeSchema = z.number().int().min(0);

export const auditExportRangeSchema = z.strictObject({
  from: IsoDateTimeFrom.optional(),
  to: IsoDateTime.optional(),
});

export const exportChunkSchema = z.strictObject({
  after_seq: z.number().int().min(0),
  last_seq: z.number().int().min(0),
  limit: z.number().int().min(1).max(MAX_EXPORT_CHUNK_ROWS),
});

/**
 * Parses what an RPC caller sent, or throws an Error naming each bad field. A ZodError would
 * reach the caller as the bare word "ZodError", since RPC keeps only an error's message.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = fieldErrors(result.error, what).map((e) => `${e.path}: ${e.message}`);
  throw new TypeError(`Invalid ${what}: ${problems.join("; ")}`);
}
