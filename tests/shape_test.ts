// The record shapes of public datasets, read from small fixtures in the
// exact layout each one ships in (tests/fixtures/shapes/README.md): every
// format through the same shape mapping, answers checked against the
// option text the fixture marks correct.

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseFieldMap } from "../src/dataset/fields.ts";
import { readFile } from "../src/dataset/read.ts";
import type { FileInfo } from "../src/dataset/records.ts";
import { gpqaOrder } from "../src/dataset/shapes.ts";
import type { Question } from "../src/schema.ts";
import { collect, type Read, tempTree } from "./dataset_helper.ts";

const SHAPES = decodeURIComponent(
  new URL("./fixtures/shapes/", import.meta.url).pathname,
);

async function read(
  name: string,
  fields: string | null = null,
): Promise<Read & { info: FileInfo }> {
  const info: FileInfo = { format: "", shape: null };
  const map = fields === null ? null : parseFieldMap(fields);
  assert.notEqual(typeof map, "string");
  const got = await collect(
    readFile({ path: join(SHAPES, name), relative: name }, 0, {
      fields: typeof map === "string" ? null : map,
      info,
    }),
  );
  return { ...got, info };
}

/** The text of the option a question marks correct. */
function correctText(q: Question): string {
  return q.choices[q.answer.charCodeAt(0) - 65]!;
}

Deno.test("readFile() reads ARC JSONL as distributed, with 3 to 5 choices and numeric labels", async () => {
  const got = await read("ARC-Challenge-Dev.jsonl");
  assert.deepEqual([got.info.format, got.info.shape], ["jsonl", "arc"]);
  assert.equal(got.questions.length, 299);
  assert.deepEqual(got.skipped, []);
  const counts = new Map<number, number>();
  for (const q of got.questions) {
    counts.set(q.choices.length, (counts.get(q.choices.length) ?? 0) + 1);
  }
  assert.deepEqual([...counts].sort(), [[3, 3], [4, 295], [5, 1]]);
  const numeric = got.questions.filter((q) => q.labels?.[0] === "1");
  assert.equal(numeric.length, 4);
  for (const q of numeric) {
    assert.equal(q.labels![q.answer.charCodeAt(0) - 65], q.label);
  }
  const first = got.questions[0]!;
  assert.equal(first.id, "ARC-Challenge-Dev.jsonl:1");
  assert.equal(correctText(first), "Record the details of the investigation.");
  assert.equal(first.label, "D");
});

Deno.test("readFile() reads headerless MMLU CSV row by row: a bad first row costs only itself", async () => {
  const got = await read("mmlu_mixed_test.csv");
  assert.equal(got.info.shape, "mmlu-csv");
  assert.deepEqual(
    got.questions.map((q) => [q.line, q.choices.length, correctText(q)]),
    [[2, 3, "blue"], [3, 4, "a"], [4, 5, "z"], [5, 2, "no"], [7, 4, "4"]],
  );
  assert.deepEqual(got.skipped.map((r) => [r.line, r.reason]), [
    [
      1,
      "row has 2 fields; a row needs a question, 2 to 10 options and an answer letter",
    ],
    [6, 'answer "Q" is not one of A-D'],
  ]);
});

Deno.test("readFile() maps header CSV/TSV columns by name: OpenAI MMMLU, GPQA, a TSV quiz", async (t) => {
  await t.step("MMMLU: index column ignored, subject per row", async () => {
    const got = await read("mmmlu_FR_FR.csv");
    assert.deepEqual([got.info.format, got.info.shape], ["csv", "flat"]);
    assert.deepEqual(
      got.questions.map((q) => [q.id, correctText(q), q.subject, q.label]),
      [
        ["mmmlu_FR_FR.csv:2", "Paris", "geography", "B"],
        ["mmmlu_FR_FR.csv:3", "4", "elementary_mathematics", "B"],
        ["mmmlu_FR_FR.csv:4", "Oxygène", "biology", "B"],
      ],
    );
    assert.deepEqual(got.skipped.map((r) => [r.line, r.reason]), [
      [5, 'answer "E" is not one of A-D'],
    ]);
  });
  await t.step("GPQA: seeded option order, recorded as labels", async () => {
    const got = await read("gpqa_main.csv");
    assert.equal(got.info.shape, "gpqa");
    assert.deepEqual(
      got.questions.map((q) => correctText(q)),
      ["gluon", "7", "thymine"],
    );
    for (const q of got.questions) {
      assert.equal(q.label, "correct");
      assert.equal(q.labels![q.answer.charCodeAt(0) - 65], "correct");
      const order = gpqaOrder(q.question, 4);
      assert.equal(q.labels!.indexOf("correct"), order.indexOf(0));
    }
    assert.deepEqual(got.questions[0]!.subject, "Physics (general)");
    // Not always first: the order depends on the question.
    const firsts = got.questions.map((q) => q.answer);
    assert.ok(firsts.some((a) => a !== "A"), firsts.join(""));
  });
  await t.step("TSV with category column", async () => {
    const got = await read("company_quiz.tsv");
    assert.deepEqual(
      got.questions.map((q) => [correctText(q), q.subject]),
      [["443", "networking"], ["manager", "policy"]],
    );
  });
});

