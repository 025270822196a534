/**
 * The CSV codec of audit exports. Strings are always quoted (`""` escapes a quote, and a quoted
 * value may span lines), integers are bare, and NULL is an empty bare field, so NULL and the
 * empty string stay apart, as the payload hash needs.
 *
 * A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` (or tab or CR) as a formula,
 * so such a string (and one beginning with `'`) is written with a leading `'`. Every string that
 * begins with `'` is escaped, so `unescapeFormula` undoes it exactly and the file still verifies;
 * and a cell the writer would have escaped but that is not (a live formula put back into the file)
 * is no cell this codec writes, so the line is refused.
 */

const FORMULA_START = /^[=+\-@\t\r']/;

export const escapeFormula = (value: string): string => (FORMULA_START.test(value) ? `'${value}` : value);

/** The value an escaped cell holds, or null for a cell the writer cannot have written. */
export function unescapeFormula(cell: string): string | null {
  if (!FORMULA_START.test(cell)) return cell;
  return cell.startsWith("'") && FORMULA_START.test(cell.slice(1)) ? cell.slice(1) : null;
}

export function csvValue(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  return `"${escapeFormula(value).replaceAll('"', '""')}"`;
}

/** Whether a record's quotes are balanced (a quoted value spanning lines is not yet complete). */
export const csvRecordComplete = (record: string): boolean => (record.split('"').length - 1) % 2 === 0;

/** Splits one CSV record; bare fields are integers or NULL, quoted ones strings (unescaped). */
export function csvFields(record: string): (string | number | null)[] | null {
  const fields: (string | number | null)[] = [];
  let i = 0;
  for (;;) {
    if (record[i] === '"') {
      let value = "";
      i += 1;
      for (;;) {
        const quote = record.indexOf('"', i);
        if (quote === -1) return null;
        value += record.slice(i, quote);
        if (record[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      const unescaped = unescapeFormula(value);
      if (unescaped === null) return null;
      fields.push(unescaped);
    } else {
      const end = record.indexOf(",", i);
      const bare = record.slice(i, end === -1 ? undefined : end);
      if (bare !== "" && !/^-?\d+$/.test(bare)) return null;
      fields.push(bare === "" ? null : Number(bare));
      i = end === -1 ? record.length : end;
    }
    if (i === record.length) return fields;
    if (record[i] !== ",") return null;
    i += 1;
  }
}
