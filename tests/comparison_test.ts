import assert from "node:assert/strict";
import { join } from "node:path";
import { compareRuns } from "../src/commands/compare.ts";
import { runBench } from "../src/commands/benchmark.ts";
import { parseCommand } from "../src/cli/parse.ts";

async function mockRun(
  dataDir: string,
  out: string,
  runId: string,
): Promise<string> {
  const c = parseCommand(
    [
      dataDir,
      "--backend",
      "mock",
      "--mock-latency-ms",
      "0",
      "--metrics-port",
      "off",
      "--quiet",
      "--output-dir",
      out,
      "--run-id",
      runId,
    ],
    () => undefined,
  );
  if (c.kind !== "run") throw new Error("not a run");
  const code = await runBench(c.config, c.explicit, {
    stdout: () => {},
    stderr: () => {},
    stderrIsTty: false,
    columns: 100,
  }, {
    stop: new AbortController().signal,
    abort: new AbortController().signal,
  });
  assert.equal(code, 0);
  return join(out, runId);
}

Deno.test("compareRuns() pairs the same questions and warns when the runs read different files", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const a = join(tmp, "a");
    const b = join(tmp, "b");
    for (const d of [a, b]) {
      await Deno.mkdir(d);
      await Deno.copyFile(
        "benchmark_data/abstract_algebra_test.csv",
        join(d, "abstract_algebra_test.csv"),
      );
    }
    // Same file name, one question changed.
    const text = await Deno.readTextFile(join(b, "abstract_algebra_test.csv"));
    await Deno.writeTextFile(
      join(b, "abstract_algebra_test.csv"),
      text.replace("Find the degree", "Find the order"),
    );
    const r1 = await mockRun(a, join(tmp, "out"), "r1");
    const r2 = await mockRun(a, join(tmp, "out"), "r2");
    const r3 = await mockRun(b, join(tmp, "out"), "r3");
    const same = await compareRuns(r1, r2, null);
    assert.doesNotMatch(same, /warning/);
    // The mock is deterministic: the same questions, the same answers.
    assert.match(same, /only A right 0, only B right 0/);
    // The test is named once, not "McNemar (exact): ... (exact McNemar p 1)".
    assert.match(
      same,
      /^Paired test: no significant difference at 5% \(exact McNemar p 1\)$/m,
    );
    const differ = await compareRuns(r1, r3, null);
    assert.match(differ, /^warning: the two runs read different dataset files/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
