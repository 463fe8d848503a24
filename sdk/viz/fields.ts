// Eager checks on chart data, so a misspelt field fails where the chart is built, with the
// fields that do exist, rather than as a blank chart in the notebook.

import { isRecord } from "../io/json.js";

export type Row = object;

/** The fields of the first row; throws unless values is an array of plain objects. */
export function fieldsOf(fn: string, values: unknown): string[] {
  if (!Array.isArray(values)) throw new TypeError(`${fn}: values must be an array of objects (got ${describe(values)})`);
  const i = values.findIndex((r) => !isRecord(r));
  if (i >= 0) throw new TypeError(`${fn}: values[${i}] must be an object (got ${describe(values[i])})`);
  return values.length ? Object.keys(values[0]) : [];
}

/**
 * Every named field (role -> field name) must be in the first row. An empty array passes:
 * a chart of no points yet (a run before its first step) is still a chart. Roles in
 * `optional` may be left undefined.
 */
export function requireFields(fn: string, values: unknown, named: Record<string, string | undefined>, optional: string[] = []): void {
  const fields = fieldsOf(fn, values);
  for (const [role, field] of Object.entries(named)) {
    if (field === undefined && optional.includes(role)) continue;
    if (typeof field !== "string" || field === "") throw new TypeError(`${fn}: ${role} must be a field name (got ${describe(field)})`);
    if ((values as unknown[]).length && !fields.includes(field)) {
      throw new Error(`${fn}: field "${field}" (${role}) is not in the data (fields: ${fields.join(", ")})`);
    }
  }
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "string" ? JSON.stringify(v) : typeof v;
}
