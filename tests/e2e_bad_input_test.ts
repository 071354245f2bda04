// End-to-end bad input: each odd or broken dataset file sits beside a good
// one. The good rows must all run, the bad file must be named on stderr,
// skipped rows are counted and listed with reasons, counts add up, and a
// user's mistake never prints a stack trace.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  type GeneratedQuestion,
  jsonReplies,
  quietArgs,
  readResults,
  readSummaryFile,
  runCli,
  STACK_TRACE_REGEXP,
  tempDir,
  writeDataset,
} from "./cli_helper.ts";
import type { ResultRecord } from "../src/schema.ts";

/** What a bad file should turn into. */
interface BadCase {
  name: string;
  file: string;
  bytes: Uint8Array | string;
  /** Line -> expected letter of each row that must become a question. */
  questions: Record<number, string>;
  /** Line -> reason pattern of each row that must be skipped. */
  skipped?: Record<number, RegExp>;
  /** A whole-file problem, printed as a warning naming the file. */
  problem?: RegExp;
  /** Check the requests the fake received. */
  sent?: (texts: string[]) => void;
}

function utf16le(text: string, bom: boolean): Uint8Array {
  const out = new Uint8Array((bom ? 2 : 0) + text.length * 2);
  let o = 0;
  if (bom) {
    out[o++] = 0xff;
    out[o++] = 0xfe;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[o++] = c & 0xff;
    out[o++] = c >> 8;
  }
  return out;
}

const PNG = new Uint8Array([
  0x89,
  0x50,
  0x4e,
  0x47,
  0x0d,
  0x0a,
  0x1a,
  0x0a,
  0,
  0,
  0,
  13,
  0x49,
  0x48,
  0x44,
  0x52,
  0,
  0,
  0,
  1,
  0,
  0,
  0,
  1,
  8,
  0,
  0,
  0,
  0,
  0x3a,
  0x7e,
  0x9b,
  0x55,
  0,
  0,
  0,
  0,
  0x49,
  0x45,
  0x4e,
  0x44,
]);
const BINARY = new Uint8Array(600).map((_, i) => (i * 37) % 256);
const HUGE_QUESTION = "Long question start. " + "x".repeat(1_000_000) +
  " Long question end?";

