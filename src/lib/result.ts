/**
 * What a write answers: the written value, or why nothing was written, with the target as it
 * stands where the write looked at it (`current`), so a refusal can be explained without
 * another read. Every query that may decline a write answers one of these; none answers
 * `undefined` or throws for a refusal.
 */
export type Result<T, Reason extends string, Current = undefined> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: Reason; readonly current: Current };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });

export function refused<Reason extends string>(
  reason: Reason,
): { readonly ok: false; readonly reason: Reason; readonly current: undefined };
export function refused<Reason extends string, Current>(
  reason: Reason,
  current: Current,
): { readonly ok: false; readonly reason: Reason; readonly current: Current };
export function refused<Reason extends string, Current>(reason: Reason, current?: Current) {
  return { ok: false as const, reason, current };
}
