import { tempTree } from "./dataset_helper.ts";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { FewshotSource } from "../src/dataset/fewshot.ts";

const MMLU = fileURLToPath(
  new URL("./fixtures/mmlu/", import.meta.url),
);

const DEV = "D1?,a,b,c,d,A\nD2?,a,b,c,d,B\nD3?,a,b,c,d,C\n";

Deno.test("FewshotSource.examples() takes the first K rows of ../dev/SUBJECT_dev.csv", async () => {
  const source = new FewshotSource({ fewshotDir: null });
  const test = { path: `${MMLU}test/college_computer_science_test.csv` };
  const five = await source.examples(test, "college_computer_science", 5);
  assert.equal(five.source, `${MMLU}dev/college_computer_science_dev.csv`);
  assert.equal(five.reason, null);
  assert.equal(five.examples.length, 5);
  const three = await source.examples(test, "college_computer_science", 3);
  assert.deepEqual(three.examples, five.examples.slice(0, 3));
  assert.deepEqual(five.examples.map((q) => [q.line, q.answer]), [
    [1, "D"],
    [2, "B"],
    [6, "D"],
    [10, "D"],
    [13, "B"],
  ]);
  assert.ok(
    five.examples[0]!.question.startsWith(
      "Which of the following regular expressions is equivalent to ",
    ),
  );
});

Deno.test("FewshotSource.examples() uses only the explicit few-shot folder when given", async () => {
  await using tree = await tempTree({
    "data/x_test.csv": "Q?,a,b,c,d,A\n",
    "data/dev/x_dev.csv": DEV,
  });
  const explicit = new FewshotSource({ fewshotDir: `${MMLU}dev` });
  const found = await explicit.examples(
    { path: `${tree.dir}/data/x_test.csv` },
    "anatomy",
    2,
  );
  assert.equal(found.source, `${MMLU}dev/anatomy_dev.csv`);
  assert.equal(found.examples.length, 2);
  const missing = await explicit.examples(
    { path: `${tree.dir}/data/x_test.csv` },
    "x",
    2,
  );
  assert.deepEqual(missing.examples, []);
  assert.equal(missing.source, null);
  assert.equal(
    missing.reason,
    `no few-shot file for "x" (looked for "${MMLU}dev/x_dev.{csv,tsv,jsonl,json,parquet}")`,
  );
});

Deno.test("FewshotSource.examples() looks in ../dev, then ./dev, then the test file's folder", async (t) => {
  const layouts: [string, Record<string, string>, string][] = [
    [
      "sibling dev folder",
      { "test/x_test.csv": "", "dev/x_dev.csv": DEV },
      "dev/x_dev.csv",
    ],
    [
      "dev subfolder",
      { "test/x_test.csv": "", "test/dev/x_dev.csv": DEV },
      "test/dev/x_dev.csv",
    ],
    [
      "same folder",
      { "test/x_test.csv": "", "test/x_dev.csv": DEV },
      "test/x_dev.csv",
    ],
    [
      "sibling first",
      {
        "test/x_test.csv": "",
        "dev/x_dev.csv": DEV,
        "test/x_dev.csv": "Other?,a,b,c,d,D\n",
      },
      "dev/x_dev.csv",
    ],
  ];
  for (const [name, files, expected] of layouts) {
    await t.step(name, async () => {
      await using tree = await tempTree(files);
      const source = new FewshotSource({ fewshotDir: null });
      const got = await source.examples(
        { path: `${tree.dir}/test/x_test.csv` },
        "x",
        2,
      );
      assert.equal(got.source, `${tree.dir}/${expected}`);
      assert.deepEqual(got.examples.map((q) => q.question), ["D1?", "D2?"]);
    });
  }
});

Deno.test("FewshotSource.examples() never uses the test file as its own examples", async () => {
  await using tree = await tempTree({ "x_dev.csv": DEV });
  const source = new FewshotSource({ fewshotDir: null });
  const got = await source.examples({ path: `${tree.dir}/x_dev.csv` }, "x", 2);
  assert.deepEqual(got.examples, []);
  assert.equal(got.source, null);
});

Deno.test("FewshotSource.examples() says when the dev file has too few rows or is broken", async () => {
  await using tree = await tempTree({
    "dev/x_dev.csv": DEV,
    "dev/y_dev.csv": "",
  });
  const source = new FewshotSource({ fewshotDir: `${tree.dir}/dev` });
  const few = await source.examples({ path: "/elsewhere/x_test.csv" }, "x", 5);
  assert.equal(few.examples.length, 3);
  assert.equal(
    few.reason,
    `"${tree.dir}/dev/x_dev.csv" has only 3 usable rows, 5 asked for`,
  );
  const broken = await source.examples(
    { path: "/elsewhere/y_test.csv" },
    "y",
    5,
  );
  assert.deepEqual(broken.examples, []);
  assert.match(broken.reason ?? "", /the file is empty$/);
});

Deno.test("FewshotSource.examples() reads each dev file once", async () => {
  await using tree = await tempTree({ "dev/x_dev.csv": DEV });
  const source = new FewshotSource({ fewshotDir: `${tree.dir}/dev` });
  const first = await source.examples({ path: "/t/x_test.csv" }, "x", 2);
  await Deno.writeTextFile(`${tree.dir}/dev/x_dev.csv`, "Changed?,a,b,c,d,A\n");
  const second = await source.examples({ path: "/t/x_test.csv" }, "x", 2);
  assert.deepEqual(second, first);
});

Deno.test("FewshotSource.examples() reads dev files of any format, and the Hub's dev split by record subject", async (t) => {
  const shapes = decodeURIComponent(
    new URL("./fixtures/shapes/", import.meta.url).pathname,
  );
  await using tree = await tempTree({
    "test/openbookqa_test.jsonl": "",
    "dev/openbookqa_dev.jsonl": await Deno.readTextFile(
      `${shapes}openbookqa_test.jsonl`,
    ),
    "all/test-00000-of-00001.parquet": "",
  });
  await Deno.copyFile(
    `${shapes}hf_mmlu_test.parquet`,
    `${tree.dir}/all/dev-00000-of-00001.parquet`,
  );
  await t.step("SUBJECT_dev.jsonl beside the test folder", async () => {
    const source = new FewshotSource({ fewshotDir: null });
    const got = await source.examples(
      { path: `${tree.dir}/test/openbookqa_test.jsonl` },
      "openbookqa",
      2,
    );
    assert.equal(got.reason, null);
    assert.equal(got.source, `${tree.dir}/dev/openbookqa_dev.jsonl`);
    assert.deepEqual(got.examples.map((q) => q.answer), ["D", "D"]);
  });
  await t.step("the dataset's dev-*.parquet, by subject", async () => {
    const source = new FewshotSource({
      fewshotDir: null,
      devFiles: [{ path: `${tree.dir}/all/dev-00000-of-00001.parquet` }],
    });
    const got = await source.examples(
      { path: `${tree.dir}/all/test-00000-of-00001.parquet` },
      "virology",
      3,
    );
    assert.equal(got.reason, null);
    assert.deepEqual(got.examples.map((q) => q.subject), [
      "virology",
      "virology",
      "virology",
    ]);
    assert.deepEqual(got.examples.map((q) => q.question), [
      "Made-up MMLU question 3?",
      "Made-up MMLU question 5?",
      "Made-up MMLU question 8?",
    ]);
  });
});
