import { tempTree } from "./dataset_helper.ts";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  compareCodePoints,
  DEFAULT_PATTERN,
  discoverFiles,
  globToRegExp,
} from "../src/dataset/discover.ts";
import { readDataset } from "../src/dataset/read.ts";
import { planDataset } from "../src/dataset/plan.ts";

const NO_SELECTION = {
  subjects: null,
  limit: null,
  sample: null,
  seed: 0,
  shard: null,
};
import { DatasetError } from "../src/errors.ts";

const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

const ROW = "Q?,a,b,c,d,A\n";

Deno.test("globToRegExp() matches globs like a shell", async (t) => {
  const cases: [string, string, boolean][] = [
    ["*.csv", "anatomy_test.csv", true],
    ["*.csv", "anatomy_test.jsonl", false],
    ["*.csv", "dev/anatomy_dev.csv", false],
    ["*_test.csv", "anatomy_test.csv", true],
    ["*_test.csv", "anatomy_dev.csv", false],
    ["?.csv", "a.csv", true],
    ["?.csv", "ab.csv", false],
    ["*.{csv,jsonl}", "x.jsonl", true],
    ["*.{csv,jsonl}", "x.json", false],
    ["[ab]*.csv", "b1.csv", true],
    ["[!ab]*.csv", "b1.csv", false],
    ["[a-c]*.csv", "c1.csv", true],
    ["**/*.csv", "a.csv", true],
    ["**/*.csv", "x/y/a.csv", true],
    ["test/*.csv", "test/a.csv", true],
    ["test/*.csv", "dev/test/a.csv", false],
    ["mmlu/**/dev/*.csv", "mmlu/dev/a.csv", true],
    ["mmlu/**/dev/*.csv", "mmlu/x/y/dev/a.csv", true],
    ["a+b(1).csv", "a+b(1).csv", true],
    ["a.csv", "abcsv", false],
  ];
  for (const [glob, path, expected] of cases) {
    await t.step(`${glob} ${expected ? "matches" : "rejects"} ${path}`, () => {
      assert.equal(globToRegExp(glob).test(path), expected);
    });
  }
});

Deno.test("globToRegExp() rejects an unclosed brace", () => {
  assert.throws(() => globToRegExp("*.{csv"), TypeError);
});

Deno.test("compareCodePoints() sorts like UTF-8 bytes", () => {
  const names = [
    "é.csv",
    "z.csv",
    "B.csv",
    "a.csv",
    "\u{1F600}.csv",
    "\uFF01.csv",
  ];
  assert.deepEqual(names.sort(compareCodePoints), [
    "B.csv",
    "a.csv",
    "z.csv",
    "é.csv",
    "\uFF01.csv",
    "\u{1F600}.csv",
  ]);
});

Deno.test("discoverFiles() finds the MMLU sample files in byte-wise order", async () => {
  const { files, problems } = await discoverFiles(
    `${FIXTURES}mmlu`,
    "*.csv",
  );
  assert.deepEqual(problems, []);
  assert.equal(files.length, 60);
  assert.equal(files[0]!.relative, "dev/abstract_algebra_dev.csv");
  assert.equal(files[57]!.relative, "test/abstract_algebra_test.csv");
  assert.equal(
    files[0]!.path,
    `${FIXTURES}mmlu/dev/abstract_algebra_dev.csv`,
  );
  const relatives = files.map((f) => f.relative);
  assert.deepEqual([...relatives].sort(compareCodePoints), relatives);
});

Deno.test("discoverFiles() matches a pattern with a slash against the relative path", async () => {
  const { files } = await discoverFiles(`${FIXTURES}mmlu`, "test/*.csv");
  assert.deepEqual(files.map((f) => f.relative), [
    "test/abstract_algebra_test.csv",
    "test/college_computer_science_test.csv",
    "test/high_school_geography_test.csv",
  ]);
});

