// The preloaded globals (display, progress, input, comms, and the modules sr, tf, aq) as files of
// the virtual project, less any a cell has declared for itself.
import { resolve } from "node:path";
import { posix, type VirtualProject } from "./project.js";

function declarations(k: string): Record<string, string> {
  return {
    display: `/** Shows a value as rich output; display.html, .markdown, .svg, .png, .json, .vegaLite, .table and .clear show or clear a given kind. */\ndeclare const display: import("${k}/display.js").Display;`,
    progress: `/** A live progress bar: \`for (const x of progress(items))\`, or \`progress(total)\` for a bar to tick by hand. */\ndeclare const progress: typeof import("${k}/progress.js").progress;`,
    input: `/** Asks the person at the notebook for a line of text (over Jupyter's stdin channel). */\ndeclare function input(prompt?: string, options?: { password?: boolean }): Promise<string>;`,
    comms: `/** Jupyter comms: register targets, open channels to frontend widgets. */\ndeclare const comms: import("${k}/comm.js").CommRegistry;`,
  };
}

function modules(k: string): Record<string, string> {
  return { sr: `${posix(resolve(k, "../sdk/index.js"))}`, tf: "@tensorflow/tfjs-core", aq: "arquero" };
}

/** Every name the prelude declares. */
export function preludeNames(kernelDir: string): string[] {
  return [...Object.keys(declarations(kernelDir)), ...Object.keys(modules(kernelDir))];
}

/** Writes the prelude files, with only the names `live` still says the prelude owns. */
export function writePrelude(project: VirtualProject, live: (name: string) => boolean): void {
  const k = project.kernelDir;
  const text = Object.entries(declarations(k))
    .filter(([n]) => live(n))
    .map(([, d]) => d)
    .join("\n");
  project.setFile(`${project.packageRoot}/__stillroom_prelude__.d.ts`, `${text}\n`);
  for (const [name, specifier] of Object.entries(modules(k))) {
    const path = `${project.packageRoot}/__stillroom_global_${name}__.d.ts`;
    if (live(name)) project.setFile(path, `export * from ${JSON.stringify(specifier)};\nexport as namespace ${name};\n`);
    else project.deleteFile(path);
  }
}
