import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../src/store/atomic.ts";
import {
  repairResultsFile,
  ResultsWriter,
  streamResults,
} from "../src/store/results_file.ts";
import type { ResultRecord } from "../src/schema.ts";

function record(i: number, over: Partial<ResultRecord> = {}): ResultRecord {
  return {
    id: `a_test.csv:${i + 1}`,
    index: i,
    file: "a_test.csv",
    line: i + 1,
    subject: "a",
    model: "m",
    expected: "A",
    predicted: i % 2 ? "B" : "A",
    status: i % 2 ? "wrong" : "correct",
    method: "json",
    raw: `{"answer":"${i % 2 ? "B" : "A"}"} — ünïcödé \n line`,
    thinking: null,
    reason: null,
    "error_kind": null,
    "latency_ms": 12.5,
    "prompt_tokens": 100,
    "eval_tokens": 3,
    "eval_duration_ns": 1000,
    "done_reason": "stop",
    attempts: 1,
    messages: [{ role: "user", content: "Q?" }],
    prompt: null,
    "letter_probs": null,
    endpoint: "http://localhost:11434",
    repeat: 0,
    ...over,
  };
}

async function readAll(path: string): Promise<ResultRecord[]> {
  return await Array.fromAsync(streamResults(path));
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-results-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ResultsWriter.write() appends lines that streamResults() reads back", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "results.jsonl");
    const w = await ResultsWriter.open(path);
    const written = Array.from({ length: 5 }, (_, i) => record(i));
    for (const r of written) w.write(r);
    assert.equal(w.count, 5);
    w.close();
    assert.deepEqual(await readAll(path), written);
    const text = await Deno.readTextFile(path);
    assert.equal(text.split("\n").length, 6);
    assert.ok(text.endsWith("\n"));
  });
});

Deno.test("ResultsWriter.open() appends to an existing file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "results.jsonl");
    const first = await ResultsWriter.open(path);
    first.write(record(0));
    first.close();
    const second = await ResultsWriter.open(path, { syncEveryMs: 0 });
    second.write(record(1));
    second.write(record(2));
    assert.equal(second.count, 2);
    second.close();
    assert.deepEqual(
      (await readAll(path)).map((r) => r.index),
      [0, 1, 2],
    );
  });
});

Deno.test("streamResults() ignores a torn last line and blank lines", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "results.jsonl");
    const good = [record(0), record(1)];
    await Deno.writeTextFile(
      path,
      good.map((r) => JSON.stringify(r)).join("\n") + "\n\n" +
        JSON.stringify(record(2)).slice(0, 40),
    );
    assert.deepEqual(await readAll(path), good);
  });
});

Deno.test("streamResults() throws on a bad line in the middle, naming its line", async (t) => {
  await withDir(async (dir) => {
    await t.step("not JSON", async () => {
      const path = join(dir, "a.jsonl");
      await Deno.writeTextFile(
        path,
        [JSON.stringify(record(0)), "{not json", JSON.stringify(record(2))]
          .join("\n") + "\n",
      );
      await assert.rejects(readAll(path), /line 2 is not JSON/);
    });
    await t.step("JSON but not a record", async () => {
      const path = join(dir, "b.jsonl");
      await Deno.writeTextFile(
        path,
        [JSON.stringify(record(0)), JSON.stringify(record(1)), '{"id":3}']
          .join("\n") + "\n",
      );
      await assert.rejects(
        readAll(path),
        new RegExp(
          `^DatasetError: Cannot read "${path}": line 3: field "id" is a number, expected a string$`,
        ),
      );
    });
    await t.step("a record with a field of the wrong type", async () => {
      const path = join(dir, "d.jsonl");
      await Deno.writeTextFile(
        path,
        JSON.stringify({ ...record(0), status: "maybe" }) + "\n",
      );
      await assert.rejects(
        readAll(path),
        /line 1: field "status" is a string, expected one of correct, wrong, unparsed, error, skipped$/,
      );
    });
    await t.step("a torn line followed by more lines", async () => {
      // Only the final line may be torn: one in the middle is corruption.
      const path = join(dir, "c.jsonl");
      await Deno.writeTextFile(
        path,
        JSON.stringify(record(0)) + "\n" +
          JSON.stringify(record(1)).slice(0, 30) + "\n" +
          JSON.stringify(record(2)) + "\n",
      );
      await assert.rejects(readAll(path), /line 2/);
    });
  });
});

