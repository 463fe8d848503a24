// The fluent distillation pipeline: sr.distill.student(teacher, opts) and its verbs build a plan;
// nothing trains until .run() or await (the pipeline is thenable). Each verb returns a new
// pipeline and leaves the one it was called on as it was; the teacher is never changed.
//
// Results are kept per pipeline: running a plan runs only what its prefix has not run yet, so
// pipelines that share a prefix share its work (a generalist and a set of experts distilled from
// one stage-I model), and awaiting a pipeline twice trains once. Every run hands out its own copy
// of the student.

import type * as tf from "@tensorflow/tfjs-core";
import type { Model } from "../models/model.js";
import type { Data } from "../train/data.js";
import { DISPLAY, type MimeBundle } from "../viz/mime.js";
import type { Table } from "../viz/table.js";
import { align } from "./align.js";
import { throwIfCancelled } from "../runtime/cancel.js";
import { cloneModel } from "./clone.js";
import { distill } from "./distill.js";
import { checkAgainstTeacher, checkTeacher, linearize } from "./linearize.js";
import { mergeParameters } from "./merge.js";
import {
  type AlignOptions,
  alignOptions,
  type DistillOptions,
  distillOptions,
  type ExpertOptions,
  expertData,
  expertOptions,
  type MergeOptions,
  mergeOptions,
  type ResolvedExpert,
  type ResolvedStudent,
  type StudentOptions,
  studentOptions,
} from "./options.js";
import { checkOrder, planLine, planTable, type Step, stepCount } from "./plan.js";
import { PlanProgress } from "./progress.js";
import { ArgumentError } from "../errors.js";

export interface RunOptions {
  /** no terminal progress bar (a notebook's display is drawn regardless) */
  quiet?: boolean;
}

/** What a plan holds after each step: the student, or experts and the model they started from. */
interface State {
  student: Model;
  experts: Map<string, Model> | null;
}

export class StudentPipeline implements PromiseLike<Model> {
  private memo: Promise<State> | null = null;

  private constructor(
    private readonly teacher: Model,
    private readonly options: ResolvedStudent,
    /** the plan, in order */
    readonly steps: readonly Step[],
    private readonly parent: StudentPipeline | null,
  ) {}

  /** @internal see sr.distill.student */
  static start(teacher: Model, opts: StudentOptions = {}): StudentPipeline {
    checkTeacher(teacher);
    const o = studentOptions(opts);
    checkAgainstTeacher(teacher, o);
    return new StudentPipeline(teacher, o, [], null);
  }

  private then_(step: Step): StudentPipeline {
    checkOrder(this.steps, step.kind);
    return new StudentPipeline(this.teacher, this.options, [...this.steps, step], this);
  }

  /** Build the hybrid student: every attention layer an mLSTM + sliding-window hybrid, the rest the teacher's. */
  linearize(): StudentPipeline {
    return this.then_({ kind: "linearize", student: this.options });
  }

  /** Stage I: align each hybrid mixer to the teacher's attention output; only the new parameters train. */
  align(o: AlignOptions): StudentPipeline {
    return this.then_({ kind: "align", o: alignOptions(o) });
  }

  /** Stage II: full fine-tuning on gamma * CE + beta * KL over the teacher's (cached) top-k. */
  distill(o: DistillOptions): StudentPipeline {
    return this.then_({ kind: "distill", o: distillOptions(o) });
  }

  /** Stage II once per domain, each expert from the same model; .mergeExperts() must follow. */
  experts(domains: Record<string, Data>, o: ExpertOptions): StudentPipeline {
    const d = expertData(domains);
    return this.then_({ kind: "experts", domains: d, o: expertOptions(o) });
  }

  /** Stage III: one student from the experts (convex weights: "uniform" or {name: weight}). */
  mergeExperts(o: MergeOptions = {}): StudentPipeline {
    const r = mergeOptions(o);
    const last = this.steps[this.steps.length - 1];
    if (last?.kind === "experts" && r.weights !== "uniform") {
      const have = Object.keys(last.domains);
      const given = Object.keys(r.weights);
      const missing = have.filter((n) => !given.includes(n));
      const extra = given.filter((n) => !have.includes(n));
      if (missing.length || extra.length) {
        const parts = [missing.length ? `no weight for ${missing.join(", ")}` : "", extra.length ? `no expert ${extra.join(", ")}` : ""];
        throw new ArgumentError(
          "weights",
          r.weights,
          `one weight per expert (${have.join(", ")}): ${parts.filter(Boolean).join("; ")}`,
          ".mergeExperts",
        );
      }
    }
    return this.then_({ kind: "mergeExperts", o: r });
  }

