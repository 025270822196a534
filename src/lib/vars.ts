/**
 * Configuration vars (text set in wrangler.toml, `.dev.vars` or as a secret) read with zod. A
 * reader is a var's schema made for the var's name, so that a var is one line of a schema
 * (`JWT_MAX_TTL_SECONDS: wholeNumber("seconds", 86_400)`) and each problem names its var;
 * `varsSchema` makes readers one schema over the bindings.
 */
import { z } from "zod";

/** A var's schema, made for its name. */
export type VarReader<T> = (name: string) => z.ZodType<T>;
export type VarReaders = Record<string, VarReader<unknown>>;

/** Text, trimmed; blank or unset is undefined. */
export const text: VarReader<string | undefined> = (name) =>
  z
    .string({ error: `${name} must be text` })
    .optional()
    .transform((value) => value?.trim() || undefined);

/** A whole number above 0, `fallback` when unset; anything else is a problem. */
export const wholeNumber =
  (unit: string, fallback: number): VarReader<number> =>
  (name) =>
    text(name).transform((value, ctx) => {
      if (value === undefined) return fallback;
      const parsed = Number(value);
      if (Number.isInteger(parsed) && parsed > 0) return parsed;
      ctx.addIssue({ code: "custom", message: `${name} must be a whole number of ${unit} above 0` });
      return z.NEVER;
    });

/** As `wholeNumber`, for a value that only describes something configured elsewhere: a wrong one is no problem, `fallback` stands. */
export const wholeNumberOr =
  (unit: string, fallback: number): VarReader<number> =>
  (name) =>
    wholeNumber(unit, fallback)(name).catch(fallback);

/** One schema over the bindings, a field per var; the other bindings pass through untouched. */
export function varsSchema<R extends VarReaders>(readers: R) {
  const shape = Object.fromEntries(Object.entries(readers).map(([name, reader]) => [name, reader(name)]));
  return z.looseObject(shape as { [K in keyof R]: ReturnType<R[K]> });
}

/** Every problem of a parse that failed, a line each, as the readers and checks worded them. */
export const problemsOf = (error: z.ZodError): string[] => error.issues.map((issue) => issue.message);
