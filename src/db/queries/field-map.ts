import { getTableColumns, type InferSelectModel, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * A representation is written once, as a map of fields, each read both in TypeScript (from a row
 * as drizzle gives it, for a presenter) and in SQL (from the same row aliased in a statement, for
 * the answer a write batch stores for its Idempotency-Key and the ETag a replay carries). Both
 * sides of a field stand next to each other, and both representations take the map's order, so
 * a presenter and its SQL cannot drift apart.
 */

/** One field of a representation: from a TypeScript source `S`, and from an SQL source `X`. */
export interface Field<S, X, T> {
  readonly of: (source: S) => T;
  readonly sql: (source: X) => SQL;
}

/** What an SQL source names at least: the alias of the row its fields are read from. */
export interface Aliased {
  readonly alias: string;
}

export type FieldMap<S, X> = Record<string, Field<S, X, unknown>>;

/** The object a field map presents. */
export type Shape<F> = { [K in keyof F]: F[K] extends Field<never, never, infer T> ? T : never };

export interface Representation<S, X, F extends FieldMap<S, X>> {
  readonly fields: F;
  /** The representation of a source, in the map's order. */
  of(source: S): Shape<F>;
  /** The same representation in SQL, as a JSON object in the map's order. */
  json(source: X): SQL;
}

/** Fixes the sources' types, then takes the map (so that its fields' types are inferred). */
export function representation<S, X>() {
  return <F extends FieldMap<S, X>>(fields: F): Representation<S, X, F> => ({
    fields,
    of: (source) =>
      Object.fromEntries(Object.entries(fields).map(([name, field]) => [name, field.of(source)])) as Shape<F>,
    json: (source) =>
      sql`json_object(${sql.join(
        Object.entries(fields).map(([name, field]) => sql`${name}, ${field.sql(source)}`),
        sql`, `,
      )})`,
  });
}

/** Fields read from the columns of `table`, for sources that hold one of its rows. */
export function columnFields<T extends SQLiteTable, S, X extends Aliased>(
  table: T,
  rowOf: (source: S) => InferSelectModel<T>,
) {
  type Row = InferSelectModel<T>;
  const columns: Record<string, { name: string }> = getTableColumns(table);
  const ref = (source: X, key: string) => sql.raw(`${source.alias}.${columns[key]?.name ?? key}`);
  return {
    /** The column as stored. */
    column: <K extends keyof Row & string>(key: K): Field<S, X, Row[K]> => ({
      of: (source) => rowOf(source)[key],
      sql: (source) => ref(source, key),
    }),
    /** A boolean column (stored as 0 or 1), as JSON true or false. */
    flag: <K extends keyof Row & string>(key: K): Field<S, X, Row[K]> => ({
      of: (source) => rowOf(source)[key],
      sql: (source) => sql`json(case when ${ref(source, key)} then 'true' else 'false' end)`,
    }),
  };
}

/** A value the source carries beside its row (a name joined to it), under the same key on both sides. */
export const given = <S, X, K extends keyof S & keyof X>(key: K): Field<S, X, S[K]> => ({
  of: (source) => source[key],
  sql: (source) => sql`${source[key] as SQL}`,
});

/** The same value whatever the source. */
export const constant = <S, X, const V extends boolean>(value: V): Field<S, X, V> => ({
  of: () => value,
  sql: () => sql`json(${value ? "true" : "false"})`,
});

/** `T` with the fields `P` known to hold a value. */
type Holding<T, P extends keyof T> = { [K in keyof T]: K extends P ? NonNullable<T[K]> : T[K] };

/** A nested object of fields, or null unless every field of `present` holds a value. */
export const objectOrNull =
  <S, X>() =>
  <F extends FieldMap<S, X>, P extends keyof F & string>(
    fields: F,
    present: readonly P[],
  ): Field<S, X, Holding<Shape<F>, P> | null> => {
    const nested = representation<S, X>()(fields);
    return {
      of: (source) =>
        present.some((name) => fields[name]?.of(source) === null)
          ? null
          : (nested.of(source) as Holding<Shape<F>, P>),
      sql: (source) => {
        const missing = present.map((name) => sql`${fields[name]?.sql(source) ?? sql`null`} is null`);
        return sql`case when ${sql.join(missing, sql` or `)} then null else ${nested.json(source)} end`;
      },
    };
  };

/**
 * What an ETag hashes beside the representation (`entityTag` over the body and its version): the
 * resource's kind and ID, and the fields of its version. A replay rebuilds the tag from the body
 * it stored and the basis the same write batch stored beside it.
 */
export interface TagBasis<S, X, V extends FieldMap<S, X>> {
  readonly kind: string;
  readonly id: Field<S, X, string>;
  readonly version: Representation<S, X, V>;
}

/** The basis of the tag of a resource whose representation says its version itself (its `updated_at`). */
export const bodyTag = <S, X>(
  kind: string,
  id: Field<S, X, string>,
): TagBasis<S, X, Record<string, never>> => ({
  kind,
  id,
  version: representation<S, X>()({}),
});

/** The basis of a tag in SQL: `{kind, id, version}`, as a replay reads it back. */
export const tagBasisJson = <S, X, V extends FieldMap<S, X>>(basis: TagBasis<S, X, V>, source: X): SQL =>
  sql`json_object('kind', ${basis.kind}, 'id', ${basis.id.sql(source)}, 'version', ${basis.version.json(source)})`;
