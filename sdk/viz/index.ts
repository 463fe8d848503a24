// Charts (Vega-Lite v5) and tables (arquero) for SDK objects that display themselves.

export { DISPLAY, DISPLAY_PARTS, VEGA_LITE_MIME, VEGA_LITE_SCHEMA, type MimeBundle } from "./mime.js";
export { Chart, type Spec } from "./chart.js";
export { line, type LineOptions } from "./line.js";
export { bar, type BarOptions } from "./bar.js";
export { Table, table, DISPLAY_ROWS, type TableOptions } from "./table.js";
export type { ChartOptions, FieldType, UnitSpec } from "./spec.js";