Deno.test("discoverFiles() takes a root that is a file, named by its basename", async () => {
  const path = `${FIXTURES}mmlu-pro/mmlu_pro_validation.jsonl`;
  const { files } = await discoverFiles(path, "*.csv");
  assert.deepEqual(files, [{ path, relative: "mmlu_pro_validation.jsonl" }]);
});

Deno.test("discoverFiles() throws DatasetError for a missing root", async () => {
  await assert.rejects(
    discoverFiles("/nonexistent/data", "*.csv"),
    (error: unknown) => {
      assert.ok(error instanceof DatasetError);
      assert.equal(
        error.message,
        'Cannot read "/nonexistent/data": no such file or directory',
      );
      return true;
    },
  );
});

Deno.test("discoverFiles() throws DatasetError when no file matches", async () => {
  await using tree = await tempTree({ "notes.txt": "hi", "sub/a.json": "{}" });
  await assert.rejects(
    discoverFiles(tree.dir, "*.csv"),
    (error: unknown) => {
      assert.ok(error instanceof DatasetError);
      assert.equal(error.message, `No files match "*.csv" in "${tree.dir}"`);
      return true;
    },
  );
});

Deno.test("discoverFiles() skips hidden entries and reads each file once through symlinks", async () => {
  await using tree = await tempTree({
    "a_test.csv": ROW,
    "sub/b_test.csv": ROW,
    ".ipynb_checkpoints/a_test.csv": ROW,
    ".hidden_test.csv": ROW,
  });
  await Deno.symlink("..", `${tree.dir}/sub/loop`);
  await Deno.symlink(`${tree.dir}/sub`, `${tree.dir}/zz_alias`);
  await Deno.symlink("a_test.csv", `${tree.dir}/z_link_test.csv`);
  const { files, problems } = await discoverFiles(tree.dir, "*.csv");
  assert.deepEqual(problems, []);
  assert.deepEqual(files.map((f) => f.relative), [
    "a_test.csv",
    "sub/b_test.csv",
  ]);
});

Deno.test("discoverFiles() reports a broken symlink as a problem", async () => {
  await using tree = await tempTree({ "a_test.csv": ROW });
  await Deno.symlink("missing.csv", `${tree.dir}/b_test.csv`);
  const { files, problems } = await discoverFiles(tree.dir, "*.csv");
  assert.deepEqual(files.map((f) => f.relative), ["a_test.csv"]);
  assert.deepEqual(problems, [{
    file: "b_test.csv",
    line: null,
    message: 'Cannot read "b_test.csv": it is a broken symbolic link',
  }]);
});

Deno.test({
  name: "discoverFiles() reports an unreadable folder as a problem (chmod 000)",
  // root reads every folder whatever its mode, so the case cannot happen.
  ignore: Deno.build.os === "windows" || Deno.uid() === 0,
  async fn() {
    await using tree = await tempTree({
      "a_test.csv": ROW,
      "locked/b.csv": ROW,
    });
    await Deno.chmod(`${tree.dir}/locked`, 0o000);
    try {
      const { files, problems } = await discoverFiles(tree.dir, "*.csv");
      assert.deepEqual(files.map((f) => f.relative), ["a_test.csv"]);
      assert.deepEqual(problems.map((p) => p.message), [
        'Cannot read "locked": permission denied',
      ]);
    } finally {
      await Deno.chmod(`${tree.dir}/locked`, 0o755);
    }
  },
});

Deno.test("readDataset() reads CSV and JSONL files with indices that continue across files", async () => {
  await using tree = await tempTree({
    "a_test.csv": "One?,a,b,c,d,A\nBad?,a,b,c,d,Z\n",
    "b_test.csv": "",
    "c.jsonl": '{"question":"Q?","options":["x","y"],"answer":"B"}\n',
  });
  const { files } = await discoverFiles(tree.dir, "*.{csv,jsonl}");
  const items = [];
  for await (const item of readDataset(files)) {
    items.push(
      item.kind === "question"
        ? [item.question.id, item.question.index]
        : item.kind === "skipped"
        ? [item.row.id, item.row.index]
        : [item.problem.file, item.problem.message],
    );
  }
  assert.deepEqual(items, [
    ["a_test.csv:1", 0],
    ["a_test.csv:2", 1],
    ["b_test.csv", 'Cannot read "b_test.csv": the file is empty'],
    ["c.jsonl:1", 2],
  ]);
});

