import type { ActivityRow, AttributionRow, BatchRow, ConfirmationStatus, EntryMode } from "../schema";

/**
 * Rows as raw SQL statements return them (snake_case columns, integers for booleans, JSON as
 * text), and their mapping to drizzle's row types. The set-based writes run raw SQL as steps
 * of their batch (`rows` in write-batch.ts), so this is where their results become typed rows.
 */

/** A raw `attributions` row, plus the names a statement joined to it. */
export interface AttributionRowRaw {
  org_id: string;
  attribution_id: string;
  activity_id: string;
  mentor_id: string;
  coordinator_id: string;
  activity_type_id: string;
  activity_date: string;
  duration_minutes: number | null;
  location: string | null;
  notes: string | null;
  proxy: number;
  entry_mode: "proxy" | "bulk";
  batch_id: string | null;
  confirmation_status: ConfirmationStatus;
  confirmation_by: string | null;
  confirmation_at: string | null;
  confirmation_reason: string | null;
  created_by: string;
  last_event_id: string;
  created_at: string;
  updated_at: string;
  mentor_name: string | null;
  coordinator_name: string | null;
}

export function attributionFromRaw(raw: AttributionRowRaw): AttributionRow {
  return {
    orgId: raw.org_id,
    attributionId: raw.attribution_id,
    activityId: raw.activity_id,
    mentorId: raw.mentor_id,
    coordinatorId: raw.coordinator_id,
    activityTypeId: raw.activity_type_id,
    activityDate: raw.activity_date,
    durationMinutes: raw.duration_minutes,
    location: raw.location,
    notes: raw.notes,
    proxy: Boolean(raw.proxy),
    entryMode: raw.entry_mode,
    batchId: raw.batch_id,
    confirmationStatus: raw.confirmation_status,
    confirmationBy: raw.confirmation_by,
    confirmationAt: raw.confirmation_at,
    confirmationReason: raw.confirmation_reason,
    createdBy: raw.created_by,
    lastEventId: raw.last_event_id,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

/** A raw `activities` row. */
export interface ActivityRowRaw {
  org_id: string;
  activity_id: string;
  mentor_id: string;
  activity_type: string;
  description: string;
  contact_id: string | null;
  duration_minutes: number | null;
  location: string | null;
  notes: string | null;
  occurred_at: string;
  entry_mode: EntryMode;
  attribution_id: string | null;
  batch_id: string | null;
  confirmation_status: ConfirmationStatus;
  confirmation_by: string | null;
  confirmation_at: string | null;
  confirmation_reason: string | null;
  client_ref: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export function activityFromRaw(raw: ActivityRowRaw): ActivityRow {
  return {
    orgId: raw.org_id,
    activityId: raw.activity_id,
    mentorId: raw.mentor_id,
    activityType: raw.activity_type,
    description: raw.description,
    contactId: raw.contact_id,
    durationMinutes: raw.duration_minutes,
    location: raw.location,
    notes: raw.notes,
    occurredAt: raw.occurred_at,
    entryMode: raw.entry_mode,
    attributionId: raw.attribution_id,
    batchId: raw.batch_id,
    confirmationStatus: raw.confirmation_status,
    confirmationBy: raw.confirmation_by,
    confirmationAt: raw.confirmation_at,
    confirmationReason: raw.confirmation_reason,
    clientRef: raw.client_ref,
    createdBy: raw.created_by,
    createdAt: raw.created_at,
    updatedAt: raw.updated_at,
  };
}

/** A raw `batches` row. */
export interface BatchRaw {
  org_id: string;
  batch_id: string;
  coordinator_id: string;
  created_by: string;
  activity_type_id: string;
  activity_date: string;
  duration_minutes: number | null;
  location: string | null;
  notes: string | null;
  mentor_ids: string;
  items: string;
  mentor_count: number;
  skipped_count: number;
  status: "pending" | "confirmed";
  created_at: string;
  confirmed_at: string | null;
}

export function batchFromRaw(raw: BatchRaw): BatchRow {
  return {
    orgId: raw.org_id,
    batchId: raw.batch_id,
    coordinatorId: raw.coordinator_id,
    createdBy: raw.created_by,
    activityTypeId: raw.activity_type_id,
    activityDate: raw.activity_date,
    durationMinutes: raw.duration_minutes,
    location: raw.location,
    notes: raw.notes,
    mentorIds: JSON.parse(raw.mentor_ids) as string[],
    items: JSON.parse(raw.items) as BatchRow["items"],
    mentorCount: raw.mentor_count,
    skippedCount: raw.skipped_count,
    status: raw.status,
    createdAt: raw.created_at,
    confirmedAt: raw.confirmed_at,
  };
}
