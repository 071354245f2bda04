// README is the user's door: its configuration table and its commands must
// match the program.

import assert from "node:assert/strict";
import { join } from "node:path";
import { OPTIONS } from "../src/cli/options.ts";
import { REPO_ROOT } from "./cli_helper.ts";

const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
const tasks = Object.keys(
  (JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))) as {
    tasks: Record<string, string>;
  }).tasks,
);

Deno.test("README's configuration table lists every flag and environment variable", () => {
  for (const o of OPTIONS) {
    assert.ok(
      readme.includes("`--" + o.flag),
      `--${o.flag} missing from README`,
    );
    if (o.env) {
      assert.ok(
        readme.includes("`" + o.env + "`"),
        `${o.env} missing from README`,
      );
    }
  }
});

Deno.test("every `deno task` README mentions exists in deno.json", () => {
  const named = new Set(
    [...readme.matchAll(/deno task ([a-z][a-z-]*)/g)].map((m) => m[1]!),
  );
  assert.ok(named.has("bench") && named.has("test"));
  for (const t of named) {
    assert.ok(
      tasks.includes(t),
      `deno task ${t} is in README but not in deno.json`,
    );
  }
});
