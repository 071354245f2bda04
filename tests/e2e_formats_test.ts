// End-to-end: the real CLI against the fake Ollama server on one folder
// holding every format (headerless and header CSV, TSV, JSON, JSON Lines,
// Parquet) and no format flag. Every question is asked once, the counts add
// up, and accuracy equals an answer key kept here, apart from the readers.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import type { FakeRequest } from "./fake_ollama.ts";
import { STACK_TRACE_REGEXP } from "./cli_helper.ts";
import {
  onlyRunDir,
  quietArgs,
  readResults,
  readSummaryFile,
  runCli,
} from "./cli_helper.ts";

const SHAPES = decodeURIComponent(
  new URL("./fixtures/shapes/", import.meta.url).pathname,
);

/** Files copied into the run folder, with their bad rows. */
const FILES: Record<string, number> = {
  "mmlu_mixed_test.csv": 2,
  "mmmlu_FR_FR.csv": 1,
  "company_quiz.tsv": 0,
  "company_quiz.json": 2,
  "openbookqa_test.jsonl": 0,
  "commonsenseqa_validation.jsonl": 1,
  "hf_mmlu_test.parquet": 0,
  "arc_hub_test.parquet": 1,
  "gpqa_main.csv": 0,
};

/** Question text (a unique part of it) -> the text of the correct option. */
const KEY: [string, string][] = [
  ["Three options?", "blue"],
  ["Four options?", "a"],
  ["Five options?", "z"],
  ["Trailing empty options?", "no"],
  ["Quoted, with comma?", "4"],
  ["Quelle est la capitale", "Paris"],
  ["Combien font 2 + 2", "4"],
  ["Quel gaz respirons", "Oxygène"],
  ["Which port does HTTPS use?", "443"],
  ["Who approves expenses?", "manager"],
  ["Which team owns the payroll", "HR"],
  ["office Wi-Fi band", "5 GHz"],
  ["Letter answer?", "z"],
  ["Which floor is the canteen on?", "1"],
  ["The sun is responsible for", "plants sprouting, blooming and wilting"],
  ["When standing miles away", "tiny"],
  ["revolving door", "bank"],
  ["aim to do at work", "complete job"],
  ...Array.from({ length: 12 }, (_, i): [string, string] => [
    `Made-up MMLU question ${i + 1}?`,
    `${"wxyz"[i % 4]}${i}`,
  ]),
  ["Which gas do plants take in?", "carbon dioxide"],
  ["What melts ice fastest?", "salt"],
  ["Which is a mammal?", "whale"],
  ["Which planet is largest?", "Jupiter"],
  ["strong force", "gluon"],
  ["pH of pure water", "7"],
  ["pairs with adenine", "thymine"],
];

const OPTION_REGEXP = /^([A-J])\. (.*)$/gm;

/** Answers the even entries of KEY correctly and the odd ones wrongly. */
function reply(req: FakeRequest, asked: Map<number, number>) {
  const at = KEY.findIndex(([stem]) => req.text.includes(stem));
  if (at === -1) return { content: '{"answer":"A"}' };
  asked.set(at, (asked.get(at) ?? 0) + 1);
  const options = [...req.text.matchAll(OPTION_REGEXP)];
  const right = options.findIndex((m) => m[2] === KEY[at]![1]);
  assert.notEqual(right, -1, `no option "${KEY[at]![1]}" in ${req.text}`);
  const pick = at % 2 === 0 ? right : (right + 1) % options.length;
  return { content: JSON.stringify({ answer: options[pick]![1] }) };
}

