import { test } from "node:test";
import assert from "node:assert/strict";
import { compile } from "vega-lite";
import * as viz from "../../../sdk/viz/index.js";
import { History, lossChart } from "../../../sdk/train/history.js";
import { SuiteScore } from "../../../sdk/tasks/score-table.js";

type Bundle = Record<string, any>;
const display = (v: unknown): Bundle => {
  const f = (v as Record<symbol, unknown>)[Symbol.for("Jupyter.display")];
  assert.equal(typeof f, "function", 'recognised through Symbol.for("Jupyter.display")');
  return (f as () => Bundle).call(v);
};

/** The compiled Vega spec, and every mark type in it (group marks hold one mark per series). */
function compiled(spec: object) {
  const vg = compile(spec as any).spec as any;
  const marks: string[] = [];
  const walk = (ms: any[] = []) => {
    for (const m of ms) {
      if (m.type === "group") walk(m.marks);
      else marks.push(m.type);
    }
  };
  walk(vg.marks);
  const scale = (name: string) => (vg.scales ?? []).find((s: any) => s.name === name);
  return { vg, marks, scale };
}

const runs = [1, 2, 3].flatMap((step) => ["a", "b"].map((run) => ({ step, run, loss: 1 / step + (run === "a" ? 0 : 0.1) })));

