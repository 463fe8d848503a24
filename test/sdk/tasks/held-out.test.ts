// The held-out tasks: in the registry, out of the default suite (the teacher never trains on them).
import assert from "node:assert/strict";
import { test } from "node:test";
import { HELD_OUT, TASK_NAMES } from "../../../sdk/tasks/registry.js";
import { suite, task } from "../../../sdk/tasks/suite.js";
import { TEACHER_RECIPE } from "../../../sdk/teacher/recipe.js";
import { tokenizer } from "../../../sdk/tasks/vocab.js";

test("held-out tasks are registered but in neither the default suite nor the teacher's recipe", () => {
  assert.deepEqual(HELD_OUT, ["which", "tail"]);
  for (const n of HELD_OUT) {
    assert.ok(!TASK_NAMES.includes(n));
    assert.ok(!TEACHER_RECIPE.tasks.includes(n));
  }
  assert.deepEqual(suite().names, TASK_NAMES);
  assert.deepEqual(suite(HELD_OUT).names, ["which", "tail"]);
});

/** The lm task's world, spelled out independently: animal -> [sound, home, food]. */
const WORLD: Record<string, [string, string, string]> = {
  cat: ["meows", "house", "fish"],
  dog: ["barks", "kennel", "bones"],
  cow: ["moos", "barn", "grass"],
  fox: ["yips", "den", "mice"],
  owl: ["hoots", "tree", "moths"],
  bee: ["buzzes", "hive", "pollen"],
  hen: ["clucks", "coop", "seeds"],
  pig: ["oinks", "sty", "corn"],
  rat: ["squeaks", "hole", "cheese"],
  bat: ["clicks", "cave", "fruit"],
};

test("which: the lm task's facts asked backwards; every animal and relation appears; seeded", () => {
  const t = task("which", {}, { seed: 1 });
  const seen = new Set<string>();
  for (let i = 0; i < 300; i++) {
    const e = t.example(i, "train");
    const words = tokenizer.decode(e.prompt).split(" ");
    assert.deepEqual(words.slice(0, 4), ["<bos>", "lm", "the", "?"]);
    assert.equal(words.at(-1), "=");
    const object = words.at(-2)!;
    const rel = words[4] === "says" ? 0 : words[4] === "lives" ? 1 : 2;
    assert.deepEqual(words.slice(4, -2), [["says"], ["lives", "in", "the"], ["eats"]][rel]);
    const [animal, eos] = tokenizer.decode(e.answer).split(" ");
    assert.equal(eos, "<eos>");
    assert.equal(WORLD[animal][rel], object, words.join(" "));
    seen.add(`${animal}:${rel}`);
  }
  assert.equal(seen.size, 30);
  assert.equal(t.show(3), task("which", {}, { seed: 1 }).show(3));
  assert.throws(() => task("which", { length: 3 }), /tasks\.which: no option "length"/);
});

test("tail: the copy prompt with a ? asks for every letter but the first; bad options name the field", () => {
  const t = task("tail", { length: 5 }, { seed: 2 });
  for (let i = 0; i < 50; i++) {
    const e = t.example(i);
    const words = tokenizer.decode(e.prompt).split(" ");
    assert.deepEqual(words.slice(0, 2), ["<bos>", "copy"]);
    assert.deepEqual(words.slice(-2), ["?", "="]);
    const xs = words.slice(2, -2);
    assert.equal(xs.length, 5);
    assert.equal(tokenizer.decode(e.answer), `${xs.slice(1).join(" ")} <eos>`);
  }
  assert.equal(task("tail").example(0).answer.length, 8, "default: 8 letters, 7 answered, then <eos>");
  assert.throws(() => task("tail", { length: 1 }), /tasks\.tail: length = 1: expected an integer in \[2, 1000\]/);
});