Deno.test("streamResults() reads a file larger than one read chunk", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "big.jsonl");
    const many = Array.from(
      { length: 400 },
      (_, i) => record(i, { raw: "x".repeat(500) + "é".repeat(50) }),
    );
    await Deno.writeTextFile(
      path,
      many.map((r) => JSON.stringify(r) + "\n").join(""),
    );
    const back = await readAll(path);
    assert.equal(back.length, 400);
    assert.deepEqual(back[399], many[399]);
  });
});

Deno.test("repairResultsFile() cuts a torn last line and returns its bytes", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "results.jsonl");
    const good = JSON.stringify(record(0)) + "\n" + JSON.stringify(record(1)) +
      "\n";
    const torn = JSON.stringify(record(2)).slice(0, 57) + "é";
    await Deno.writeTextFile(path, good + torn);
    const cut = await repairResultsFile(path);
    assert.equal(cut, new TextEncoder().encode(torn).length);
    assert.equal(await Deno.readTextFile(path), good);
    // Appending goes on cleanly after the repair.
    const w = await ResultsWriter.open(path);
    w.write(record(2));
    w.close();
    assert.deepEqual(
      (await readAll(path)).map((r) => r.index),
      [0, 1, 2],
    );
  });
});

Deno.test("repairResultsFile() leaves a file that ends in a newline alone", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "results.jsonl");
    const text = JSON.stringify(record(0)) + "\n" + JSON.stringify(record(1)) +
      "\n";
    await Deno.writeTextFile(path, text);
    assert.equal(await repairResultsFile(path), 0);
    assert.equal(await Deno.readTextFile(path), text);
  });
});

Deno.test("repairResultsFile() handles empty, missing and newline-less files", async (t) => {
  await withDir(async (dir) => {
    await t.step("missing", async () => {
      assert.equal(await repairResultsFile(join(dir, "nope.jsonl")), 0);
    });
    await t.step("empty", async () => {
      const path = join(dir, "empty.jsonl");
      await Deno.writeTextFile(path, "");
      assert.equal(await repairResultsFile(path), 0);
    });
    await t.step("a single torn line", async () => {
      const path = join(dir, "one.jsonl");
      await Deno.writeTextFile(path, '{"id":"a.csv:1","sta');
      assert.equal(await repairResultsFile(path), 20);
      assert.equal((await Deno.stat(path)).size, 0);
    });
    await t.step("a torn line longer than the scan block", async () => {
      const path = join(dir, "long.jsonl");
      const good = JSON.stringify(record(0)) + "\n";
      const torn = "x".repeat(200_000);
      await Deno.writeTextFile(path, good + torn);
      assert.equal(await repairResultsFile(path), 200_000);
      assert.equal(await Deno.readTextFile(path), good);
    });
  });
});

Deno.test("writeJsonAtomic() replaces the content and leaves no temp file", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "summary.json");
    await Deno.writeTextFile(path, "old content that is longer than the new");
    await writeJsonAtomic(path, { a: 1, b: ["x"] });
    assert.equal(
      await Deno.readTextFile(path),
      '{\n  "a": 1,\n  "b": [\n    "x"\n  ]\n}\n',
    );
    await writeJsonAtomic(path, { a: 2 });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), { a: 2 });
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
    assert.deepEqual(names, ["summary.json"]);
  });
});

Deno.test("writeFileAtomic() creates a new file with the exact text", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "report.html");
    const text = "<p>ünïcödé</p>\n".repeat(10_000);
    await writeFileAtomic(path, text);
    assert.equal(await Deno.readTextFile(path), text);
    assert.equal((await Array.fromAsync(Deno.readDir(dir))).length, 1);
  });
});