Deno.test("llm-bench reads a folder of every format with no flag: each question asked once, counts and accuracy exact", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const data = join(tmp, "data");
    await Deno.mkdir(data);
    for (const name of Object.keys(FILES)) {
      await Deno.copyFile(join(SHAPES, name), join(data, name));
    }
    const asked = new Map<number, number>();
    await using fake = await startFakeOllama({
      parallel: 2,
      reply: (req) => reply(req, asked),
    });
    const out = join(tmp, "out");
    const r = await runCli([
      ...quietArgs(data, fake.url, out),
      "--model",
      "llama3.2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const dir = await onlyRunDir(out);
    const results = await readResults(dir);
    const summary = await readSummaryFile(dir);
    const skipped = Object.values(FILES).reduce((a, b) => a + b, 0);

    assert.equal(asked.size, KEY.length);
    assert.ok([...asked.values()].every((n) => n === 1));
    assert.equal(results.length, KEY.length + skipped);
    assert.equal(new Set(results.map((x) => x.id)).size, results.length);
    assert.equal(summary.counts.total, KEY.length + skipped);
    assert.equal(summary.counts.skipped, skipped);
    const correct = KEY.filter((_, i) => i % 2 === 0).length;
    assert.equal(summary.counts.correct, correct);
    assert.equal(summary.counts.wrong, KEY.length - correct);
    assert.equal(summary.counts.unparsed, 0);
    assert.equal(summary.counts.errors, 0);
    assert.equal(summary.accuracy, correct / KEY.length);
    // Each file's bad rows are skipped with a reason, under that file.
    for (const [name, bad] of Object.entries(FILES)) {
      const skippedHere = results.filter((x) =>
        x.file === name && x.status === "skipped"
      );
      assert.equal(skippedHere.length, bad, name);
      assert.ok(skippedHere.every((x) => x.reason), name);
    }
    assert.deepEqual(
      summary.dataset.files.map((f) => f.file).sort(),
      Object.keys(FILES).sort(),
    );
    assert.ok(
      summary.dataset.files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256)),
    );
    // Subjects come from the records where they have one.
    const subjects = new Set(results.map((x) => x.subject));
    for (
      const s of ["astronomy", "virology", "geography", "policy", "openbookqa"]
    ) {
      assert.ok(subjects.has(s), s);
    }
    // The original label is kept so a result can be traced back.
    const salt = results.find((x) => x.id === "arc_hub_test.parquet:2")!;
    assert.equal(salt.label, "1");
    assert.deepEqual(salt.labels, ["1", "2", "3"]);
    assert.equal(salt.expected, "A");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("llm-bench --shots takes examples from a JSON Lines dev file and records that file in run.json", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const data = join(tmp, "data");
    await Deno.mkdir(join(data, "test"), { recursive: true });
    await Deno.mkdir(join(data, "dev"), { recursive: true });
    await Deno.copyFile(
      join(SHAPES, "openbookqa_test.jsonl"),
      join(data, "dev", "obqa_dev.jsonl"),
    );
    await Deno.copyFile(
      join(SHAPES, "medqa_test.jsonl"),
      join(data, "test", "obqa_test.jsonl"),
    );
    await using fake = await startFakeOllama({
      reply: () => ({ content: '{"answer":"A"}' }),
    });
    const out = join(tmp, "out");
    const r = await runCli([
      ...quietArgs(data, fake.url, out),
      "--model",
      "llama3.2",
      "--shots",
      "1",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const asked = fake.requests.filter((x) => x.text.includes("scurvy"));
    assert.equal(asked.length, 1);
    assert.ok(asked[0]!.text.includes("The sun is responsible for"));
    const dir = await onlyRunDir(out);
    const manifest = JSON.parse(
      await Deno.readTextFile(join(dir, "run.json")),
    ) as { dataset: { files: { file: string; sha256: string }[] } };
    assert.deepEqual(manifest.dataset.files.map((f) => f.file), [
      "test/obqa_test.jsonl",
      "dev/obqa_dev.jsonl",
    ]);
    assert.ok(manifest.dataset.files.every((f) => f.sha256.length === 64));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("llm-bench keeps going past broken Parquet and JSON files beside good ones, and names each problem", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const data = join(tmp, "data");
    await Deno.mkdir(data);
    await Deno.copyFile(
      join(SHAPES, "mmmlu_FR_FR.csv"),
      join(data, "mmmlu_FR_FR.csv"),
    );
    const parquet = await Deno.readFile(join(SHAPES, "hf_mmlu_test.parquet"));
    await Deno.writeFile(
      join(data, "cut.parquet"),
      parquet.subarray(0, parquet.length - 50),
    );
    await Deno.writeTextFile(join(data, "renamed.parquet"), "q,a,b,A\n");
    await Deno.writeTextFile(
      join(data, "syntax.json"),
      '[\n{"question": "Fine?", "options": ["x", "y"], "answer": "B"},\n{"question": "Broken?" "options": []},\n{"question": "Also fine?", "options": ["x", "y"], "answer": "A"}\n]\n',
    );
    await using fake = await startFakeOllama({
      reply: () => ({ content: '{"answer":"B"}' }),
    });
    const out = join(tmp, "out");
    const r = await runCli([
      ...quietArgs(data, fake.url, out),
      "--model",
      "llama3.2",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
    assert.match(
      r.stderr,
      /Cannot read "cut.parquet": the Parquet file is cut short/,
    );
    assert.match(
      r.stderr,
      /Cannot read "renamed.parquet": it is not a Parquet file/,
    );
    const results = await readResults(await onlyRunDir(out));
    const byFile = (f: string) => results.filter((x) => x.file === f);
    assert.equal(byFile("mmmlu_FR_FR.csv").length, 4);
    const json = byFile("syntax.json").sort((a, b) => a.line - b.line);
    assert.deepEqual(json.map((x) => [x.id, x.status]), [
      ["syntax.json:2", "correct"],
      ["syntax.json:3", "skipped"],
      ["syntax.json:4", "wrong"],
    ]);
    assert.match(
      json[1]!.reason!,
      /^invalid JSON in the record starting on line 3/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
