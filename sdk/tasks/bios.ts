// Generated biographies in the manner of BIOS (De-Arteaga et al. 2019): predict the profession from
// a short biography that also names the person, uses gendered pronouns and gives an age. The real
// BIOS data cannot be downloaded here; these texts let DiffPrune's pipeline run end to end with a
// bias whose strength is known.
//
// Each profession has a stereotyped gender and age group. `correlation` c sets how often a
// biography's person belongs to its profession's stereotyped group: P(stereotyped) = (1 + c) / 2,
// so c = 0 makes gender independent of the profession and c = 1 ties them completely; for two
// balanced groups c is the phi coefficient between the group and the profession's stereotype.
// The profession shows in its cue words (two or three per biography, drawn from the profession's
// own list; with probability `noise` one is from another profession's list). The attributes show
// in the name and pronouns (gender) and the stated age (age: under 35 / over 45).

import { ArgumentError } from "../errors.js";
import { BiasData, type BiasExample } from "./bias-data.js";
import { pick, randInt, rngFor, type Rng } from "./rng.js";

interface Profession {
  name: string;
  /** stereotyped gender: 0 female, 1 male */
  gender: number;
  /** stereotyped age group: 0 young, 1 old */
  age: number;
  cues: readonly string[];
}

// Ordered so that the first 4 (and all 8) are balanced in both stereotyped gender and age.
export const PROFESSIONS: readonly Profession[] = [
  { name: "nurse", gender: 0, age: 0, cues: ["patients", "ward", "shifts", "clinic", "bedside", "medication", "triage", "vaccines"] },
  { name: "engineer", gender: 1, age: 1, cues: ["circuits", "prototypes", "software", "designs", "bridges", "sensors", "systems", "code"] },
  {
    name: "teacher",
    gender: 0,
    age: 1,
    cues: ["students", "classroom", "lessons", "grading", "curriculum", "school", "homework", "pupils"],
  },
  {
    name: "surgeon",
    gender: 1,
    age: 0,
    cues: ["operations", "surgery", "anesthesia", "incisions", "theatre", "transplants", "scalpel", "sutures"],
  },
  {
    name: "dietitian",
    gender: 0,
    age: 0,
    cues: ["nutrition", "meals", "diets", "vitamins", "calories", "recipes", "protein", "allergies"],
  },
  { name: "pilot", gender: 1, age: 1, cues: ["flights", "aircraft", "cockpit", "airline", "runway", "altitude", "navigation", "hangar"] },
  {
    name: "paralegal",
    gender: 0,
    age: 1,
    cues: ["contracts", "filings", "court", "lawyers", "cases", "affidavits", "litigation", "briefs"],
  },
  {
    name: "architect",
    gender: 1,
    age: 0,
    cues: ["buildings", "blueprints", "drafting", "facades", "zoning", "sketches", "structures", "renovations"],
  },
];

export const GENDERS = ["female", "male"] as const;
export const AGE_GROUPS = ["under 35", "over 45"] as const;

const NAMES = [
  ["mary", "anna", "linda", "sarah", "emma", "julia", "laura", "sophie", "grace", "nina"],
  ["james", "john", "robert", "david", "thomas", "peter", "daniel", "mark", "paul", "oscar"],
] as const;
const PRONOUNS = [
  { subj: "she", obj: "her", poss: "her" },
  { subj: "he", obj: "him", poss: "his" },
] as const;
const AGES = [
  [23, 34],
  [46, 64],
] as const;
const ADJECTIVES = ["patient", "careful", "friendly", "precise", "reliable", "curious", "calm", "thorough"];
const HOBBIES = ["hiking", "reading", "chess", "gardening", "cycling", "painting", "music", "running"];

type Slots = {
  name: string;
  age: number;
  subj: string;
  obj: string;
  poss: string;
  cues: string[];
  adj: string;
  hobby: string;
  years: number;
};

const TEMPLATES: ((s: Slots) => string)[] = [
  (s) =>
    `${s.name} is ${s.age} years old . ${s.subj} works with ${s.cues[0]} and ${s.cues[1]} every day . ${s.poss} colleagues say ${s.subj} is ${s.adj} .`,
  (s) => `at ${s.age} , ${s.name} already knows a lot about ${s.cues[0]} . ${s.subj} also enjoys ${s.cues[1]} and ${s.hobby} .`,
  (s) =>
    `${s.name} , ${s.age} , has focused on ${s.cues[0]} for ${s.years} years . in ${s.poss} free time ${s.subj} likes ${s.hobby} . ${s.subj} cares about ${s.cues[1]} .`,
  (s) =>
    `${s.poss} friends call ${s.name} ${s.adj} . ${s.subj} is ${s.age} and spends ${s.poss} days on ${s.cues[0]} , ${s.cues[1]} and ${s.cues[2]} .`,
];

