// What line and bar share: the options, the top-level spec, and one encoding channel per field.
// A field's Vega-Lite type comes from the first row's value unless given, so the common case
// (numbers on y, a step or a category on x) needs no types spelled out.

import { VEGA_LITE_SCHEMA } from "./mime.js";
import { requireFields, type Row } from "./fields.js";

export type FieldType = "quantitative" | "ordinal" | "nominal" | "temporal";

export interface ChartOptions {
  /** one object per point (line) or bar; every row has the named fields */
  values: readonly Row[];
  x: string;
  y: string;
  /** one series per distinct value of this field */
  color?: string;
  title?: string;
  width?: number;
  height?: number;
  xTitle?: string;
  yTitle?: string;
  /** inferred from the first row when left out */
  xType?: FieldType;
  yScale?: "linear" | "log";
  /** whether the y scale includes zero (Vega-Lite's default: yes, except on a log scale) */
  zero?: boolean;
}

export interface Channel {
  field: string;
  type: FieldType;
  title: string;
  scale?: { type?: "linear" | "log"; zero?: boolean };
  sort?: null;
  axis?: { labelAngle: number };
}

/** A single-view Vega-Lite v5 spec: a type alias (not an interface) so it is a plain record too. */
export type UnitSpec = {
  $schema: string;
  title?: string;
  width: number;
  height: number;
  data: { values: Row[] };
  mark: { type: "line" | "bar"; tooltip: boolean };
  encoding: Record<string, Channel>;
};

export const WIDTH = 420;
export const HEIGHT = 220;

/** Checks the fields, then lays out the parts every builder has; `encoding` is the builder's. */
export function unitSpec(mark: "line" | "bar", o: ChartOptions, encoding: Record<string, Channel>): UnitSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(o.title === undefined ? {} : { title: o.title }),
    width: o.width ?? WIDTH,
    height: o.height ?? HEIGHT,
    // a copy: the spec must not change when the caller's array does
    data: { values: o.values.map((r) => ({ ...r })) },
    mark: { type: mark, tooltip: true },
    encoding,
  };
}

export function checkOptions(fn: string, o: ChartOptions): void {
  if (!o || typeof o !== "object") throw new TypeError(`${fn}: expects an options object {values, x, y}`);
  requireFields(fn, o.values, { x: o.x, y: o.y, color: o.color }, ["color"]);
  if (o.yScale !== undefined && o.yScale !== "linear" && o.yScale !== "log") {
    throw new RangeError(`${fn}: yScale must be "linear" or "log" (got ${JSON.stringify(o.yScale)})`);
  }
  for (const k of ["width", "height"] as const) {
    const v = o[k];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) throw new RangeError(`${fn}: ${k} must be a positive number (got ${v})`);
  }
}

/** The Vega-Lite type of a field from its value in the first row; `numbers` is what a number means here. */
export function inferType(values: readonly Row[], field: string, numbers: FieldType): FieldType {
  const v = (values[0] as Record<string, unknown> | undefined)?.[field];
  if (typeof v === "string" || typeof v === "boolean") return "nominal";
  if (v instanceof Date) return "temporal";
  // numbers, and no data yet: a chart with no rows gets the same axes it will have with some
  return numbers;
}

export function yChannel(o: ChartOptions): Channel {
  const y: Channel = { field: o.y, type: "quantitative", title: o.yTitle ?? o.y };
  if (o.yScale !== undefined || o.zero !== undefined) {
    y.scale = {};
    if (o.yScale !== undefined) y.scale.type = o.yScale;
    if (o.zero !== undefined) y.scale.zero = o.zero;
  }
  return y;
}

export function colorChannel(o: ChartOptions): Channel | undefined {
  return o.color === undefined ? undefined : { field: o.color, type: "nominal", title: o.color };
}
