import { collect } from "./dataset_helper.ts";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { readJsonlFile } from "../src/dataset/jsonl.ts";
import { readFile } from "../src/dataset/read.ts";

const PRO = fileURLToPath(
  new URL(
    "./fixtures/mmlu-pro/mmlu_pro_validation.jsonl",
    import.meta.url,
  ),
);

async function readText(name: string, data: string | Uint8Array) {
  const dir = await Deno.makeTempDir({ prefix: "llm_bench_jsonl_" });
  try {
    const path = `${dir}/${name}`;
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
    return await collect(readFile({ path, relative: name }, 0));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readJsonlFile() reads the MMLU-Pro sample: 70 rows, N/A padding dropped, answers kept", async () => {
  const read = await collect(
    readJsonlFile({ path: PRO, relative: "mmlu_pro_validation.jsonl" }, 10),
  );
  assert.deepEqual(read.problems, []);
  assert.deepEqual(read.skipped, []);
  assert.equal(read.questions.length, 70);
  const raw = (await Deno.readTextFile(PRO)).split("\n").filter((l) =>
    l.trim() !== ""
  ).map((l) =>
    JSON.parse(l) as {
      question: string;
      options: string[];
      "answer_index": number;
      category: string;
    }
  );
  let dropped = 0;
  for (const [i, q] of read.questions.entries()) {
    const row = raw[i]!;
    assert.equal(q.id, `mmlu_pro_validation.jsonl:${i + 1}`);
    assert.equal(q.index, 10 + i);
    assert.equal(q.subject, row.category);
    assert.equal(q.question, row.question);
    assert.ok(!q.choices.includes("N/A"), q.id);
    dropped += row.options.length - q.choices.length;
    const position = q.answer.charCodeAt(0) - 65;
    assert.equal(q.choices[position], row.options[row.answer_index], q.id);
  }
  assert.equal(dropped, 51);
});

Deno.test("readJsonlFile() skips bad lines with a reason and ignores blank ones", async () => {
  const lines = [
    '{"question":"Good?","options":["a","N/A","b","c"],"answer":"D","answer_index":3}',
    "",
    "{not json",
    "[1,2]",
    '{"question":"","options":["a","b"],"answer":"A"}',
    '{"question":"Mismatch?","options":["a","b"],"answer":"A","answer_index":1}',
    '{"question":"Padding?","options":["a","N/A","b"],"answer_index":1}',
    '{"question":"One real?","options":["a","N/A"],"answer":"a"}',
    '{"question":"No options?","answer":"A"}',
    '{"question":"Out of range?","options":["a","b"],"answer":"C"}',
    '{"question":"Lower, no index?","options":["a","b"],"answer":" b ","category":""}',
  ];
  const read = await readText("physics_test.jsonl", lines.join("\r\n"));
  assert.deepEqual(read.problems, []);
  assert.deepEqual(
    read.questions.map((q) => [q.id, q.index, q.choices, q.answer, q.subject]),
    [
      ["physics_test.jsonl:1", 0, ["a", "b", "c"], "C", "physics"],
      ["physics_test.jsonl:11", 9, ["a", "b"], "B", "physics"],
    ],
  );
  assert.match(read.skipped[0]!.reason, /^invalid JSON: /);
  assert.deepEqual(
    read.skipped.slice(1).map((r) => [r.line, r.index, r.reason]),
    [
      [4, 2, "line is not a JSON object"],
      [5, 3, "question is missing or empty"],
      [6, 4, 'answer "A" does not match answer_index 1'],
      [7, 5, 'answer B points to an "N/A" padding option'],
      [8, 6, "row has 1 real option; a question needs 2 to 10"],
      [9, 7, "options is missing or not a list of strings"],
      [10, 8, 'answer "C" is not one of A-B'],
    ],
  );
  assert.deepEqual([read.skipped[0]!.line, read.skipped[0]!.index], [3, 1]);
});

