// The Parquet reader on files in the Hub's export layout (list and struct
// columns, int64, dictionary pages, snappy, several row groups), and on
// broken files: never a stack trace, rows before the damage kept.

import assert from "node:assert/strict";
import { join } from "node:path";
import { parquetMetadata } from "hyparquet";
import { readParquetFile } from "../src/dataset/parquet.ts";
import { collect } from "./dataset_helper.ts";

const SHAPES = decodeURIComponent(
  new URL("./fixtures/shapes/", import.meta.url).pathname,
);

Deno.test("the Parquet fixtures really hold several row groups, snappy pages and a dictionary", async () => {
  const bytes = await Deno.readFile(join(SHAPES, "hf_mmlu_test.parquet"));
  const meta = parquetMetadata(bytes.buffer);
  assert.equal(meta.row_groups.length, 3);
  const columns = meta.row_groups.flatMap((g) => g.columns);
  assert.ok(columns.every((c) => c.meta_data?.codec === "SNAPPY"));
  const subject = columns.find((c) =>
    c.meta_data?.path_in_schema[0] === "subject"
  );
  assert.ok(subject?.meta_data?.encodings.includes("RLE_DICTIONARY"));
  const answer = columns.find((c) =>
    c.meta_data?.path_in_schema[0] === "answer"
  );
  assert.equal(answer?.meta_data?.type, "INT64");
});

Deno.test("readParquetFile() reads cais/mmlu rows across row groups: int64 answers, list choices, subjects", async () => {
  const file = {
    path: join(SHAPES, "hf_mmlu_test.parquet"),
    relative: "hf_mmlu_test.parquet",
  };
  const got = await collect(readParquetFile(file, 7));
  assert.deepEqual(got.problems, []);
  assert.equal(got.questions.length, 12);
  assert.deepEqual(
    got.questions.map((q) => q.index),
    [...Array(12).keys()].map((i) => i + 7),
  );
  for (const [i, q] of got.questions.entries()) {
    assert.equal(q.id, `hf_mmlu_test.parquet:${i + 1}`);
    assert.equal(q.question, `Made-up MMLU question ${i + 1}?`);
    assert.equal(q.answer, "ABCD"[i % 4]);
    assert.equal(q.label, String(i % 4));
    assert.deepEqual(q.choices, [`w${i}`, `x${i}`, `y${i}`, `z${i}`]);
  }
  assert.deepEqual(
    got.questions.map((q) => q.subject).slice(0, 5),
    ["astronomy", "astronomy", "virology", "astronomy", "virology"],
  );
});

Deno.test("readParquetFile() reads the Hub's ARC struct of lists and HellaSwag string labels", async () => {
  const arc = await collect(readParquetFile({
    path: join(SHAPES, "arc_hub_test.parquet"),
    relative: "arc_hub_test.parquet",
  }, 0));
  assert.deepEqual(
    arc.questions.map((q) => [q.choices[q.answer.charCodeAt(0) - 65], q.label]),
    [["carbon dioxide", "B"], ["salt", "1"], ["whale", "C"], ["Jupiter", "2"]],
  );
  assert.deepEqual(arc.skipped.map((r) => [r.id, r.reason]), [[
    "arc_hub_test.parquet:5",
    'answer "E" is not among the labels A, B, C, D',
  ]]);
  const hella = await collect(readParquetFile({
    path: join(SHAPES, "hellaswag_validation.parquet"),
    relative: "hellaswag_validation.parquet",
  }, 0));
  assert.deepEqual(hella.questions.map((q) => q.answer), ["B", "C", "D", "A"]);
});

