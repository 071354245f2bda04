import assert from "node:assert/strict";
import { join } from "node:path";
import { parseCommand } from "../src/cli/parse.ts";
import { userPath, withUserPaths } from "../src/cli/user_paths.ts";

Deno.test("userPath() resolves a relative path against the user's folder when it exists there", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(home, "data"));
    assert.equal(userPath("data", home, true), join(home, "data"));
    // Not there: the task's own relative path (e.g. benchmark_data) stays.
    assert.equal(userPath("benchmark_data", home, true), "benchmark_data");
    // An output folder need not exist yet.
    assert.equal(userPath("out", home, false), join(home, "out"));
    assert.equal(userPath("/abs/x", home, true), "/abs/x");
    assert.equal(userPath("data", null, true), "data");
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("withUserPaths() moves the run's user-given paths, not the defaults", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(home, "data"));
    const given = parseCommand(
      ["data", "--output-dir", "out"],
      () => undefined,
    );
    const moved = withUserPaths(given, home);
    assert.ok(moved.kind === "run");
    assert.equal(moved.config.csvDir, join(home, "data"));
    assert.equal(moved.config.outputDir, join(home, "out"));
    const defaults = withUserPaths(parseCommand([], () => undefined), home);
    assert.ok(defaults.kind === "run");
    assert.equal(
      defaults.config.outputDir,
      "results",
      "the default output stays in the project",
    );
    const merge = withUserPaths(
      parseCommand(["merge", "data", "--output-dir", "m"], () => undefined),
      home,
    );
    assert.ok(merge.kind === "merge");
    assert.deepEqual([merge.runDirs, merge.outputDir], [
      [join(home, "data")],
      join(home, "m"),
    ]);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
