// The dataset fixtures are byte-exact copies of public files: a checkout that
// rewrote line endings or trailing spaces would make the reader tests pass
// or fail for the wrong reason, so every byte is checked against SHA256SUMS.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { listFiles, REPO_ROOT } from "./cli_helper.ts";

const FIXTURES = join(REPO_ROOT, "tests/fixtures");
const COPIED = ["mmlu", "mmlu-pro", "arc"];

async function sums(): Promise<Map<string, string>> {
  const text = await Deno.readTextFile(join(FIXTURES, "SHA256SUMS"));
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    assert.ok(m, `malformed SHA256SUMS line: ${line}`);
    out.set(m[2]!, m[1]!);
  }
  return out;
}

Deno.test("tests/fixtures: every copied dataset file has the bytes SHA256SUMS names", async () => {
  const want = await sums();
  assert.equal(want.size, 62);
  for (const [path, hash] of want) {
    const bytes = await Deno.readFile(join(FIXTURES, path));
    const got = createHash("sha256").update(bytes).digest("hex");
    assert.equal(got, hash, `${path} changed`);
  }
});

Deno.test("tests/fixtures: every file in the copied dataset folders is listed in SHA256SUMS", async () => {
  const want = await sums();
  const present: string[] = [];
  for (const dir of COPIED) {
    for (const rel of await listFiles(join(FIXTURES, dir))) {
      present.push(`${dir}/${rel}`);
    }
  }
  assert.deepEqual(present.sort(), [...want.keys()].sort());
});
