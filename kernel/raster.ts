// SVG -> PNG in Node with resvg (a Rust rasteriser, prebuilt for each platform: no browser).
// Charts need text, and resvg draws text only with fonts it has loaded: DejaVu Sans (Debian's
// fonts-dejavu-core, on most Linux systems already) is loaded by path, which is fast and gives
// the same pixels everywhere; without it, resvg scans the system's fonts.
import { existsSync } from "node:fs";

/** PNGs are drawn at twice the chart's size and shown at its size: sharp on high-density screens. */
export const PNG_SCALE = 2;

const DEJAVU_DIRS = [
  "/usr/share/fonts/truetype/dejavu", // Debian, Ubuntu (fonts-dejavu-core)
  "/usr/share/fonts/dejavu-sans-fonts", // Fedora
  "/usr/share/fonts/TTF", // Arch
  "/usr/share/fonts/dejavu", // Alpine
];
const DEJAVU_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

type FontOptions = { loadSystemFonts: boolean; fontFiles?: string[]; defaultFontFamily?: string; sansSerifFamily?: string };

let fonts: FontOptions | undefined;

/** DejaVu Sans when it is installed, else whatever the system has. */
export function chartFonts(): FontOptions {
  if (fonts) return fonts;
  const dir = DEJAVU_DIRS.find((d) => existsSync(`${d}/${DEJAVU_FILES[0]}`));
  fonts = dir
    ? {
        loadSystemFonts: false,
        fontFiles: DEJAVU_FILES.map((f) => `${dir}/${f}`).filter(existsSync),
        defaultFontFamily: "DejaVu Sans",
        sansSerifFamily: "DejaVu Sans",
      }
    : { loadSystemFonts: true };
  return fonts;
}

export interface Png {
  /** the file's bytes */
  bytes: Buffer;
  /** the size to show it at, in CSS pixels (the image itself is PNG_SCALE times larger) */
  width: number;
  height: number;
}

/** Rasterises on libuv's thread pool, so the kernel keeps answering while a chart renders. */
export async function svgToPng(svg: string): Promise<Png> {
  const { renderAsync } = await import("@resvg/resvg-js");
  const image = await renderAsync(svg, { font: chartFonts(), fitTo: { mode: "zoom", value: PNG_SCALE }, background: "white" });
  return { bytes: image.asPng(), width: Math.round(image.width / PNG_SCALE), height: Math.round(image.height / PNG_SCALE) };
}
