import fc from "fast-check";

/** The part of JSON Schema (as the OpenAPI 3.1 document carries it) the generators read. */
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

export interface SchemaContext {
  /** components.schemas of the document, for $ref. */
  components: Record<string, JsonSchema>;
  /** Known-good values by property name (real member IDs, catalogue types), mixed into the generated ones. */
  hints: Record<string, string[]>;
}

const MAX_GENERATED_STRING = 40;
const MAX_GENERATED_ITEMS = 5;
const REF_PREFIX = "#/components/schemas/";

export function resolve(schema: JsonSchema, ctx: SchemaContext): JsonSchema {
  if (!schema.$ref) return schema;
  const target = ctx.components[schema.$ref.slice(REF_PREFIX.length)];
  if (!target) throw new Error(`Unresolvable $ref ${schema.$ref}`);
  return resolve(target, ctx);
}

const twoDigits = (n: number) => String(n).padStart(2, "0");

/** ISO 8601 date-times from 1970 to 9999 with a Z or a numeric offset. */
const dateTime = fc
  .tuple(
    fc.date({
      min: new Date("1970-01-01T00:00:00Z"),
      max: new Date("9999-12-30T00:00:00Z"),
      noInvalidDate: true,
    }),
    fc.oneof(
      fc.constant("Z"),
      fc.integer({ min: -12, max: 14 }).map((h) => `${h < 0 ? "-" : "+"}${twoDigits(Math.abs(h))}:00`),
    ),
  )
  .map(([date, zone]) => `${date.toISOString().slice(0, 19)}${zone}`);

const calendarDate = fc
  .date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("9998-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

function stringArbitrary(schema: JsonSchema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? MAX_GENERATED_STRING, Math.max(min, MAX_GENERATED_STRING));
  if (schema.format === "date-time") return dateTime;
  if (schema.format === "date") return calendarDate;
  if (schema.pattern) {
    const lengthOk = (s: string) =>
      s.length >= min && s.length <= (schema.maxLength ?? Number.POSITIVE_INFINITY);
    return fc.stringMatching(new RegExp(schema.pattern), { size: "small" }).filter(lengthOk);
  }
  return fc.string({ minLength: min, maxLength: max, unit: "grapheme" });
}

function numberArbitrary(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min =
    schema.minimum ?? (schema.exclusiveMinimum === undefined ? -1_000_000 : schema.exclusiveMinimum + 1);
  const max =
    schema.maximum ?? (schema.exclusiveMaximum === undefined ? 1_000_000 : schema.exclusiveMaximum - 1);
  // Unbounded sides are capped; fast-check's bias then favours the bounds and small values.
  const low = Math.max(min, -1_000_000);
  const high = Math.min(max, 1_000_000);
  return integer
    ? fc.integer({ min: low, max: high })
    : fc.double({ min: low, max: high, noNaN: true, noDefaultInfinity: true });
}

/** Values the schema accepts, or at least values shaped like them (patterns, formats, bounds). */
export function valueFor(schema: JsonSchema, ctx: SchemaContext, name?: string): fc.Arbitrary<unknown> {
  const s = resolve(schema, ctx);
  const hinted = name ? ctx.hints[name] : undefined;
  const generated = generatedValueFor(s, ctx, name);
  return hinted && hinted.length > 0 ? fc.oneof(fc.constantFrom(...hinted), generated) : generated;
}

function generatedValueFor(s: JsonSchema, ctx: SchemaContext, name?: string): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  const variants = s.anyOf ?? s.oneOf;
  if (variants && variants.length > 0) return fc.oneof(...variants.map((v) => valueFor(v, ctx)));
  if (s.allOf && s.allOf.length > 0) {
    const [first] = s.allOf;
    if (first) return valueFor(first, ctx);
  }
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => generatedValueFor({ ...s, type }, ctx, name)));
  switch (types[0]) {
    case "string":
      return stringArbitrary(s);
    case "integer":
      return numberArbitrary(s, true);
    case "number":
      return numberArbitrary(s, false);
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array":
      // Items take the hints of `name[]`, so an array of member IDs can name real members.
      return fc.array(s.items ? valueFor(s.items, ctx, name && `${name}[]`) : fc.jsonValue(), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(
          s.maxItems ?? MAX_GENERATED_ITEMS,
          Math.max(s.minItems ?? 0, MAX_GENERATED_ITEMS),
        ),
      });
    case "object":
      return objectFor(s, ctx);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

export function objectFor(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<Record<string, unknown>> {
  const s = resolve(schema, ctx);
  const properties = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, property] of Object.entries(properties)) model[key] = valueFor(property, ctx, key);
  const requiredKeys = (s.required ?? []).filter((key) => key in properties);
  return fc.record(model, { requiredKeys });
}
