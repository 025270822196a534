/** Largest request body accepted, in bytes. A bulk registration of 100 mentors is about 5 KiB. */
export const MAX_BODY_BYTES = 64 * 1024;

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Largest page number accepted; deeper pages are better reached with filters. */
export const MAX_PAGE = 1_000_000;

export const MAX_ID_LENGTH = 64;
export const MAX_NAME_LENGTH = 200;
export const MAX_TEXT_LENGTH = 2000;

/** An activity lasts at least a minute and at most a day. */
export const MIN_DURATION_MINUTES = 1;
export const MAX_DURATION_MINUTES = 24 * 60;
/** Longer than any IANA zone name (the longest is about 30 characters). */
export const MAX_TIME_ZONE_LENGTH = 64;

/** Most mentors one bulk registration (and so one audit event) may name. */
export const MAX_BATCH_MENTORS = 100;
/** Longest location of an attributed activity. */
export const MAX_LOCATION_LENGTH = 200;
/** A changes-feed page (SPEC §10): 100 by default, at most 500. */
export const DEFAULT_SYNC_PAGE = 100;
export const MAX_SYNC_PAGE = 500;
/** A sync cursor is a small JSON object; this is far above any real one. */
export const MAX_SYNC_CURSOR_LENGTH = 256;
/** How many entries one batch upload may carry, and the body it may send (SPEC §10). */
export const MAX_UPLOAD_ENTRIES = 100;
export const MAX_UPLOAD_BODY_BYTES = 512 * 1024;
/** An app's own ID of a queued entry. */
export const MAX_CLIENT_REF_LENGTH = 64;

/** Longest reason a mentor gives for disputing an activity registered in its name (SPEC §11). */
export const MAX_DISPUTE_REASON_LENGTH = 500;

// The audit log object checks every call against these; they bound one RPC call's work.

/** Most fields one audit event's `changes` may name. */
export const MAX_CHANGED_FIELDS = 50;
/** A bulk confirmation appends one event per mentor plus its own, in one call. */
export const MAX_APPEND_EVENTS = 500;
export const MAX_EVENT_ID_LENGTH = 128;
/** An IPv6 address with a zone fits in 64 characters. */
export const MAX_IP_LENGTH = 64;
export const MAX_USER_AGENT_LENGTH = 512;
/** Largest page the audit object answers in one call. */
export const MAX_AUDIT_LIST_LIMIT = 500;
/** Most actions one audit list filter may name. */
export const MAX_FILTER_ACTIONS = 20;
/** How deeply a changed value may nest; bounds the recursion of checking and hashing it. */
export const MAX_JSON_DEPTH = 16;
/** Most events an attribution's audit trail shows. */
export const MAX_TRAIL_EVENTS = 200;
/** Most checkpoints one page of GET /checkpoints lists. */
export const MAX_CHECKPOINT_PAGE = 100;
/** Most rows one export chunk call answers; a chunk of full rows stays well under 1 MiB. */
export const MAX_EXPORT_CHUNK_ROWS = 500;
/** How long an Idempotency-Key and its answer are kept; the draft asks for at least a day. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;
/** 1..255 printable ASCII characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
