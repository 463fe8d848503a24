// Argument errors in one format across the SDK: `where: field = value: expected allowed`, so a
// message always names the field, the value it got and what it accepts.

/** A value as an error message shows it: strings quoted, arrays and objects as (short) JSON. */
export function showValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined || typeof v !== "object") return String(v);
  if (v instanceof RegExp) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** A bad argument or option: `where: field = value: expected allowed`. */
export class ArgumentError extends Error {
  constructor(
    /** the field as the caller spelled it ("steps", "params[1].lr", "ids[0][3]") */
    readonly field: string,
    readonly value: unknown,
    /** what the field accepts ("an integer >= 1") */
    readonly expected: string,
    /** the function or file the argument went to ("fit", "config.json"); omitted from the message when empty */
    readonly where = "",
  ) {
    super(`${where ? `${where}: ` : ""}${field} = ${showValue(value)}: expected ${expected}`);
    this.name = "ArgumentError";
  }
}
