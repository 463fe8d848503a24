// A pipeline's plan: its steps as data, checked as they are added (an order that cannot run is an
// error at the verb, not an hour into the run), and shown as a table before anything runs.

import type { Data } from "../train/data.js";
import { Table } from "../viz/table.js";
import { describeData } from "./batches.js";
import type { ResolvedAlign, ResolvedDistill, ResolvedExpert, ResolvedMerge, ResolvedStudent } from "./options.js";

export type Step =
  | { kind: "linearize"; student: ResolvedStudent }
  | { kind: "align"; o: ResolvedAlign }
  | { kind: "distill"; o: ResolvedDistill }
  | { kind: "experts"; domains: Record<string, Data>; o: ResolvedExpert }
  | { kind: "mergeExperts"; o: ResolvedMerge };

/** Throws unless `next` may follow `steps`. */
export function checkOrder(steps: readonly Step[], next: Step["kind"]): void {
  const has = (k: Step["kind"]) => steps.some((s) => s.kind === k);
  const last = steps[steps.length - 1]?.kind;
  const open = last === "experts"; // experts not merged yet
  if (next === "linearize") {
    if (has("linearize")) throw new Error(".linearize(): the plan has built its student already");
    return;
  }
  if (!has("linearize")) throw new Error(`.${next}(): the plan has no student yet; start with .linearize()`);
  if (next === "mergeExperts") {
    if (!open) throw new Error(".mergeExperts(): nothing to merge; it follows .experts({...})");
    return;
  }
  if (open) throw new Error(`.${next}(): the experts are not merged; call .mergeExperts() first`);
}

/** Steps each stage counts on the progress bar (teacher targets: one per batch). */
export function stepCount(s: Step): number {
  if (s.kind === "align") return s.o.steps;
  if (s.kind === "distill") return 2 * s.o.steps;
  if (s.kind === "experts") return 2 * s.o.steps * Object.keys(s.domains).length;
  return 0;
}

/** One line per step: "linearize -> align 200 -> experts 3 x 100 -> mergeExperts average". */
export function planLine(steps: readonly Step[]): string {
  return steps
    .map((s) => {
      if (s.kind === "align" || s.kind === "distill") return `${s.kind} ${s.o.steps}`;
      if (s.kind === "experts") return `experts ${Object.keys(s.domains).length} x ${s.o.steps}`;
      if (s.kind === "mergeExperts") return `mergeExperts ${s.o.method}`;
      return s.kind;
    })
    .join(" -> ");
}

const fmt = (x: number) => (x >= 0.01 && x < 1000 ? String(+x.toPrecision(3)) : x.toExponential(1));

function row(s: Step, i: number): Record<string, string | number> {
  const base = { step: i + 1, verb: s.kind };
  switch (s.kind) {
    case "linearize": {
      const st = s.student;
      const what = `softmax window ${st.window} + ${st.sinks} sinks, ${st.featureMap} features${st.featureDim ? ` (${st.featureDim})` : ""}, mLSTM chunks of ${st.chunkSize}`;
      return { ...base, trains: "-", data: "-", steps: "-", settings: what };
    }
    case "align":
      return {
        ...base,
        trains: "feature maps, gates",
        data: describeData(s.o.data),
        steps: s.o.steps,
        settings: `relative MSE per layer; lr ${fmt(s.o.lr)} (warm-up ${s.o.warmup}, cosine to ${fmt(s.o.minLr)})`,
      };
    case "distill":
    case "experts": {
      const o = s.o;
      const settings = `${o.gamma} CE + ${o.beta} KL(top-${o.topK}, ${o.tail}); lr ${fmt(o.lr)}, wd ${o.weightDecay}, clip ${o.clipNorm}`;
      const data =
        s.kind === "distill"
          ? describeData(s.o.data)
          : Object.entries(s.domains)
              .map(([n, d]) => `${n}: ${describeData(d)}`)
              .join("; ");
      return {
        ...base,
        trains: s.kind === "distill" ? "all" : `all, per expert (${Object.keys(s.domains).join(", ")})`,
        data,
        steps: o.steps,
        settings,
      };
    }
    case "mergeExperts": {
      const o = s.o;
      const w =
        o.weights === "uniform"
          ? "uniform"
          : Object.entries(o.weights)
              .map(([n, v]) => `${n} ${v}`)
              .join(", ");
      const extra = o.method === "average" ? "" : `, scale ${o.scale}${o.method === "ties" ? `, density ${o.density}` : ""}`;
      return { ...base, trains: "-", data: "-", steps: "-", settings: `${o.method}, weights ${w}${extra}` };
    }
  }
}

export function planTable(steps: readonly Step[]): Table {
  return new Table(steps.map(row));
}