Deno.test("readFile() reads the JSON Lines shapes: OpenBookQA, CommonsenseQA, HellaSwag, MedQA", async (t) => {
  await t.step("OpenBookQA original layout", async () => {
    const got = await read("openbookqa_test.jsonl");
    assert.equal(got.info.shape, "arc");
    assert.deepEqual(got.questions.map(correctText), [
      "plants sprouting, blooming and wilting",
      "tiny",
    ]);
  });
  await t.step(
    "CommonsenseQA: parallel label/text lists; duplicate labels skipped",
    async () => {
      const got = await read("commonsenseqa_validation.jsonl");
      assert.deepEqual(got.questions.map(correctText), [
        "bank",
        "complete job",
      ]);
      assert.deepEqual(got.questions[0]!.labels, ["A", "B", "C", "D", "E"]);
      assert.deepEqual(got.skipped.map((r) => [r.line, r.reason]), [
        [3, 'label "A" appears twice'],
      ]);
    },
  );
  await t.step(
    "HellaSwag: ctx and endings, integer label, out of range skipped",
    async () => {
      const got = await read("hellaswag_val.jsonl");
      assert.equal(got.info.shape, "hellaswag");
      assert.equal(
        got.questions[0]!.question,
        "A man is sitting on a roof. he",
      );
      assert.equal(
        correctText(got.questions[0]!),
        "starts pulling up roofing on a roof.",
      );
      assert.match(got.skipped[0]!.reason, /^answer 4 is out of range 0-3/);
    },
  );
  await t.step("MedQA: options object and answer_idx letter", async () => {
    const got = await read("medqa_test.jsonl");
    assert.deepEqual(got.questions.map(correctText), [
      "Ceftriaxone",
      "Vitamin C",
    ]);
    assert.deepEqual(got.questions[0]!.choices.length, 5);
  });
});

Deno.test("readFile() reads a JSON array of flat records: index, text and letter answers", async () => {
  const got = await read("company_quiz.json");
  assert.deepEqual([got.info.format, got.info.shape], ["json", "flat"]);
  assert.deepEqual(
    got.questions.map((q) => [q.line, correctText(q), q.subject, q.label]),
    [
      [2, "HR", "policy", "0"],
      [3, "5 GHz", "it", "5 GHz"],
      [6, "z", "policy", "c"],
      [7, "1", "it", "0"],
    ],
  );
  assert.deepEqual(got.skipped.map((r) => [r.id, r.reason]), [
    [
      "company_quiz.json:4",
      "answer 2 is out of range 0-1 (a number is a 0-based option index)",
    ],
    ["company_quiz.json:5", "choices are empty"],
  ]);
});

Deno.test("readFile() names the keys of an unknown shape, and --fields reads it", async () => {
  const unknown = await read("custom_shape.jsonl");
  assert.deepEqual(unknown.questions, []);
  assert.deepEqual(unknown.problems.map((p) => p.message), [
    'Cannot read "custom_shape.jsonl": its records are in no known question shape (keys "uid", "q", "opts", "gold", "area"); name the fields with --fields question=PATH,choices=PATH,answer=PATH (see docs/datasets.md)',
  ]);
  const mapped = await read(
    "custom_shape.jsonl",
    "question=q.body,choices=opts[].t,labels=opts[].k,answer=gold,subject=area",
  );
  assert.deepEqual(
    mapped.questions.map((
      q,
    ) => [q.question, correctText(q), q.subject, q.label]),
    [
      ["Which colour is the sky?", "blue", "nature", "b"],
      ["Which is a prime?", "7", "maths", "y"],
    ],
  );
  assert.deepEqual(mapped.info.shape, "fields");
});

