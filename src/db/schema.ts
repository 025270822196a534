/**
 * The tables of the databases organisations live on, one file per job under `tables/`:
 * members and activities, attributions and their batches, and the bookkeeping beside them
 * (the audit outbox, idempotency keys, the changes feed, move freezes). Importers and
 * drizzle-kit (`drizzle.config.ts`) read them all from here.
 */
export * from "./tables/activities.ts";
export * from "./tables/attributions.ts";
export * from "./tables/bookkeeping.ts";
export { CONFIRMATION_STATUSES, type ConfirmationStatus, sqlNowIso } from "./tables/columns.ts";
