import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "../models/helpers.js";
import { readBiasData, readBios, readFdcl18, readPan16, type BiasFiles } from "../../../sdk/tasks/bias-readers.js";
import { BiasData } from "../../../sdk/tasks/bias-data.js";

async function files(dir: string, splits: Record<string, unknown[] | string>): Promise<BiasFiles> {
  const out = {} as BiasFiles;
  for (const [s, rows] of Object.entries(splits)) {
    const path = join(dir, `${s}.jsonl`);
    await writeFile(path, typeof rows === "string" ? rows : `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    out[s as keyof BiasFiles] = path;
  }
  return out;
}

test("BIOS: bio, title and gender; names sorted from the training file; a word tokenizer from its texts", async (t) => {
  const dir = await tempDir(t);
  const row = (bio: string, title: string, gender: string) => ({ bio, title, gender, raw: "ignored" });
  const f = await files(dir, {
    train: [
      row("She treats patients at night.", "nurse", "F"),
      row("He writes code for banks.", "software_engineer", "M"),
      row("She flies cargo planes.", "pilot", "F"),
    ],
    val: [row("He treats patients.", "nurse", "M")],
    test: [row("She writes code.", "software_engineer", "F")],
  });
  const d = await readBios(f);
  assert.ok(d instanceof BiasData);
  assert.deepEqual(d.labels, ["nurse", "pilot", "software_engineer"]);
  assert.deepEqual(d.attributes, { gender: ["F", "M"] });
  assert.deepEqual(d.train[1], { text: "He writes code for banks.", label: 2, attributes: { gender: 1 } });
  assert.deepEqual(d.test[0].attributes, { gender: 0 });
  const ids = d.encode(d.val, 16);
  assert.equal(d.tokenizer.decode(ids.ids[0], { skipSpecialTokens: true }), "he treats patients.");
  assert.equal(d.tokenizer.idToToken(ids.ids[0].at(-1)!), "[CLS]");
});

test("PAN16 with integer labels (sorted as numbers) and FDCL18 with its tweet field", async (t) => {
  const dir = await tempDir(t);
  const p = (text: string, task_label: number, gender: number, age: number) => ({ text, task_label, gender, age });
  const pan = await readPan16(
    await files(dir, {
      train: [p("@a hi", 1, 0, 4), p("no mention", 0, 1, 10), p("@b @c", 1, 1, 2)],
      val: [p("@d", 1, 0, 10)],
      test: [p("plain", 0, 1, 2)],
    }),
  );
  assert.deepEqual(pan.labels, ["0", "1"]);
  assert.deepEqual(pan.attributes, { gender: ["0", "1"], age: ["2", "4", "10"] });
  assert.deepEqual(pan.val[0], { text: "@d", label: 1, attributes: { gender: 0, age: 2 } });
  const dir2 = await tempDir(t);
  const h = (tweet: string, label: string, dialect: string) => ({ tweet, label, dialect });
  const fd = await readFdcl18(
    await files(dir2, {
      train: [h("you are great", "normal", "sae"), h("awful people", "hateful", "aae"), h("spam spam", "spam", "sae")],
      val: [h("nice", "normal", "aae")],
      test: [h("bad", "abusive", "sae")],
    }),
    { labels: ["normal", "abusive", "hateful", "spam"] },
  );
  assert.deepEqual(fd.labels, ["normal", "abusive", "hateful", "spam"]);
  assert.equal(fd.test[0].label, 1, "labels given keep their order, and may list labels only val or test has");
  const own = await readBiasData(
    await files(await tempDir(t), {
      train: [
        { t: "x", y: "a", g: "u" },
        { t: "z", y: "b", g: "v" },
      ],
      val: [{ t: "x", y: "a", g: "v" }],
      test: [{ t: "x", y: "b", g: "u" }],
    }),
    { format: { text: "t", label: "y", attributes: { group: "g" } } },
  );
  assert.deepEqual(own.attributes, { group: ["u", "v"] });
});

test("malformed files: the error names the file, the line and the field", async (t) => {
  const dir = await tempDir(t);
  const ok = JSON.stringify({ bio: "text", title: "nurse", gender: "F" });
  const ok2 = JSON.stringify({ bio: "text", title: "pilot", gender: "M" });
  const cases: [string, RegExp][] = [
    [`${ok}\n{"bio": "x", "title": "nurse"\n`, /train.jsonl:2: not valid JSON/],
    [`${ok}\n\n${JSON.stringify({ title: "nurse", gender: "F" })}\n`, /train.jsonl:3: field "bio": missing/],
    [`${JSON.stringify({ bio: 5, title: "nurse", gender: "F" })}\n`, /train.jsonl:1: field "bio": expected a string, got 5/],
    [`${JSON.stringify({ bio: "x", title: 1.5, gender: "F" })}\n`, /train.jsonl:1: field "title": 1.5 is not a label/],
    [`${JSON.stringify({ bio: "x", title: "nurse", gender: null })}\n`, /train.jsonl:1: field "gender": null is not a label/],
    [`[1, 2]\n`, /train.jsonl:1: expected a JSON object per line/],
    ["\n\n", /train.jsonl:1: no examples \(the file is empty\)/],
  ];
  for (const [train, re] of cases) {
    const f = await files(dir, { train, val: `${ok}\n`, test: `${ok2}\n` });
    await assert.rejects(readBios(f), re);
  }
  const f = await files(dir, {
    train: `${ok}\n${ok2}\n`,
    val: `${ok}\n${JSON.stringify({ bio: "t", title: "chef", gender: "F" })}\n`,
    test: `${ok}\n`,
  });
  await assert.rejects(readBios(f), /val.jsonl:2: field "title": "chef" is not one of the labels of the training file \(nurse, pilot\)/);
  await assert.rejects(readBiasData(f, { format: "imdb" as never }), /format = "imdb": expected one of bios, pan16, fdcl18/);
  await assert.rejects(readBios({ ...f, test: join(dir, "missing.jsonl") }), /missing.jsonl: cannot read/);
  await assert.rejects(readBios({ train: f.train } as never), /files.val = undefined: expected a JSONL file path/);
});
