// Training or evaluation mode. Modules that act differently while training (dropout, sampled
// hard-concrete gates) read the mode of the forward they run in. A model sets it for its own
// forward from model.train() / model.eval(); code outside a model (an adversary head, a layer run
// on its own) sets it with withTraining. Outside every scope the mode is evaluation.

let training = false;

/** Whether the forward running now is a training forward. */
export function isTraining(): boolean {
  return training;
}

/** Run `fn` in training (true) or evaluation (false) mode; the outer mode comes back afterwards. */
export function withTraining<T>(on: boolean, fn: () => T): T {
  const outer = training;
  training = on;
  try {
    return fn();
  } finally {
    training = outer;
  }
}
