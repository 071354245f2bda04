// deno-lint-ignore-file no-console -- a benchmark child process reports on stdout
// Child process of the `readers` scenario: reads one dataset file through
// the format's reader and prints {"questions", "skipped", "seconds"} (the
// read alone, start-up excluded). Peak RSS is measured by the parent.
//
//   deno run --allow-read [--v8-flags=--expose-gc] bench/read_file.ts FILE

import { basename } from "node:path";
import { readFile } from "../src/dataset/read.ts";

const path = Deno.args[0];
if (path === undefined) throw new Error("usage: read_file.ts FILE");
const t0 = performance.now();
let questions = 0;
let skipped = 0;
let problems = 0;
for await (const item of readFile({ path, relative: basename(path) }, 0)) {
  if (item.kind === "question") questions++;
  else if (item.kind === "skipped") skipped++;
  else problems++;
}
const seconds = (performance.now() - t0) / 1000;
// With --expose-gc: the heap still live after the read (what is retained,
// as opposed to what V8 kept committed).
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const liveMiB = Deno.memoryUsage().heapUsed / 2 ** 20;
console.log(
  JSON.stringify({ questions, skipped, problems, seconds, liveMiB }),
);
