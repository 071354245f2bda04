// The `.json` reader: arrays of records and objects one after another, cut
// out record by record so a syntax error costs one record (with its line)
// and a file cut short keeps the records before the cut.

import assert from "node:assert/strict";
import { JsonSplitter, readJsonFile } from "../src/dataset/json.ts";
import { collect, tempTree } from "./dataset_helper.ts";

async function readText(name: string, text: string) {
  await using tree = await tempTree({ [name]: text });
  return await collect(
    readJsonFile({ path: `${tree.dir}/${name}`, relative: name }, 0),
  );
}

const Q = (q: string, extra = "") =>
  `{"question": "${q}", "choices": ["x", "y"], "answer": 1${extra}}`;

Deno.test("JsonSplitter cuts records out of any chunking, strings with brackets included", () => {
  const text = `[\n ${Q('a [ { \\" ?')},\n${Q("b")} ]\n`;
  for (const size of [1, 2, 7, text.length]) {
    const splitter = new JsonSplitter();
    const records = [];
    for (let i = 0; i < text.length; i += size) {
      records.push(...splitter.push(text.slice(i, i + size)));
    }
    splitter.end();
    assert.deepEqual(records.map((r) => r.line), [2, 3], `chunk ${size}`);
    assert.equal(JSON.parse(records[0]!.text).question, 'a [ { " ?');
  }
});

Deno.test("readJsonFile() reads an array, JSON Lines saved as .json, and one pretty-printed object", async (t) => {
  await t.step("array", async () => {
    const got = await readText("a.json", `[${Q("one")},\n${Q("two")}]`);
    assert.deepEqual(got.questions.map((q) => [q.id, q.answer]), [
      ["a.json:1", "B"],
      ["a.json:2", "B"],
    ]);
  });
  await t.step("objects one per line", async () => {
    const got = await readText("l.json", `${Q("one")}\n${Q("two")}\n`);
    assert.equal(got.questions.length, 2);
    assert.deepEqual(got.problems, []);
  });
  await t.step("one object over several lines", async () => {
    const got = await readText(
      "o.json",
      '{\n  "question": "Q?",\n  "options": {"A": "x", "B": "y"},\n  "answer": "A"\n}\n',
    );
    assert.deepEqual(got.questions.map((q) => [q.line, q.choices]), [
      [1, ["x", "y"]],
    ]);
  });
});

Deno.test("readJsonFile() skips a record with a syntax error by its line and keeps the others", async () => {
  const text = `[\n${
    Q("one")
  },\n{"question": "bad", "choices": ["x" "y"], "answer": 0},\n${
    Q("three")
  },\n42\n]`;
  const got = await readText("s.json", text);
  assert.deepEqual(got.questions.map((q) => q.line), [2, 4]);
  assert.deepEqual(got.skipped.map((r) => r.id), ["s.json:3", "s.json:5"]);
  assert.match(
    got.skipped[0]!.reason,
    /^invalid JSON in the record starting on line 3: /,
  );
  assert.equal(got.skipped[1]!.reason, "record is not a JSON object");
  assert.deepEqual(got.problems, []);
});

Deno.test("readJsonFile() reports files that are cut short or not JSON records", async (t) => {
  const cases: [string, string, string, number][] = [
    [
      "cut.json",
      `[\n${Q("one")},\n{"question": "two", "choi`,
      'Cannot read "cut.json": the file ends inside the record starting on line 3; is it cut short?',
      1,
    ],
    [
      "open.json",
      `[\n${Q("one")}\n`,
      'Cannot read "open.json": the file ends inside the array; is it cut short?',
      1,
    ],
    [
      "text.json",
      "hello",
      'Cannot read "text.json": line 1 starts with "h"; expected a JSON array of records or JSON objects',
      0,
    ],
    [
      "after.json",
      `[${Q("one")}] x`,
      'Cannot read "after.json": line 1 has text after the end of the array',
      1,
    ],
    ["empty.json", "", 'Cannot read "empty.json": the file is empty', 0],
    ["none.json", "[]", 'Cannot read "none.json": the file has no rows', 0],
  ];
  for (const [name, text, message, kept] of cases) {
    await t.step(name, async () => {
      const got = await readText(name, text);
      assert.deepEqual(got.problems.map((p) => p.message), [message]);
      assert.equal(got.questions.length, kept);
    });
  }
});

Deno.test("readJsonFile() reads the records a lone wrapper object lists, numbered from 1", async () => {
  const got = await readText(
    "w.json",
    `{"name": "quiz", "version": 2,\n "questions": [\n${Q("one")},\n${
      Q("two")
    }\n]}\n`,
  );
  assert.deepEqual(got.problems, []);
  assert.deepEqual(got.questions.map((q) => [q.id, q.question]), [
    ["w.json:1", "one"],
    ["w.json:2", "two"],
  ]);
  const two = await readText(
    "two.json",
    `{"a": [${Q("one")}], "b": [${Q("two")}]}`,
  );
  assert.match(
    two.problems[0]!.message,
    /no known question shape \(keys "a", "b"\)/,
  );
});

Deno.test("readJsonFile() gives every record of a one-line array its own id", async () => {
  const bad = `{"question": "bad", "choices": [], "answer": 0}`;
  const got = await readText(
    "one.json",
    `[${Q("one")}, ${Q("two")}, ${bad},\n${Q("three")}, ${Q("four")}]`,
  );
  const ids = [
    ...got.questions.map((q) => q.id),
    ...got.skipped.map((s) => s.id),
  ];
  assert.deepEqual(ids, [
    "one.json:1",
    "one.json:1:2",
    "one.json:2",
    "one.json:2:2",
    "one.json:1:3",
  ]);
  assert.deepEqual(got.questions.map((q) => q.line), [1, 1, 2, 2]);
});