const CASES: BadCase[] = [
  {
    name: "an empty file",
    file: "empty_test.csv",
    bytes: "",
    questions: {},
    problem: /empty/,
  },
  {
    name: "a header and no rows",
    file: "header_only_test.csv",
    bytes: "question,A,B,C,D,answer\r\n",
    questions: {},
    problem: /header/,
  },
  {
    name: "a BOM and CRLF line ends without a final newline",
    file: "bom_test.csv",
    bytes: "\uFEFFFirst?,a,b,c,d,B\r\nSecond?,a,b,c,d,C\r\nThird?,a,b,c,d,D",
    questions: { 1: "B", 2: "C", 3: "D" },
    sent: (texts) =>
      assert.ok(
        texts.some((t) => t.includes("First?") && !t.includes("\uFEFF")),
      ),
  },
  {
    name: "line breaks inside quoted fields",
    file: "quoted_test.csv",
    bytes:
      'One?,a,b,c,d,A\n"Code:\nint x = 1;\r\nreturn x;",1,"two\nlines",3,4,B\nAfter?,a,b,c,d,C\n',
    questions: { 1: "A", 2: "B", 6: "C" },
  },
  {
    name: "lower-case and spaced answers",
    file: "case_test.csv",
    bytes: "Lower?,a,b,c,d,b\nSpaced?,a,b,c,d, c \nTab?,a,b,c,d,\td\n",
    questions: { 1: "B", 2: "C", 3: "D" },
  },
  {
    name: "answer letters out of range, numeric, empty or a word",
    file: "answers_test.csv",
    bytes:
      "Good?,a,b,c,d,A\nRange?,a,b,c,d,E\nNumeric?,a,b,c,d,2\nEmpty?,a,b,c,d,\nWord?,a,b,c,d,Paris\nGood too?,a,b,c,d,D\n",
    questions: { 1: "A", 6: "D" },
    skipped: { 2: /"E"/, 3: /"2"/, 4: /empty/, 5: /"Paris"/ },
  },
  {
    name: "rows with other option counts, too few or too many fields",
    file: "fields_test.csv",
    bytes:
      "Good?,a,b,c,d,A\nFew?,a,b,c,A\nMany?,a,b,c,d,e,B\nGood too?,a,b,c,d,C\nTwo fields?,A\nEleven?,1,2,3,4,5,6,7,8,9,10,11,A\n",
    questions: { 1: "A", 2: "A", 3: "B", 4: "C" },
    skipped: { 5: /2 fields/, 6: /13 fields/ },
  },
  {
    name: "an unterminated quote after good rows",
    file: "quote_test.csv",
    bytes:
      'One?,a,b,c,d,A\nTwo?,a,b,c,d,B\n"Three?\nstill three",a,b,c,d,C\n"Five opens,a,b,c,d,A\nSix?,a,b,c,d,B\n',
    questions: { 1: "A", 2: "B", 3: "C" },
    problem: /line 5.*quote|quote.*line 5/,
  },
  {
    name: "a binary file",
    file: "binary_test.csv",
    bytes: BINARY,
    questions: {},
    problem: /binary|NUL|UTF-8/,
  },
  {
    name: "a PNG renamed .csv",
    file: "image_test.csv",
    bytes: PNG,
    questions: {},
    problem: /PNG/,
  },
  {
    name: "a 1 MB question",
    file: "huge_test.csv",
    bytes: `Short?,a,b,c,d,A\n"${HUGE_QUESTION}",a,b,c,d,B\n`,
    questions: { 1: "A", 2: "B" },
    sent: (texts) =>
      assert.ok(
        texts.some((t) => t.includes(HUGE_QUESTION)),
        "the long question is sent whole",
      ),
  },
  {
    name: "UTF-16LE with a BOM",
    file: "utf16_test.csv",
    bytes: utf16le('One?,a,b,c,d,A\r\n"Two, ""q""?",a,b,c,d,B\r\n', true),
    questions: { 1: "A", 2: "B" },
    sent: (texts) => assert.ok(texts.some((t) => t.includes('Two, "q"?'))),
  },
  {
    name: "UTF-16LE without a BOM",
    file: "utf16_nobom_test.csv",
    bytes: utf16le("One?,a,b,c,d,A\r\nTwo?,a,b,c,d,B\r\n", false),
    questions: {},
    problem: /UTF-16/,
  },
  {
    name: "semicolon-separated rows",
    file: "semicolon_test.csv",
    bytes: 'What is 3,5 + 1?;4,5;5;6;7;A\n"A; quoted?";x;y;z;w;D\n',
    questions: { 1: "A", 2: "D" },
    sent: (texts) =>
      assert.ok(texts.some((t) => t.includes("What is 3,5 + 1?"))),
  },
  {
    name: "ten-option rows",
    file: "ten_test.csv",
    bytes:
      "Pick J?,o1,o2,o3,o4,o5,o6,o7,o8,o9,o10,J\nPick a?,o1,o2,o3,o4,o5,o6,o7,o8,o9,o10,a\nPick K?,o1,o2,o3,o4,o5,o6,o7,o8,o9,o10,K\n",
    questions: { 1: "J", 2: "A" },
    skipped: { 3: /"K"/ },
  },
  {
    name: "a header row",
    file: "header_test.csv",
    bytes:
      "question,A,B,C,D,answer\n2+2?,3,4,5,6,B\nCapital of France?,Paris,Rome,Oslo,Bern,A\n",
    questions: { 2: "B", 3: "A" },
  },
  {
    name: "non-Latin scripts and emoji",
    file: "unicode_test.csv",
    bytes:
      "Какой город?,Москва,Париж,Рим,Осло,B\n日本の首都は？,東京,大阪,京都,札幌,A\n" +
      "ما هي عاصمة مصر؟,القاهرة,دبي,عمان,تونس,A\nWhich emoji is a cat? 🤔,🐶,🐱,🐭,🦊,B\n",
    questions: { 1: "B", 2: "A", 3: "A", 4: "B" },
    sent: (texts) => {
      for (
        const s of ["Какой город?", "日本の首都は？", "ما هي عاصمة مصر؟", "🐱"]
      ) {
        assert.ok(texts.some((t) => t.includes(s)), s);
      }
    },
  },
];

function checkCounts(
  results: ResultRecord[],
  counts: Record<string, number>,
): void {
  assert.equal(counts.total, results.length);
  assert.equal(
    counts.correct! + counts.wrong! + counts.unparsed! + counts.errors! +
      counts.skipped!,
    counts.total,
  );
  assert.equal(
    counts.skipped,
    results.filter((r) => r.status === "skipped").length,
  );
}

