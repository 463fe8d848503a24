// Seeded draws for the task generators (mulberry32 underneath: the same examples everywhere).

import { mulberry32, subSeed, type Rng } from "../nn/random.js";

export type { Rng };

export const rngFor = (seed: number, key: string): Rng => mulberry32(subSeed(seed, key));
export const randInt = (rng: Rng, n: number) => Math.floor(rng() * n);
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)];

/** k distinct items of xs, in random order. */
export function sample<T>(rng: Rng, xs: readonly T[], k: number): T[] {
  const a = [...xs];
  for (let i = 0; i < k; i++) {
    const j = i + randInt(rng, a.length - i);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, k);
}

/** xs in a random order (Fisher-Yates, in place), returned. */
export function shuffle<T>(rng: Rng, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}