Deno.test("readParquetFile() reports broken files without a stack trace", async (t) => {
  const good = await Deno.readFile(join(SHAPES, "hf_mmlu_test.parquet"));
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string, Uint8Array, RegExp][] = [
      ["empty.parquet", new Uint8Array(0), /the file is empty$/],
      [
        "csv.parquet",
        new TextEncoder().encode("q,a,b,A\n"),
        /it is not a Parquet file \(it does not start with "PAR1"\)$/,
      ],
      [
        "cut.parquet",
        good.subarray(0, good.length - 100),
        /the Parquet file is cut short \(it does not end with "PAR1"\)$/,
      ],
      [
        "footer.parquet",
        (() => {
          const b = good.slice();
          b.fill(0xff, b.length - 60, b.length - 8);
          return b;
        })(),
        /^Cannot read "footer.parquet": /,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      await t.step(name, async () => {
        await Deno.writeFile(join(dir, name), bytes);
        const got = await collect(
          readParquetFile({ path: join(dir, name), relative: name }, 0),
        );
        assert.equal(got.problems.length, 1);
        assert.match(got.problems[0]!.message, message);
        assert.ok(!got.problems[0]!.message.includes("    at "));
      });
    }
    await t.step("a damaged row group keeps the rows before it", async () => {
      const meta = parquetMetadata(good.buffer);
      const last = meta.row_groups[2]!.columns[0]!.meta_data!;
      const b = good.slice();
      const at = Number(last.data_page_offset);
      b.fill(0xee, at, at + 40);
      await Deno.writeFile(join(dir, "damaged.parquet"), b);
      const got = await collect(
        readParquetFile({
          path: join(dir, "damaged.parquet"),
          relative: "damaged.parquet",
        }, 0),
      );
      assert.equal(got.questions.length, 10);
      assert.equal(got.problems.length, 1);
      assert.match(
        got.problems[0]!.message,
        /^Cannot read "damaged.parquet": rows 11-12 cannot be decoded/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readParquetFile() reads gzip-compressed pages too", async () => {
  const { ByteWriter, parquetWrite } = await import("hyparquet-writer");
  const { gzipSync } = await import("node:zlib");
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: [
      { name: "question", data: ["Q1?", "Q2?"], type: "STRING" },
      { name: "A", data: ["x", "y"], type: "STRING" },
      { name: "B", data: ["z", "w"], type: "STRING" },
      { name: "answer", data: ["B", "A"], type: "STRING" },
    ],
    codec: "GZIP",
    compressors: { GZIP: (b: Uint8Array) => new Uint8Array(gzipSync(b)) },
  });
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "g.parquet");
    await Deno.writeFile(path, new Uint8Array(writer.getBuffer()));
    const meta = parquetMetadata((await Deno.readFile(path)).buffer);
    assert.equal(meta.row_groups[0]!.columns[0]!.meta_data?.codec, "GZIP");
    const got = await collect(
      readParquetFile({ path, relative: "g.parquet" }, 0),
    );
    assert.deepEqual(got.problems, []);
    assert.deepEqual(got.questions.map((q) => [q.choices, q.answer]), [
      [["x", "z"], "B"],
      [["y", "w"], "A"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readParquetFile() judges the base of int64 answers as it does for JSON numbers", async () => {
  const { ByteWriter, parquetWrite } = await import("hyparquet-writer");
  const writer = new ByteWriter();
  // A quiz exported with 1-based answers: 3 of 3 options appears, 0 never.
  parquetWrite({
    writer,
    columnData: [
      { name: "question", data: ["Q1?", "Q2?", "Q3?"], type: "STRING" },
      { name: "option_a", data: ["a1", "a2", "a3"], type: "STRING" },
      { name: "option_b", data: ["b1", "b2", "b3"], type: "STRING" },
      { name: "option_c", data: ["c1", "c2", "c3"], type: "STRING" },
      { name: "answer", data: [3n, 1n, 2n], type: "INT64" },
    ],
  });
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "quiz.parquet");
    await Deno.writeFile(path, new Uint8Array(writer.getBuffer()));
    const got = await collect(
      readParquetFile({ path, relative: "quiz.parquet" }, 0),
    );
    assert.deepEqual(got.problems, []);
    assert.deepEqual(got.skipped, []);
    assert.deepEqual(got.questions.map((q) => [q.answer, q.label]), [
      ["C", "3"],
      ["A", "1"],
      ["B", "2"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