test("line: a Vega-Lite v5 line spec that vega-lite compiles", () => {
  const c = viz.line({
    values: [
      { step: 1, loss: 2 },
      { step: 2, loss: 1 },
    ],
    x: "step",
    y: "loss",
    title: "loss",
  });
  const s = c.spec as any;
  assert.equal(s.$schema, viz.VEGA_LITE_SCHEMA);
  assert.equal(s.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assert.equal(s.mark.type, "line");
  assert.deepEqual(s.encoding.x, { field: "step", type: "quantitative", title: "step" });
  assert.deepEqual(s.encoding.y, { field: "loss", type: "quantitative", title: "loss" });
  assert.equal(s.title, "loss");
  const { marks, scale } = compiled(s);
  assert.deepEqual(marks, ["line"]);
  assert.equal(scale("x").type, "linear");
  assert.equal(scale("y").type, "linear");
  assert.deepEqual(c.toJSON(), c.spec);
  assert.deepEqual(JSON.parse(JSON.stringify(c)), c.spec);
});

test("line: several series through color, one line each", () => {
  const s = viz.line({ values: runs, x: "step", y: "loss", color: "run" }).spec as any;
  assert.deepEqual(s.encoding.color, { field: "run", type: "nominal", title: "run" });
  const { vg, marks, scale } = compiled(s);
  assert.deepEqual(marks, ["line"]);
  assert.equal(scale("color").type, "ordinal");
  assert.equal(scale("color").domain.field, "run");
  // the line mark is faceted by run: one path per series
  const group = vg.marks.find((m: any) => m.type === "group");
  assert.deepEqual(group.from.facet.groupby, ["run"]);
});

test("line: log scale and zero", () => {
  const log = viz.line({ values: runs, x: "step", y: "loss", yScale: "log" }).spec as any;
  assert.deepEqual(log.encoding.y.scale, { type: "log" });
  assert.equal(compiled(log).scale("y").type, "log");
  const noZero = viz.line({ values: runs, x: "step", y: "loss", zero: false }).spec as any;
  assert.deepEqual(noZero.encoding.y.scale, { zero: false });
  assert.equal(compiled(noZero).scale("y").zero, false);
  assert.throws(() => viz.line({ values: runs, x: "step", y: "loss", yScale: "sqrt" as any }), /yScale must be "linear" or "log"/);
});

test("line: strings on x are ordered categories; the spec is a copy of the data", () => {
  const values = [
    { layer: "q", r: 4 },
    { layer: "k", r: 8 },
  ];
  const s = viz.line({ values, x: "layer", y: "r" }).spec as any;
  assert.equal(s.encoding.x.type, "ordinal");
  values[0].r = 99;
  assert.equal(s.data.values[0].r, 4);
  compiled(s);
});

test("bar: bars, categories in data order; grouped or stacked series", () => {
  const ranks = [
    { rank: 4, count: 3 },
    { rank: 8, count: 5 },
    { rank: 16, count: 1 },
  ];
  const b = viz.bar({ values: ranks, x: "rank", y: "count", title: "ranks" }).spec as any;
  assert.equal(b.mark.type, "bar");
  assert.deepEqual(b.encoding.x, { field: "rank", type: "ordinal", title: "rank", axis: { labelAngle: 0 } });
  assert.deepEqual(b.encoding.y, { field: "count", type: "quantitative", title: "count" });
  const c = compiled(b);
  assert.deepEqual(c.marks, ["rect"]);
  assert.equal(c.scale("x").type, "band");

  const tasks = [
    { task: "sort", method: "eva", acc: 0.9 },
    { task: "sort", method: "pca", acc: 0.8 },
    { task: "add", method: "eva", acc: 0.7 },
    { task: "add", method: "pca", acc: 0.6 },
  ];
  const grouped = viz.bar({ values: tasks, x: "task", y: "acc", color: "method" }).spec as any;
  assert.equal(grouped.encoding.x.type, "nominal");
  assert.equal(grouped.encoding.x.sort, null);
  assert.equal(grouped.encoding.color.field, "method");
  assert.equal(grouped.encoding.xOffset.field, "method");
  const g = compiled(grouped);
  assert.deepEqual(g.marks, ["rect"]);
  assert.ok(g.scale("xOffset"), "grouped bars get an xOffset scale");
  assert.ok(g.scale("color"));

  const stacked = viz.bar({ values: tasks, x: "task", y: "acc", color: "method", stacked: true }).spec as any;
  assert.equal(stacked.encoding.xOffset, undefined);
  const st = compiled(stacked);
  assert.equal(st.scale("xOffset"), undefined);
  assert.ok(JSON.stringify(st.vg.data).includes('"stack"'), "stacked bars go through a stack transform");
});

test("bad input: the error names the field and lists the fields there are", () => {
  const values = [{ step: 1, value: 2 }];
  assert.throws(() => viz.line({ values, x: "step", y: "loss" }), {
    message: 'viz.line: field "loss" (y) is not in the data (fields: step, value)',
  });
  assert.throws(() => viz.line({ values, x: "stp", y: "value" }), /field "stp" \(x\) is not in the data \(fields: step, value\)/);
  assert.throws(
    () => viz.bar({ values, x: "step", y: "value", color: "run" }),
    /^Error: viz\.bar: field "run" \(color\) is not in the data \(fields: step, value\)/,
  );
  assert.throws(() => viz.line({ values: { step: 1 } as any, x: "step", y: "value" }), /viz\.line: values must be an array of objects/);
  assert.throws(
    () => viz.bar({ values: [values[0], 3] as any, x: "step", y: "value" }),
    /viz\.bar: values\[1\] must be an object \(got number\)/,
  );
  assert.throws(() => viz.line({ values, x: "step", y: undefined as any }), /viz\.line: y must be a field name/);
  assert.throws(() => viz.line({ values, x: "step", y: "value", width: -1 }), /width must be a positive number/);
  // no rows yet is not an error: a run before its first step still has a (blank) chart
  const empty = viz.line({ values: [], x: "step", y: "loss" }).spec as any;
  assert.equal(empty.encoding.x.type, "quantitative");
  compiled(empty);
});

test("Chart: displays as a Vega-Lite bundle with a one-line description, rendered by the kernel", () => {
  const c = viz.line({ values: runs, x: "step", y: "loss", color: "run", title: "runs" });
  assert.ok(c instanceof viz.Chart);
  const b = display(c);
  assert.deepEqual(Object.keys(b).sort(), [viz.VEGA_LITE_MIME, "text/plain"].sort());
  assert.equal(viz.VEGA_LITE_MIME, "application/vnd.vegalite.v5+json");
  assert.equal(b[viz.VEGA_LITE_MIME], c.spec);
  assert.equal(b["text/plain"], '<Vega-Lite line chart "runs": loss by step, per run, 6 rows>');
  assert.ok(!b["text/plain"].includes("\n"));
  assert.equal(viz.DISPLAY, Symbol.for("Jupyter.display"));
  // any v5 spec can be wrapped; another version cannot (JupyterLab would show nothing)
  const own = new viz.Chart({ mark: "point", data: { values: [{ a: 1 }] }, encoding: { x: { field: "a", type: "quantitative" } } });
  assert.equal(own.spec.$schema, viz.VEGA_LITE_SCHEMA);
  compiled(own.spec);
  assert.throws(() => new viz.Chart({ $schema: "https://vega.github.io/schema/vega-lite/v4.json", mark: "point" }), /not Vega-Lite v5/);
});

test("Table: html and markdown hold the rows' values; formatting per column applies", () => {
  const rows = [
    { task: "sort", accuracy: 0.9125, n: 80 },
    { task: "copy", accuracy: 0.5, n: 40 },
  ];
  const t = viz.table(rows, { format: { accuracy: (x: number) => `${(100 * x).toFixed(1)}%` } });
  assert.ok(t instanceof viz.Table);
  assert.deepEqual(t.rows, rows);
  const b = display(t);
  assert.deepEqual(Object.keys(b).sort(), ["text/html", "text/markdown", "text/plain"]);
  for (const mime of ["text/html", "text/markdown"]) {
    for (const v of ["sort", "copy", "91.3%", "50.0%", "80", "40"]) assert.ok(b[mime].includes(v), `${mime} has ${v}`);
    assert.ok(!b[mime].includes("0.9125"), `${mime} shows the formatted accuracy`);
  }
  assert.match(b["text/html"], /<table/);
  assert.match(b["text/markdown"], /^\|task\|accuracy\|n\|/);
  assert.equal(t.toMarkdown(), b["text/markdown"]);

  // unformatted, the numbers show as they are
  assert.ok(viz.table(rows).toMarkdown().includes("0.9125"));
  assert.throws(
    () => viz.table(rows, { format: { acc: String } }),
    /viz\.table: format column "acc" is not in the table \(columns: task, accuracy, n\)/,
  );
  assert.throws(() => viz.table([rows[0], "x"] as any), /viz\.table: rows\[1\] must be an object/);
});

test("Table: over an arquero table; long tables show the first rows in a notebook", () => {
  const rows = Array.from({ length: 5 }, (_, i) => ({ i, sq: i * i }));
  const t = new viz.Table(viz.table(rows).frame, { limit: 3 });
  assert.deepEqual(t.rows, rows);
  const b = display(t);
  assert.ok(b["text/markdown"].includes("|2|4|"));
  assert.ok(!b["text/markdown"].includes("|3|9|"));
  assert.match(b["text/markdown"], /\(3 of 5 rows\)$/);
  assert.ok(t.toMarkdown().includes("|4|16|"), "toMarkdown() has every row");
  assert.throws(() => new viz.Table({} as any), /array of objects or an arquero table/);
});

test("lossChart keeps its spec; History and SuiteScore keep their MIME keys", () => {
  assert.deepEqual(lossChart([3, 2]), {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: "training loss",
    width: 420,
    height: 220,
    data: {
      values: [
        { step: 1, loss: 3 },
        { step: 2, loss: 2 },
      ],
    },
    mark: { type: "line", tooltip: true },
    encoding: {
      x: { field: "step", type: "quantitative", title: "step" },
      y: { field: "loss", type: "quantitative", title: "loss", scale: { zero: false } },
    },
  });
  compiled(lossChart([3, 2]));
  assert.equal((lossChart([]) as any).encoding.x.type, "quantitative");

  const h = display(History.from({ loss: [3, 2, 1], steps: 3 }));
  assert.deepEqual(Object.keys(h).sort(), ["application/vnd.vegalite.v5+json", "text/plain"]);
  assert.match(h["text/plain"], /^History\(3 steps/);

  const s = display(new SuiteScore([{ task: "lm", accuracy: 0.25, n: 8 }]));
  assert.deepEqual(Object.keys(s).sort(), ["text/html", "text/markdown", "text/plain"]);
  assert.match(s["text/markdown"], /\|task\|accuracy\|n\|/);
  assert.match(s["text/plain"], /^lm\s+25\.0%/);
});

test("score tables show accuracy as percentages in every form", () => {
  const s = display(
    new SuiteScore([
      { task: "copy", accuracy: 0.015625, n: 64 },
      { task: "sort", accuracy: 0, n: 64 },
      { task: "add", accuracy: 1, n: 64 },
    ]),
  );
  for (const mime of ["text/html", "text/markdown", "text/plain"]) {
    assert.ok(!/0\.015625|0\.000000/.test(s[mime]), `${mime} has raw fractions:\n${s[mime]}`);
    for (const pct of ["1.6%", "0.0%", "100.0%"]) assert.ok(s[mime].includes(pct), `${mime} shows ${pct}:\n${s[mime]}`);
  }
  assert.ok(s["text/markdown"].includes("|copy|1.6%|64|"));
});

test("bar: short category labels stay level; long ones go diagonal, never on their side", () => {
  const tasks = ["copy", "sort", "add", "count", "brackets", "lm", "recall"].map((task, i) => ({ task, acc: i / 7 }));
  const short = viz.bar({ values: tasks, x: "task", y: "acc" }).spec as any;
  assert.deepEqual(short.encoding.x.axis, { labelAngle: 0 });
  // vega-lite's compiled axis takes the angle (its default for a discrete x axis is 270)
  const axis = (spec: object) => compiled(spec).vg.axes.find((a: any) => a.scale === "x" && a.labels !== false);
  assert.equal(axis(short).labelAngle, 0);
  const layers = Array.from({ length: 12 }, (_, i) => ({ layer: `model.layers.${i}.self_attn.q_proj`, rank: 8 }));
  const long = viz.bar({ values: layers, x: "layer", y: "rank" }).spec as any;
  assert.equal(long.encoding.x.axis.labelAngle, -45);
  assert.equal((viz.bar({ values: [{ rank: 4, n: 1 }], x: "rank", y: "n" }).spec as any).encoding.x.axis.labelAngle, 0);
  // a quantitative x has no category labels to turn
  assert.equal((viz.bar({ values: [{ step: 1, n: 1 }], x: "step", y: "n", xType: "quantitative" }).spec as any).encoding.x.axis, undefined);
});