Deno.test("readFile() names the columns of a header CSV in no known shape instead of skipping every row", async () => {
  // The header of AI2 ARC's CSV release (options inside the question text);
  // the rows are made up.
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "ARC-Challenge-Test.csv");
    await Deno.writeTextFile(
      path,
      "questionID,originalQuestionID,totalPossiblePoint,AnswerKey,isMultipleChoiceQuestion,includesDiagram,examName,schoolGrade,year,question,subject,category\n" +
        "Made_1,1,1,C,1,0,Made,9,2015,Which is wet? (A) sand (B) rock (C) water (D) salt,,Test\n" +
        "Made_2,2,1,A,1,0,Made,9,2015,Which is hot? (A) fire (B) ice (C) snow,,Test\n",
    );
    const info: FileInfo = { format: "", shape: null };
    const got = await collect(
      readFile({ path, relative: "ARC-Challenge-Test.csv" }, 0, { info }),
    );
    assert.deepEqual(got.questions, []);
    assert.deepEqual(got.skipped, []);
    assert.equal(info.shape, null);
    assert.deepEqual(got.problems.map((p) => p.message), [
      'Cannot read "ARC-Challenge-Test.csv": its columns are in no known question shape (columns "questionID", "originalQuestionID", "totalPossiblePoint", "AnswerKey", "isMultipleChoiceQuestion", "includesDiagram", "examName", "schoolGrade", "year", "question", "subject", "category"); name the fields with --fields question=PATH,choices=PATH,answer=PATH (see docs/datasets.md)',
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFile() judges MedMCQA's cop base from the file: 1-4 as distributed, 0-3 as on the Hub", async (t) => {
  const row = (q: string, cop: number) =>
    JSON.stringify({
      question: q,
      opa: "a",
      opb: "b",
      opc: "c",
      opd: "d",
      cop,
      "subject_name": "Anatomy",
    });
  const cases: [string, number[], string[], string | null][] = [
    ["original.jsonl", [1, 2, 3, 4], ["A", "B", "C", "D"], null],
    ["hub.jsonl", [1, 2, 0, 3], ["B", "C", "A", "D"], null],
    ["unknown.jsonl", [1, 2, 3], [], "counts from 0 in some files"],
  ];
  for (const [name, cops, answers, reason] of cases) {
    await t.step(name, async () => {
      await using tree = await tempTree({
        [name]: cops.map((c, i) => row(`Q${i}?`, c)).join("\n"),
      });
      const got = await collect(
        readFile({ path: `${tree.dir}/${name}`, relative: name }, 0),
      );
      assert.deepEqual(got.questions.map((q) => q.answer), answers);
      assert.deepEqual(
        got.questions.map((q) => q.label),
        answers.map((_, i) => String(cops[i])),
      );
      if (reason !== null) {
        assert.equal(got.skipped.length, cops.length);
        assert.ok(got.skipped.every((r) => r.reason.includes(reason)));
      }
    });
  }
});

Deno.test('readFile() judges numeric answers\' base from the file: "1"/"2" with two options count from 1', async () => {
  const rows = [
    [
      "The trophy did not fit the suitcase: it was too big.",
      "trophy",
      "suitcase",
      "1",
    ],
    [
      "The trophy did not fit the suitcase: it was too small.",
      "trophy",
      "suitcase",
      "2",
    ],
    ["Ann asked Mary for help because she was stuck.", "Ann", "Mary", "1"],
  ];
  await using tree = await tempTree({
    "two.csv": "question,option1,option2,answer\n" +
      rows.map((r) => r.map((f) => `"${f}"`).join(",")).join("\n"),
  });
  const got = await collect(
    readFile({ path: `${tree.dir}/two.csv`, relative: "two.csv" }, 0),
  );
  assert.deepEqual(got.skipped, []);
  assert.deepEqual(got.questions.map(correctText), [
    "trophy",
    "suitcase",
    "Ann",
  ]);
  assert.deepEqual(got.questions.map((q) => q.label), ["1", "2", "1"]);
});

Deno.test("readFile() keeps a real MMLU question in the first row, never taking it for a header", async () => {
  await using tree = await tempTree({
    "q.csv":
      "Which column holds the answer?,question,answer,subject,label,B\nQuestion,A,B,C,D,A\n",
    "h.csv": "question,answer,A,B,C,D\nWhat is 1+1?,B,1,2,3,4\n",
  });
  const q = await collect(
    readFile({ path: `${tree.dir}/q.csv`, relative: "q.csv" }, 0),
  );
  assert.deepEqual(q.questions.map((x) => [x.line, x.answer]), [[1, "B"], [
    2,
    "A",
  ]]);
  const h = await collect(
    readFile({ path: `${tree.dir}/h.csv`, relative: "h.csv" }, 0),
  );
  assert.deepEqual(h.questions.map((x) => [x.line, x.choices[1], x.answer]), [
    [2, "2", "B"],
  ]);
});
