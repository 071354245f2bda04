import { collect, type Read } from "./dataset_helper.ts";
import assert from "node:assert/strict";
import { fileURLToPath as fromFileUrl } from "node:url";
import { readCsvFile } from "../src/dataset/csv.ts";
import type { DatasetFile } from "../src/dataset/discover.ts";
import type { Question } from "../src/schema.ts";

const FIXTURES = new URL("./fixtures/bad/", import.meta.url);
const MMLU = new URL("./fixtures/mmlu/", import.meta.url);

function fixture(name: string): DatasetFile {
  return { path: fromFileUrl(new URL(name, FIXTURES)), relative: name };
}

function readFixture(name: string): Promise<Read> {
  return collect(readCsvFile(fixture(name), 0));
}

async function tempFile(name: string, data: string | Uint8Array) {
  const dir = await Deno.makeTempDir({ prefix: "llm_bench_csv_" });
  const path = `${dir}/${name}`;
  if (typeof data === "string") await Deno.writeTextFile(path, data);
  else await Deno.writeFile(path, data);
  return {
    file: { path, relative: name },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("readCsvFile() reads every MMLU dev file with 5 rows and the README's letter totals", async () => {
  const dir = new URL("dev/", MMLU);
  const letters: Record<string, number> = {};
  let files = 0;
  let index = 0;
  for await (const entry of Deno.readDir(dir)) {
    const file = {
      path: fromFileUrl(new URL(entry.name, dir)),
      relative: `dev/${entry.name}`,
    };
    const read = await collect(readCsvFile(file, index));
    assert.deepEqual(read.problems, [], entry.name);
    assert.deepEqual(read.skipped, [], entry.name);
    assert.equal(read.questions.length, 5, entry.name);
    assert.equal(read.questions[0]!.index, index);
    index += 5;
    for (const q of read.questions) {
      letters[q.answer] = (letters[q.answer] ?? 0) + 1;
      assert.equal(q.choices.length, 4);
      assert.equal(q.subject, entry.name.replace(/_dev\.csv$/, ""));
    }
    files++;
  }
  assert.equal(files, 57);
  assert.deepEqual(letters, { A: 67, B: 69, C: 71, D: 78 });
});

Deno.test("readCsvFile() reads the MMLU test files with the README's row counts and start lines", async (t) => {
  const cases: [string, number, number[], number][] = [
    ["abstract_algebra_test.csv", 100, [1, 2, 3], 100],
    [
      "college_computer_science_test.csv",
      100,
      [1, 2, 3, 9, 10, 11, 12, 16, 20, 21, 22, 26],
      219,
    ],
    ["high_school_geography_test.csv", 198, [1, 2, 3], 198],
  ];
  for (const [name, count, firstLines, lastLine] of cases) {
    await t.step(name, async () => {
      const file = {
        path: fromFileUrl(new URL(`test/${name}`, MMLU)),
        relative: `test/${name}`,
      };
      const read = await collect(readCsvFile(file, 1000));
      assert.deepEqual(read.problems, []);
      assert.deepEqual(read.skipped, []);
      assert.equal(read.questions.length, count);
      assert.deepEqual(
        read.questions.slice(0, firstLines.length).map((q) => q.line),
        firstLines,
      );
      const last = read.questions.at(-1)!;
      assert.equal(last.line, lastLine);
      assert.equal(last.id, `test/${name}:${lastLine}`);
      assert.equal(last.index, 1000 + count - 1);
    });
  }
});

Deno.test("readCsvFile() keeps MMLU text byte-exact: CR in a quoted field, final newlines, leading spaces", async () => {
  const dev = (name: string) =>
    collect(readCsvFile({
      path: fromFileUrl(new URL(`dev/${name}`, MMLU)),
      relative: name,
    }, 0));
  const math = await dev("college_mathematics_dev.csv");
  assert.deepEqual(math.questions.map((q) => q.line), [1, 2, 3, 7, 8]);
  assert.ok(
    math.questions[2]!.question.startsWith(
      "Let A be a real 2x2 matrix. Which of the following statements must be true?\r\nI. All",
    ),
  );
  const nutrition = await dev("nutrition_dev.csv");
  assert.equal(nutrition.questions.length, 5);
  for (const q of nutrition.questions) assert.ok(q.question.endsWith("?\n"));
  const logic = await dev("formal_logic_dev.csv");
  assert.ok(logic.questions[0]!.question.startsWith(" Select th"));
  const history = await dev("high_school_european_history_dev.csv");
  assert.deepEqual(history.questions.map((q) => q.line), [1, 13, 24, 32, 37]);
});

Deno.test("readCsvFile() reads a BOM, CRLF and no final newline", async () => {
  const read = await readFixture("bom_crlf.csv");
  assert.deepEqual(read.problems, []);
  assert.deepEqual(
    read.questions.map((q) => [q.line, q.question, q.answer]),
    [
      [1, "First question?", "A"],
      [2, "Second, \u201cquoted\u201d?", "B"],
      [3, "Third, with comma?", "C"],
    ],
  );
});

Deno.test("readCsvFile() keeps line breaks and doubled quotes inside quoted fields", async () => {
  const read = await readFixture("quoted_newlines.csv");
  assert.deepEqual(read.problems, []);
  assert.deepEqual(read.questions.map((q) => q.line), [1, 2, 6, 8, 10]);
  assert.equal(read.questions[1]!.question, "Code:\nint x = 1;\nreturn x;");
  assert.deepEqual(read.questions[1]!.choices, ["1", "two\nlines", "3", "4"]);
  assert.equal(read.questions[2]!.question, "CRLF inside\r\nthis question");
  assert.equal(read.questions[3]!.question, "Ends with a newline\n");
  assert.equal(read.questions[3]!.choices[1], 'say "hi"');
});

Deno.test("readCsvFile() accepts spaced and lower-case answers, judges each row's option count alone and skips bad rows with a reason", async () => {
  const read = await readFixture("answers.csv");
  assert.deepEqual(read.problems, []);
  assert.deepEqual(
    read.questions.map((q) => [q.id, q.answer, q.index, q.choices.length]),
    [
      ["answers.csv:1", "B", 0, 4],
      ["answers.csv:2", "C", 1, 4],
      ["answers.csv:7", "A", 6, 3],
      ["answers.csv:8", "A", 7, 5],
      ["answers.csv:10", "D", 9, 4],
    ],
  );
  assert.deepEqual(read.skipped.map((r) => [r.id, r.index, r.reason]), [
    ["answers.csv:3", 2, 'answer "E" is not one of A-D'],
    [
      "answers.csv:4",
      3,
      'answer "2" is a number; expected a letter, one of A-D',
    ],
    ["answers.csv:5", 4, "answer is empty; expected one of A-D"],
    ["answers.csv:6", 5, "question is empty"],
    ["answers.csv:9", 8, 'answer "Paris" is not a letter; expected one of A-D'],
  ]);
});

Deno.test("readCsvFile() reads 10-option rows and rejects letters past J", async () => {
  const read = await readFixture("ten_options.csv");
  assert.deepEqual(read.questions.map((q) => [q.answer, q.choices.length]), [
    ["J", 10],
    ["A", 10],
  ]);
  assert.deepEqual(read.skipped.map((r) => r.reason), [
    'answer "K" is not one of A-J',
  ]);
});

Deno.test("readCsvFile() drops trailing empty options and skips a gap", async () => {
  const read = await readFixture("trailing_empty_options.csv");
  assert.deepEqual(read.questions.map((q) => q.choices), [
    ["yes", "no"],
    ["a", "b", "c", "d"],
  ]);
  assert.deepEqual(read.skipped.map((r) => r.reason), ["option B is empty"]);
});

Deno.test("readCsvFile() keeps non-Latin scripts, emoji, NBSP and an inner U+FEFF", async () => {
  const read = await readFixture("unicode.csv");
  assert.deepEqual(read.problems, []);
  assert.equal(read.questions.length, 5);
  assert.equal(
    read.questions[0]!.choices[0],
    "\u041c\u043e\u0441\u043a\u0432\u0430",
  );
  assert.equal(
    read.questions[1]!.question,
    "\u65e5\u672c\u306e\u9996\u90fd\u306f\uff1f",
  );
  assert.equal(read.questions[3]!.choices[1], "\u{1F431}");
  assert.equal(read.questions[4]!.question, "Zero\uFEFFwidth BOM inside");
  assert.equal(read.questions[4]!.choices[0], "\u00a0nbsp");
});

Deno.test("readCsvFile() ignores blank lines and counts them in start lines", async () => {
  const read = await readFixture("blank_lines.csv");
  assert.deepEqual(read.problems, []);
  assert.deepEqual(read.skipped, []);
  assert.deepEqual(read.questions.map((q) => [q.line, q.index]), [
    [3, 0],
    [6, 1],
    [10, 2],
  ]);
  assert.equal(read.questions[1]!.question, "Two\n\nlines?");
});

Deno.test("readCsvFile() skips a header row without counting it", async () => {
  const read = await readFixture("header_rows.csv");
  assert.deepEqual(read.questions.map((q) => [q.id, q.index, q.answer]), [
    ["header_rows.csv:2", 0, "B"],
    ["header_rows.csv:3", 1, "A"],
  ]);
});

Deno.test("readCsvFile() reads a semicolon-separated file", async () => {
  const read = await readFixture("semicolon.csv");
  assert.deepEqual(read.problems, []);
  assert.deepEqual(
    read.questions.map((q) => [q.question, q.choices, q.answer]),
    [
      ["What is 3,5 + 1?", ["4,5", "5", "6", "7"], "A"],
      ["A; quoted question?", ["x", "y", "z", "w"], "D"],
    ],
  );
});

Deno.test("readCsvFile() decodes UTF-16 files with a byte order mark", async (t) => {
  for (const name of ["utf16le_bom.csv", "utf16be_bom.csv"]) {
    await t.step(name, async () => {
      const read = await readFixture(name);
      assert.deepEqual(read.problems, []);
      assert.deepEqual(read.questions.map((q) => [q.line, q.question]), [
        [1, "One?"],
        [2, 'Two, "q"?'],
      ]);
    });
  }
});

Deno.test("readCsvFile() reports whole-file problems and ends the file", async (t) => {
  const cases: [string, string, number | null][] = [
    ["empty.csv", 'Cannot read "empty.csv": the file is empty', null],
    [
      "header_only.csv",
      'Cannot read "header_only.csv": the file has a header row but no questions',
      null,
    ],
    [
      "image.csv",
      'Cannot read "image.csv": it is a PNG image, not a CSV file',
      null,
    ],
    [
      "binary.csv",
      'Cannot read "binary.csv": line 1 holds a NUL byte; it looks like a binary file, not text',
      1,
    ],
    [
      "utf16le_nobom.csv",
      'Cannot read "utf16le_nobom.csv": it looks like UTF-16LE text without a byte order mark; save it as UTF-8',
      null,
    ],
    [
      "latin1.csv",
      'Cannot read "latin1.csv": line 2 is not valid UTF-8 (byte 0xEF); save the file as UTF-8',
      2,
    ],
    [
      "one_field.csv",
      'Cannot read "one_field.csv": line 1 has 1 field; llm-bench reads comma-separated rows (question, 2 to 10 options, answer letter)',
      1,
    ],
  ];
  for (const [name, message, line] of cases) {
    await t.step(name, async () => {
      const read = await readFixture(name);
      assert.deepEqual(read.questions, []);
      assert.deepEqual(read.skipped, []);
      assert.deepEqual(read.problems, [{ file: name, line, message }]);
    });
  }
});

Deno.test("readCsvFile() reports the record where a quote is never closed, after the rows before it", async () => {
  const read = await readFixture("unterminated_quote.csv");
  assert.deepEqual(read.questions.map((q) => q.line), [1, 2, 3]);
  assert.deepEqual(read.problems, [{
    file: "unterminated_quote.csv",
    line: 5,
    message:
      'Cannot read "unterminated_quote.csv": the record starting on line 5 has a quote that is never closed',
  }]);
});

Deno.test("readCsvFile() reports text after a closing quote and a quote inside an unquoted field", async (t) => {
  await t.step("text after a closing quote", async () => {
    await using tmp = await tempFile(
      "q.csv",
      'One?,a,b,c,d,A\n"He said "hi" twice",a,b,c,d,B\n',
    );
    const read = await collect(readCsvFile(tmp.file, 0));
    assert.equal(read.questions.length, 1);
    assert.deepEqual(read.problems.map((p) => [p.line, p.message]), [[
      2,
      'Cannot read "q.csv": line 2 has "h" right after the closing quote of a field (record starting on line 2); inside quotes write a quote as ""',
    ]]);
  });
  await t.step(
    "quote inside an unquoted field, after a CRLF in quotes",
    async () => {
      await using tmp = await tempFile(
        "q.csv",
        '"One\r\nquestion?",a,b,c,d,A\n\nTwo?,a,b,c,d,B\nA 5" screen?,a,b,c,d,B\n',
      );
      const read = await collect(readCsvFile(tmp.file, 0));
      assert.deepEqual(read.questions.map((q) => q.line), [1, 4]);
      assert.deepEqual(read.problems.map((p) => [p.line, p.message]), [[
        5,
        'Cannot read "q.csv": line 5 has a quote inside an unquoted field; quote the whole field and write the quote as ""',
      ]]);
    },
  );
  await t.step("a record longer than the limit", async () => {
    await using tmp = await tempFile(
      "q.csv",
      'One?,a,b,c,d,A\n"Never closed,a,b,c,d,A\n' +
        "Plain?,a,b,c,d,A\n".repeat(100),
    );
    const read = await collect(
      readCsvFile(tmp.file, 0, { maxRecordChars: 1000 }),
    );
    assert.equal(read.questions.length, 1);
    assert.deepEqual(read.problems.map((p) => [p.line, p.message]), [[
      2,
      'Cannot read "q.csv": the record starting on line 2 is longer than 1000 characters; is a quote not closed?',
    ]]);
  });
});

Deno.test("readCsvFile() reads a 1 MB question", async () => {
  const big = "x".repeat(1024 * 1024) + ", with a comma\n\u00e9";
  await using tmp = await tempFile(
    "big.csv",
    `"${big}",a,b,c,d,C\nNext?,a,b,c,d,A\n`,
  );
  const read = await collect(readCsvFile(tmp.file, 0));
  assert.deepEqual(read.problems, []);
  assert.equal(read.questions.length, 2);
  assert.equal(read.questions[0]!.question, big);
  assert.equal(read.questions[1]!.line, 3);
});

Deno.test("readCsvFile() reports a file it cannot open", async () => {
  const read = await collect(
    readCsvFile({ path: "/nonexistent/x.csv", relative: "x.csv" }, 0),
  );
  assert.deepEqual(read.problems, [{
    file: "x.csv",
    line: null,
    message: 'Cannot read "x.csv": no such file or directory',
  }]);
});

Deno.test({
  name: "readCsvFile() reports an unreadable file (chmod 000)",
  // root reads every file whatever its mode, so the case cannot happen.
  ignore: Deno.build.os === "windows" || Deno.uid() === 0,
  async fn() {
    await using tmp = await tempFile("locked.csv", "One?,a,b,c,d,A\n");
    await Deno.chmod(tmp.file.path, 0o000);
    const read = await collect(readCsvFile(tmp.file, 0));
    assert.deepEqual(read.problems.map((p) => p.message), [
      'Cannot read "locked.csv": permission denied',
    ]);
  },
});

function rows(from: number, to: number): string {
  let out = "";
  for (let i = from; i < to; i++) {
    out += `"Question ${i}, with a comma?",alpha ${i},beta,gamma,delta,${
      "ABCD"[i % 4]
    }\n`;
  }
  return out;
}

Deno.test("readCsvFile() yields all 50,000 rows of a generated file", async () => {
  await using tmp = await tempFile("many_test.csv", rows(0, 50_000));
  let count = 0;
  let last: Question | null = null;
  for await (const item of readCsvFile(tmp.file, 0)) {
    assert.equal(item.kind, "question");
    if (item.kind === "question") last = item.question;
    count++;
  }
  assert.equal(count, 50_000);
  assert.equal(last?.id, "many_test.csv:50000");
  assert.equal(last?.answer, "D");
});

Deno.test({
  name:
    "readCsvFile() yields the first question while the rest of the file is still being written",
  ignore: Deno.build.os === "windows",
  async fn() {
    // The file is a FIFO fed by a child process that writes the rest of the
    // rows only after this test has received the first question: a reader
    // that waited for the whole file would never yield it.
    const dir = await Deno.makeTempDir({ prefix: "llm_bench_fifo_" });
    try {
      const path = `${dir}/stream_test.csv`;
      await Deno.writeTextFile(`${dir}/first`, rows(0, 1_000));
      await Deno.writeTextFile(`${dir}/rest`, rows(1_000, 50_000));
      const made = await new Deno.Command("mkfifo", { args: [path] }).output();
      assert.ok(made.success, "mkfifo failed");
      const child = new Deno.Command("sh", {
        args: [
          "-c",
          'exec >"$1"; cat "$2"; read go; cat "$3"',
          "sh",
          path,
          `${dir}/first`,
          `${dir}/rest`,
        ],
        stdin: "piped",
      }).spawn();
      // Never hang the suite: if anything stalls, end the writer so the
      // reader sees the end of the file and the count check fails.
      const watchdog = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }, 20_000);
      const items = readCsvFile({ path, relative: "stream_test.csv" }, 0);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("no row before the end of the file")),
          10_000,
        );
      });
      try {
        const first = await Promise.race([items.next(), guard]);
        assert.equal(first.done, false);
        assert.equal(
          first.value?.kind === "question" && first.value.question.line,
          1,
        );
      } finally {
        clearTimeout(timer);
        const stdin = child.stdin.getWriter();
        await stdin.write(new TextEncoder().encode("go\n"));
        await stdin.close();
      }
      let count = 1;
      for await (const _ of items) count++;
      const status = await child.status;
      clearTimeout(watchdog);
      assert.equal(count, 50_000);
      assert.equal(status.success, true);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("readCsvFile() closes the file when the consumer stops early", async () => {
  await using tmp = await tempFile("stop.csv", rows(0, 5_000));
  for await (const item of readCsvFile(tmp.file, 0)) {
    assert.equal(item.kind, "question");
    break;
  }
  // The sanitizers fail this test if the file stayed open.
});