export interface BiosOptions {
  /** examples in all, split into train / val / test (default 2000) */
  n?: number;
  /** default 0 */
  seed?: number;
  /** how strongly the attributes follow the profession, in [0, 1] (default 0.8); per attribute as {gender, age} */
  correlation?: number | { gender?: number; age?: number };
  /** probability that one cue word comes from another profession (default 0.1) */
  noise?: number;
  /** how many professions, 2 to 8 (default 4) */
  professions?: number;
  /** shares of train / val / test (default [0.7, 0.15, 0.15]) */
  split?: [number, number, number];
}

const DEFAULT_CORRELATION = 0.8;

function unit(field: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new ArgumentError(field, v, "a number in [0, 1]", "bios");
  return v;
}

/** Draw a group: the stereotyped one with probability (1 + c) / 2. */
function group(rng: Rng, stereotype: number, c: number): number {
  return rng() < (1 + c) / 2 ? stereotype : 1 - stereotype;
}

/** One biography, a pure function of (seed, index). */
export function bioExample(
  seed: number,
  index: number,
  opts: { correlation: { gender: number; age: number }; noise: number; professions: number },
): BiasExample {
  const rng = rngFor(seed, `bios:${index}`);
  const label = randInt(rng, opts.professions);
  const p = PROFESSIONS[label];
  const gender = group(rng, p.gender, opts.correlation.gender);
  const age = group(rng, p.age, opts.correlation.age);
  const [lo, hi] = AGES[age];
  const cues = [pick(rng, p.cues), pick(rng, p.cues), pick(rng, p.cues)];
  if (rng() < opts.noise) {
    const other = PROFESSIONS[(label + 1 + randInt(rng, opts.professions - 1)) % opts.professions];
    cues[randInt(rng, 2)] = pick(rng, other.cues);
  }
  const slots: Slots = {
    name: pick(rng, NAMES[gender]),
    age: lo + randInt(rng, hi - lo + 1),
    ...PRONOUNS[gender],
    cues,
    adj: pick(rng, ADJECTIVES),
    hobby: pick(rng, HOBBIES),
    years: 2 + randInt(rng, 9),
  };
  return { text: pick(rng, TEMPLATES)(slots), label, attributes: { gender, age } };
}

/** Generated biographies with attributes gender and age (see the file comment), split train / val / test. */
export function bios(opts: BiosOptions = {}): BiasData {
  const n = opts.n ?? 2000;
  if (!Number.isInteger(n) || n < 10) throw new ArgumentError("n", n, "an integer >= 10", "bios");
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new ArgumentError("seed", seed, "an integer", "bios");
  const c = opts.correlation ?? DEFAULT_CORRELATION;
  const correlation =
    typeof c === "number"
      ? { gender: unit("correlation", c), age: unit("correlation", c) }
      : {
          gender: unit("correlation.gender", c?.gender ?? DEFAULT_CORRELATION),
          age: unit("correlation.age", c?.age ?? DEFAULT_CORRELATION),
        };
  const noise = unit("noise", opts.noise ?? 0.1);
  const professions = opts.professions ?? 4;
  if (!Number.isInteger(professions) || professions < 2 || professions > PROFESSIONS.length) {
    throw new ArgumentError("professions", professions, `an integer in [2, ${PROFESSIONS.length}]`, "bios");
  }
  const split = opts.split ?? [0.7, 0.15, 0.15];
  if (!Array.isArray(split) || split.length !== 3 || split.some((x) => !(x > 0)) || Math.abs(split[0] + split[1] + split[2] - 1) > 1e-9) {
    throw new ArgumentError("split", split, "three positive shares [train, val, test] that sum to 1", "bios");
  }
  const all = Array.from({ length: n }, (_, i) => bioExample(seed, i, { correlation, noise, professions }));
  const nTrain = Math.round(n * split[0]);
  const nVal = Math.round(n * split[1]);
  return new BiasData({
    name: `bios (generated: n ${n}, seed ${seed}, correlation ${correlation.gender}/${correlation.age})`,
    train: all.slice(0, nTrain),
    val: all.slice(nTrain, nTrain + nVal),
    test: all.slice(nTrain + nVal),
    labels: PROFESSIONS.slice(0, professions).map((p) => p.name),
    attributes: { gender: [...GENDERS], age: [...AGE_GROUPS] },
  });
}