Deno.test("readJsonlFile() reads a UTF-8 BOM and a 1 MB question", async () => {
  const big = "y".repeat(1024 * 1024);
  const text = "\uFEFF" +
    JSON.stringify({ question: big, options: ["a", "b"], answer: "A" }) +
    "\n";
  const read = await readText("big.jsonl", text);
  assert.deepEqual(read.problems, []);
  assert.equal(read.questions[0]!.question, big);
});

Deno.test("readJsonlFile() reports whole-file problems", async (t) => {
  const cases: [string, string | Uint8Array, string][] = [
    ["empty.jsonl", "", 'Cannot read "empty.jsonl": the file is empty'],
    [
      "blank.jsonl",
      "\n\r\n",
      'Cannot read "blank.jsonl": the file has no rows',
    ],
    [
      "nul.jsonl",
      new Uint8Array([0x7b, 0x7d, 0x0a, 0x00, 0x01]),
      'Cannot read "nul.jsonl": line 2 holds a NUL byte; it looks like a binary file, not text',
    ],
  ];
  for (const [name, data, message] of cases) {
    await t.step(name, async () => {
      const read = await readText(name, data);
      assert.deepEqual(read.problems.map((p) => p.message), [message]);
    });
  }
});

Deno.test("readJsonlFile() reads a .jsonl file that holds a JSON array, on one line or pretty-printed", async (t) => {
  const records = [
    { question: "q1", choices: ["a", "b", "c"], answer: 2, subject: "s1" },
    { question: "q2", choices: ["a", "b", "c"], answer: 1, subject: "s1" },
  ];
  for (
    const [name, text] of [
      ["one line", JSON.stringify(records) + "\n"],
      ["pretty", "\ufeff" + JSON.stringify(records, null, 2)],
      ["leading blank lines", "\n\n  " + JSON.stringify(records)],
    ]
  ) {
    await t.step(name!, async () => {
      const read = await readText("array.jsonl", text!);
      assert.deepEqual(read.problems, []);
      assert.deepEqual(read.skipped, []);
      assert.deepEqual(
        read.questions.map((q) => [q.question, q.answer, q.subject]),
        [["q1", "C", "s1"], ["q2", "B", "s1"]],
      );
    });
  }
});

Deno.test("readJsonlFile() files a skipped record under the record's own subject", async () => {
  const read = await readText(
    "mixed_test.jsonl",
    [
      '{"question":"q1","options":["a","b"],"answer":"B","category":"law"}',
      '{"question":"q2","options":["a","b"],"answer":"E","category":"law"}',
      '{"question":"q3","options":[],"answer":"A","category":"math"}',
      '{"question":"q4","options":["a","b"],"answer":"E"}',
    ].join("\n"),
  );
  assert.deepEqual(read.questions.map((q) => q.subject), ["law"]);
  assert.deepEqual(read.skipped.map((s) => s.subject), [
    "law",
    "math",
    "mixed",
  ]);
});

Deno.test("readFile() reads pretty-printed objects one after another in a .jsonl file", async () => {
  const records = [
    { question: "q1", options: ["a", "b"], answer: "B" },
    { question: "q2", options: ["a", "b"], answer: "A" },
  ];
  const read = await readText(
    "pretty.jsonl",
    records.map((r) => JSON.stringify(r, null, 2)).join("\n") + "\n",
  );
  assert.deepEqual(read.problems, []);
  assert.deepEqual(read.skipped, []);
  assert.deepEqual(read.questions.map((q) => [q.id, q.answer]), [
    ["pretty.jsonl:1", "B"],
    ["pretty.jsonl:9", "A"],
  ]);
});

Deno.test("a binary file is named by the format its extension asks for", async (t) => {
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const cases: [string, string][] = [
    ["data.jsonl", "JSON Lines"],
    ["data.ndjson", "JSON Lines"],
    ["data.json", "JSON"],
    ["data.tsv", "TSV"],
    ["data.csv", "CSV"],
  ];
  for (const [name, kind] of cases) {
    await t.step(name, async () => {
      const read = await readText(name, png);
      assert.deepEqual(read.problems.map((p) => p.message), [
        `Cannot read "${name}": it is a PNG image, not a ${kind} file`,
      ]);
    });
  }
});