function checkGoodFile(
  results: ResultRecord[],
  good: GeneratedQuestion[],
): void {
  const rows = results.filter((r) => r.file === "anatomy_test.csv");
  assert.equal(rows.length, good.length, "every good row ran");
  for (const q of good) {
    const r = rows.find((x) =>
      (x.messages ?? []).some((m) => m.content.includes(q.marker))
    );
    assert.ok(r, q.marker);
    assert.equal(r.expected, q.answer);
    assert.equal(r.predicted, q.reply);
  }
}

Deno.test("llm-bench runs the good file and accounts for every row of a bad file beside it", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, async () => {
      await using tmp = await tempDir();
      const data = join(tmp.path, "data");
      const good = await writeDataset(data, ["anatomy"], 3);
      const path = join(data, c.file);
      if (typeof c.bytes === "string") await Deno.writeTextFile(path, c.bytes);
      else await Deno.writeFile(path, c.bytes);
      await using fake = await startFakeOllama({ reply: jsonReplies(good) });
      const r = await runCli(quietArgs(data, fake.url, join(tmp.path, "out")));
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
      const dir = join(tmp.path, "out", "run");
      const results = await readResults(dir);
      const summary = await readSummaryFile(dir);
      checkCounts(results, summary.counts as unknown as Record<string, number>);
      checkGoodFile(results, good);

      const mine = results.filter((x) => x.file === c.file);
      const asQuestions = Object.fromEntries(
        mine.filter((x) => x.status !== "skipped").map((
          x,
        ) => [x.line, x.expected]),
      );
      assert.deepEqual(
        asQuestions,
        Object.fromEntries(Object.entries(c.questions)),
      );
      const skipped = mine.filter((x) => x.status === "skipped");
      assert.deepEqual(
        skipped.map((x) => x.line).sort((a, b) => a - b),
        Object.keys(c.skipped ?? {}).map(Number),
      );
      for (const s of skipped) {
        assert.match(String(s.reason), c.skipped![s.line]!, `line ${s.line}`);
      }
      assert.equal(new Set(results.map((x) => x.id)).size, results.length);

      if (c.problem || skipped.length > 0) {
        assert.ok(
          r.stderr.includes(c.file),
          `stderr names ${c.file}:\n${r.stderr}`,
        );
      }
      if (c.problem) {
        const line = r.stderr.split("\n").find((l) => l.includes(c.file)) ?? "";
        assert.match(line, c.problem);
        assert.ok(summary.dataset.problems.some((p) => p.includes(c.file)));
      }
      c.sent?.(fake.requests.map((x) => x.text));
    });
  }
});

Deno.test("llm-bench exits 2 without a stack trace when the dataset folder is missing or has no matching file", async (t) => {
  await using tmp = await tempDir();
  await using fake = await startFakeOllama();
  await t.step("missing folder", async () => {
    const r = await runCli(
      quietArgs(join(tmp.path, "nope"), fake.url, join(tmp.path, "o1")),
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /Cannot read ".*nope"/);
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  });
  await t.step("folder with no matching file", async () => {
    const data = join(tmp.path, "notes");
    await Deno.mkdir(data);
    await Deno.writeTextFile(join(data, "readme.txt"), "not a dataset");
    const r = await runCli(quietArgs(data, fake.url, join(tmp.path, "o2")));
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /No files match "\*\.\{csv,tsv,jsonl,json,parquet\}"/,
    );
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  });
  await t.step("only bad files", async () => {
    const data = join(tmp.path, "bad");
    await Deno.mkdir(data);
    await Deno.writeFile(join(data, "image_test.csv"), PNG);
    const r = await runCli(quietArgs(data, fake.url, join(tmp.path, "o3")));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /No usable question/);
    assert.match(r.stderr, /image_test\.csv/);
    assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  });
  assert.equal(fake.requests.length, 0);
});

Deno.test("llm-bench reads each file once through a symlink loop and names a broken link", async () => {
  await using tmp = await tempDir();
  const data = join(tmp.path, "data");
  const good = await writeDataset(data, ["anatomy"], 3);
  await Deno.mkdir(join(data, "sub"));
  await Deno.symlink(data, join(data, "sub", "loop"));
  await Deno.symlink(join(data, "missing.csv"), join(data, "broken_test.csv"));
  await using fake = await startFakeOllama({ reply: jsonReplies(good) });
  const r = await runCli(quietArgs(data, fake.url, join(tmp.path, "out")));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /broken_test\.csv/);
  assert.doesNotMatch(r.stderr, STACK_TRACE_REGEXP);
  const results = await readResults(join(tmp.path, "out", "run"));
  assert.equal(results.length, 3);
  checkGoodFile(results, good);
  assert.equal(fake.requests.length, 3);
});
