// kernel_info_reply content, shared by the IO thread (which answers it at once, even mid-cell)
// and tests.
import { PROTOCOL_VERSION } from "./wire.js";

export const LANGUAGE_INFO = {
  name: "typescript",
  version: "5.9",
  mimetype: "text/typescript",
  file_extension: ".ts",
  pygments_lexer: "typescript",
  // A CodeMirror 5 mode (the classic Notebook loads it by name): TypeScript is an option of the
  // JavaScript mode; there is no "typescript" mode. JupyterLab maps this to its own TypeScript mode.
  codemirror_mode: { name: "javascript", typescript: true },
  nbconvert_exporter: "script",
};

export function kernelInfo(implementationVersion: string) {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "stillroom",
    implementation_version: implementationVersion,
    language_info: LANGUAGE_INFO,
    banner: `Stillroom ${implementationVersion}: TypeScript on Node.js ${process.versions.node}, with sr, tf, aq and display preloaded`,
    help_links: [
      { text: "Stillroom", url: "https://www.npmjs.com/package/stillroom" },
      { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
    ],
    debugger: false,
  };
}
