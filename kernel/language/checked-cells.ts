// Type warnings of cells already checked, by their code. A check reads the cell and the
// declarations of the cells before it, so its answer holds until a cell that may declare
// something is added; a cell run again after expressions, calls and displays (the common case of
// re-running a cell) is answered here, without a message to the language worker.
//
// This file runs on the main thread, which never loads TypeScript: "may declare" is a
// conservative reading of the words, wider than the worker's scanner (script.ts mayDeclare).

/** Words every top-level declaration, import and export starts with or carries, as script.ts lists them. */
const DECLARING = /\b(?:var|let|const|using|function|class|interface|type|enum|namespace|module|declare|import|export)\b/;

/** True unless the cell surely declares nothing; a template literal or a slash (which a scanner may misread) counts as may. */
export function mayDeclareWords(code: string): boolean {
  return DECLARING.test(code) || code.includes("`") || code.includes("/");
}

export class CheckedCells {
  private readonly answers = new Map<string, string[]>();

  constructor(private readonly capacity = 64) {}

  get(code: string): string[] | undefined {
    return this.answers.get(code);
  }

  /** The worker's answer for a cell checked against the cells added so far. */
  set(code: string, warnings: string[]): void {
    if (this.answers.size >= this.capacity) this.answers.clear();
    this.answers.set(code, warnings);
  }

  /** A cell added after the checks: one that may declare something can change every answer. */
  added(code: string): void {
    if (mayDeclareWords(code)) this.answers.clear();
  }
}
