// Charts as every front end sees them: the Vega-Lite spec first, and a PNG drawn in Node with
// its text, shown at the chart's own size.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Resvg } from "@resvg/resvg-js";
import { displayOutput } from "../../kernel/format.js";
import { PNG_SCALE, chartFonts, svgToPng } from "../../kernel/raster.js";
import { VEGA_LITE_MIME, renderSvg, vegaLiteOutput } from "../../kernel/vega.js";

const spec = {
  title: "loss",
  width: 200,
  height: 100,
  data: { values: [1, 2, 3, 4].map((step) => ({ step, loss: 1 / step })) },
  mark: "line",
  encoding: { x: { field: "step", type: "quantitative" }, y: { field: "loss", type: "quantitative" } },
};

/** PNG width and height from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), "a PNG file");
  assert.equal(png.subarray(12, 16).toString("latin1"), "IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test("display.vegaLite's bundle: the spec first, a PNG at twice the chart's size shown at its size, no SVG", async () => {
  const { data, metadata } = await vegaLiteOutput(spec);
  assert.deepEqual(Object.keys(data), [VEGA_LITE_MIME, "image/png", "text/plain"]);
  const png = Buffer.from(data["image/png"] as string, "base64");
  const shown = (metadata["image/png"] as { width: number; height: number }) ?? assert.fail("no PNG metadata");
  // Vega adds the axes, title and padding around the 200 x 100 plot.
  assert.ok(shown.width > 200 && shown.height > 100, JSON.stringify(shown));
  assert.deepEqual(pngSize(png), { width: shown.width * PNG_SCALE, height: shown.height * PNG_SCALE });
  assert.equal(data["text/plain"], "<Vega-Lite chart: line>");
});

test("chart text is drawn: the fonts the rasteriser is given have glyphs", async () => {
  const text = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><rect width="120" height="30" fill="white"/><text x="4" y="20" font-family="sans-serif" font-size="14">step 10</text></svg>`;
  const inked = (font: object) => {
    const pixels = new Resvg(text, { font, background: "white" }).render().pixels;
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i]! < 128) dark++;
    return dark;
  };
  assert.equal(inked({ loadSystemFonts: false }), 0, "without fonts resvg skips text");
  assert.ok(inked(chartFonts()) > 50, "with the chart fonts the label has ink");
  // The same holds for a whole chart: its title and tick labels change the picture.
  const svg = await renderSvg({ $schema: "https://vega.github.io/schema/vega-lite/v5.json", ...spec });
  const withFonts = await svgToPng(svg);
  const bare = new Resvg(svg, { font: { loadSystemFonts: false }, fitTo: { mode: "zoom", value: PNG_SCALE }, background: "white" })
    .render()
    .asPng();
  assert.ok(!withFonts.bytes.equals(bare), "the chart's labels are in the PNG");
});

test("an object's own Vega-Lite bundle gets the PNG and its size, and loses HTML that would outrank the chart", async () => {
  const chart = { [Symbol.for("Jupyter.display")]: () => ({ [VEGA_LITE_MIME]: spec, "text/html": "<b>no</b>" }), toString: () => "chart" };
  const output = (await displayOutput(chart))!;
  assert.ok(!("text/html" in output.data));
  assert.ok(!("image/svg+xml" in output.data));
  const png = Buffer.from(output.data["image/png"] as string, "base64");
  const shown = output.metadata["image/png"] as { width: number; height: number };
  assert.deepEqual(pngSize(png), { width: shown.width * PNG_SCALE, height: shown.height * PNG_SCALE });
  // A bundle that brings its own PNG keeps it.
  const own = { [Symbol.for("Jupyter.display")]: () => ({ [VEGA_LITE_MIME]: spec, "image/png": "AAAA" }) };
  assert.equal((await displayOutput(own))!.data["image/png"], "AAAA");
});

test("bad specs fail with a message naming the problem", async () => {
  await assert.rejects(vegaLiteOutput({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", mark: "bar" }), /not Vega-Lite v5/);
  await assert.rejects(vegaLiteOutput(null as never), /spec must be a Vega-Lite object/);
});
