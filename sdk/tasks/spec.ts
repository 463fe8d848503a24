// A task is a spec (name, defaults, validation, a seeded generator) wrapped by the Task class.
// Every example is a prompt ending in "=" and an answer ending in <eos>; the answer is what must
// match exactly. A multi-query task asks its queries inside the answer, one after each reply (as
// in Zoology's multi-query recall): those tokens are `given`, fed to the model but never scored.

import { ArgumentError } from "../errors.js";
import type { Rng } from "./rng.js";

export interface Example {
  prompt: number[];
  answer: number[];
  /** per answer token: given (a query, fed in like the prompt) rather than predicted; absent: none */
  given?: boolean[];
}

/** Whether answer token j of e is given rather than predicted. */
export const isGiven = (e: Example, j: number): boolean => e.given?.[j] === true;

export interface TaskSpec<O extends object> {
  name: string;
  description: string;
  defaults: O;
  /** throws TaskConfigError naming the field, the value and the allowed range */
  validate(o: O): void;
  generate(rng: Rng, o: O): Example;
}

export class TaskConfigError extends ArgumentError {
  constructor(task: string, field: string, value: unknown, allowed: string) {
    super(field, value, allowed, `tasks.${task}`);
    this.name = "TaskConfigError";
  }
}

export function intIn(task: string, field: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)
    throw new TaskConfigError(task, field, v, `an integer in [${lo}, ${hi}]`);
}
