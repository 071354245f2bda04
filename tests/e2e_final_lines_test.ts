// What a benchmark prints last, piped: where the results and report.html are, within 80 columns.
import assert from "node:assert/strict";
import { join } from "node:path";
import { MMLU_FIXTURES, runCli, tempDir } from "./cli_helper.ts";
import { printLastLines } from "../src/commands/bench_session.ts";

function lastLines(stdout: string, n: number): string[] {
  return stdout.trimEnd().split("\n").slice(-n);
}

for (
  const [name, models, folder] of [
    ["one model", "m", ""],
    ["two models", "a,b", ""],
  ] as const
) {
  Deno.test(`a mock run of ${name} ends by naming report.html, every line within 80 columns`, async () => {
    await using tmp = await tempDir();
    const out = join(tmp.path, "results");
    const r = await runCli([
      join(MMLU_FIXTURES, "test"),
      "--backend",
      "mock",
      "--mock-latency-ms",
      "0",
      "--model",
      models,
      "--run-id",
      "r",
      "--metrics-port",
      "off",
      "--output-dir",
      out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const runDir = join(out, "r", folder);
    const report = join(runDir, "report.html");
    assert.equal(lastLines(r.stdout, 1)[0], `Report: ${report}`, r.stdout);
    await Deno.stat(report);
    if (models === "m") {
      assert.deepEqual(lastLines(r.stdout, 2), [
        `Results: ${runDir}`,
        `Report: ${report}`,
      ]);
    }
    // Mock answers are labelled as such wherever a score is shown.
    assert.match(r.stdout, /\(mock/);
    for (const line of (r.stdout + r.stderr).split("\n")) {
      if (line.includes(tmp.path)) continue; // paths are as long as they are
      assert.ok(line.length <= 80, `${line.length}: ${line}`);
    }
  });
}

Deno.test("printLastLines() names the one model's report.html and the models a stop left out", async () => {
  await using tmp = await tempDir();
  const dir = join(tmp.path, "a");
  await Deno.mkdir(dir);
  await Deno.writeTextFile(join(dir, "report.html"), "<!doctype html>");
  const out: string[] = [];
  const io = {
    stdout: (t: string) => out.push(t),
    stderr: () => {},
    stderrIsTty: false,
    columns: 80,
  };
  await printLastLines(["a", "b", "c"], [{ model: "a", dir }], io);
  assert.deepEqual(out, [
    `Report: ${join(dir, "report.html")}\n`,
    "Not run yet: b, c\n",
  ]);
  // Nothing ran: nothing to name.
  out.length = 0;
  await printLastLines(["a"], [], io);
  assert.deepEqual(out, []);
});