  /** The plan as a table (what `display(pipeline)` shows). */
  get plan(): Table {
    return planTable(this.steps);
  }

  /** Runs what has not run yet, with one live progress display; resolves to a copy of the student. */
  async run(opts: RunOptions = {}): Promise<Model> {
    if (this.steps.length === 0) throw new Error("run(): the plan is empty; start with .linearize()");
    if (this.steps[this.steps.length - 1]!.kind === "experts")
      throw new Error("run(): the experts are not merged; end the plan with .mergeExperts()");
    const chain: StudentPipeline[] = [];
    for (let p: StudentPipeline | null = this; p && p.steps.length > 0; p = p.parent) chain.unshift(p);
    let ran = -1; // the deepest prefix that has run already
    chain.forEach((p, i) => {
      if (p.memo) ran = i;
    });
    const pending = chain.slice(ran + 1);
    const total = pending.reduce((a, p) => a + stepCount(p.steps[p.steps.length - 1]!), 0);
    const progress = new PlanProgress(`distill: ${planLine(this.steps)}`, total, opts.quiet);
    try {
      for (const p of pending) {
        const before = p.parent?.memo ?? null;
        p.memo = (async () => p.apply(before ? await before : null, progress))();
        try {
          await p.memo;
        } catch (e) {
          p.memo = null;
          throw e;
        }
      }
    } finally {
      progress.finish();
    }
    return cloneModel((await this.memo!).student);
  }

  // biome-ignore lint/suspicious/noThenProperty: the pipeline is thenable on purpose: `await pipeline` runs the plan
  then<A = Model, B = never>(
    onFulfilled?: ((m: Model) => A | PromiseLike<A>) | null,
    onRejected?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.run().then(onFulfilled, onRejected);
  }

  /** This pipeline's own step, run on the state its prefix left. */
  private async apply(prev: State | null, progress: PlanProgress): Promise<State> {
    const step = this.steps[this.steps.length - 1]!;
    const at = `step ${this.steps.length} (${step.kind})`;
    throwIfCancelled(`distill: ${at}`);
    if (step.kind === "linearize") return { student: linearize(this.teacher, step.student), experts: null };
    const from = prev!;
    switch (step.kind) {
      case "align": {
        const s = cloneModel(from.student);
        await progress.stage("align", step.o.steps, () => align(s, this.teacher, step.o));
        return { student: s, experts: null };
      }
      case "distill": {
        const s = cloneModel(from.student);
        await this.stageII(s, step.o.data, step.o, "distill", progress);
        return { student: s, experts: null };
      }
      case "experts": {
        const experts = new Map<string, Model>();
        for (const [name, data] of Object.entries(step.domains)) {
          const e = cloneModel(from.student);
          await this.stageII(e, data, step.o, `expert ${name}`, progress);
          experts.set(name, e);
        }
        return { student: from.student, experts };
      }
      case "mergeExperts": {
        const experts = from.experts!;
        const names = [...experts.keys()];
        const weights = step.o.weights === "uniform" ? Object.fromEntries(names.map((n) => [n, 1 / names.length])) : step.o.weights;
        const base = from.student.parameters();
        const params = new Map<string, Map<string, tf.Tensor>>([...experts].map(([n, m]) => [n, m.parameters()]));
        const merged = mergeParameters(base, params, { ...step.o, weights });
        const s = cloneModel(from.student);
        try {
          s.loadWeights(merged);
        } finally {
          for (const t of merged.values()) t.dispose();
        }
        return { student: s, experts: null };
      }
    }
  }

  /** Stage II into `s`: teacher targets (one bar step per batch), then `steps` training steps. */
  private stageII(s: Model, data: Data, o: ResolvedExpert, name: string, progress: PlanProgress): Promise<unknown> {
    return progress.stage(name, 2 * o.steps, (p) =>
      distill(s, this.teacher, data, o, {
        label: name,
        onTargets: () => p.tick({ targets: "teacher top-k" }),
        beforeTraining: () => p.moveTo(o.steps),
      }),
    );
  }

  toString(): string {
    return this.steps.length ? `StudentPipeline(${planLine(this.steps)})` : "StudentPipeline(empty: start with .linearize())";
  }

  [DISPLAY](): MimeBundle {
    const title = `**Distillation plan** (runs on \`await\` or \`.run()\`): ${planLine(this.steps) || "empty"}`;
    const table = this.plan[DISPLAY]();
    return {
      "text/html": `<p><b>Distillation plan</b> (runs on <code>await</code> or <code>.run()</code>)</p>${table["text/html"]}`,
      "text/markdown": `${title}\n\n${table["text/markdown"]}`,
      "text/plain": this.toString(),
    };
  }
}
