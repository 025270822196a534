export type Present<T> = { [K in keyof T]?: Exclude<T[K], null> };

/** Absent fields are left out of responses rather than sent as null, as the seeds show them. */
export function present<T extends Record<string, unknown>>(fields: T): Present<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null)) as Present<T>;
}