Deno.test("discoverFiles() with the default pattern takes every supported format, and CSV_PATTERN narrows it", async () => {
  await using tree = await tempTree({
    "b/quiz.tsv": "",
    "a.csv": "",
    "a.jsonl": "",
    "c.json": "",
    "d.parquet": "",
    "notes.txt": "",
    "README.md": "",
  });
  const all = await discoverFiles(tree.dir, DEFAULT_PATTERN);
  assert.deepEqual(all.files.map((f) => f.relative), [
    "a.csv",
    "a.jsonl",
    "b/quiz.tsv",
    "c.json",
    "d.parquet",
  ]);
  const narrow = await discoverFiles(tree.dir, "*.{jsonl,parquet}");
  assert.deepEqual(narrow.files.map((f) => f.relative), [
    "a.jsonl",
    "d.parquet",
  ]);
});

Deno.test("planDataset() keeps dev files of every format apart and names the first skip reasons when nothing is usable", async () => {
  await using tree = await tempTree({
    "test/x_test.jsonl": '{"question":"Q?","choices":["a","b"],"answer":5}\n',
    "dev/x_dev.parquet": "",
    "all/dev-00000-of-00001.parquet": "",
  });
  await assert.rejects(
    planDataset(tree.dir, DEFAULT_PATTERN, NO_SELECTION),
    (e: unknown) => {
      assert.ok(e instanceof DatasetError);
      assert.match(
        e.message,
        /\(1 file\(s\) matching .*, 1 row\(s\) skipped\); first reasons: test\/x_test.jsonl:1: answer 5 is out of range 0-1/,
      );
      return true;
    },
  );
});

Deno.test("planDataset() names up to three reasons when one file holds every unusable row", async () => {
  await using tree = await tempTree({
    "quiz.jsonl": [
      '{"question":"Q1?","choices":["a","b"],"answer":5}',
      '{"question":"Q2?","choices":[],"answer":0}',
      '{"question":"Q3?","choices":["a","b"]}',
      '{"question":"Q4?","choices":["a","b"],"answer":9}',
      "",
    ].join("\n"),
  });
  await assert.rejects(
    planDataset(tree.dir, DEFAULT_PATTERN, NO_SELECTION),
    (e: unknown) => {
      assert.ok(e instanceof DatasetError);
      const reasons = e.message.split("; first reasons: ")[1]?.split("; ");
      assert.deepEqual(
        reasons?.map((r) => r.split(":").slice(0, 2).join(":")),
        [
          "quiz.jsonl:1",
          "quiz.jsonl:2",
          "quiz.jsonl:3",
        ],
      );
      return true;
    },
  );
});

Deno.test("subjectFromFile() names a Hub shard file after its config folder, so its splits share a subject", async (t) => {
  const { subjectFromFile } = await import("../src/dataset/subject.ts");
  for (
    const [path, subject] of [
      ["ARC-Challenge/test-00000-of-00001.parquet", "ARC-Challenge"],
      ["ARC-Easy/test-00000-of-00001.parquet", "ARC-Easy"],
      ["ARC-Easy/dev-00000-of-00001.parquet", "ARC-Easy"],
      ["all/validation-00000-of-00002.parquet", "all"],
      ["test-00000-of-00001.parquet", "test-00000-of-00001"],
      ["mmlu/test/anatomy_test.csv", "anatomy"],
      ["x/test.jsonl", "test"],
    ]
  ) {
    await t.step(path!, () => assert.equal(subjectFromFile(path!), subject));
  }
});
