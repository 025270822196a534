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

/** Most mentors one bulk registration may name. */
export const BATCH_MAX_MENTORS = 100;
