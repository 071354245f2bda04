import assert from "node:assert/strict";
import { join } from "node:path";
import { DatasetError, UsageError } from "../src/errors.ts";
import {
  readManifest,
  readSummary,
  RUN_FILES,
} from "../src/store/run_folder.ts";
import { parseSummary } from "../src/store/summary_json.ts";
import { sampleRun } from "./report_sample.ts";

function sampleSummary() {
  return sampleRun({
    model: "m",
    seed: 3,
    skill: { anatomy: 0.7, virology: 0.5 },
    latency: 100,
    biasA: 0.2,
  }).summary;
}

async function withDir(f: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-folder-" });
  try {
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readSummary() names the file and the field that is wrong", () =>
  withDir(async (dir) => {
    const path = join(dir, RUN_FILES.summary);
    await assert.rejects(() => readSummary(dir), UsageError);
    await Deno.writeTextFile(path, "{");
    await assert.rejects(
      () => readSummary(dir),
      (e: unknown) =>
        e instanceof DatasetError &&
        e.message.startsWith(`Cannot read "${path}": not JSON`),
    );
    const good = JSON.parse(JSON.stringify(sampleSummary()));
    await Deno.writeTextFile(path, JSON.stringify(good));
    assert.deepEqual(await readSummary(dir), good);
    good.counts.total = "12";
    await Deno.writeTextFile(path, JSON.stringify(good));
    await assert.rejects(
      () => readSummary(dir),
      (e: unknown) =>
        e instanceof DatasetError &&
        e.message ===
          `Cannot read "${path}": field "counts.total" is a string, expected a number`,
    );
  }));

Deno.test("parseSummary() keeps fields a newer version added", () => {
  const s = { ...sampleSummary(), laterField: 7 };
  assert.equal(
    (parseSummary(JSON.parse(JSON.stringify(s)), "x") as unknown as {
      laterField: number;
    }).laterField,
    7,
  );
});

Deno.test("readManifest() refuses a folder without run.json and a run.json with a wrong field", () =>
  withDir(async (dir) => {
    await assert.rejects(
      () => readManifest(dir, 'Cannot resume "x"'),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message ===
          'Cannot resume "x": no run.json there (is it a run folder?)',
    );
    const path = join(dir, RUN_FILES.manifest);
    await Deno.writeTextFile(
      path,
      JSON.stringify({
        "schema_version": 1,
        tool: { name: "llm-bench", version: "0" },
        "run_id": "r",
        "created_at": "t",
        dataset: { root: "/d", pattern: "*.csv", files: [{ file: "a.csv" }] },
        config: { models: ["m"] },
      }),
    );
    await assert.rejects(
      () => readManifest(dir),
      (e: unknown) =>
        e instanceof DatasetError &&
        e.message ===
          `Cannot read "${path}": field "dataset.files[0].sha256" is missing, expected a string`,
    );
  }));
