// Which subnetworks a core's forward applies right now. A core view (core.with(mask(...))) sets
// the selection for the duration of one synchronous call and restores the outer one afterwards;
// every weight's switch reads it. Switching is a JavaScript assignment: no tensor is made, copied
// or freed. The selection names its core, so another model running inside the call (a teacher, a
// second core) is unaffected.

export const COMBINES = ["sum", "mean"] as const;
/** How several active subnetworks combine: W + sum of their diffs, or W + their mean. */
export type Combine = (typeof COMBINES)[number];

export interface ActiveSelection {
  owner: object;
  names: readonly string[];
  combine: Combine;
}

let current: ActiveSelection | null = null;

/** Run `fn` with `names` active on `owner`'s weights; the outer selection comes back afterwards. */
export function withSubnetworks<T>(owner: object, names: readonly string[], combine: Combine, fn: () => T): T {
  const outer = current;
  current = { owner, names, combine };
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/** The selection active on `owner`'s weights, or null (none active: the weights as stored). */
export function activeOn(owner: object): ActiveSelection | null {
  return current !== null && current.owner === owner && current.names.length > 0 ? current : null;
}
