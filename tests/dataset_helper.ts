// Helpers shared by the dataset reader tests: a temporary file tree, and the
// items of a reader sorted into questions, skipped rows and file problems.

import type { ReadItem } from "../src/dataset/csv.ts";
import type { FileProblem } from "../src/dataset/discover.ts";
import type { Question, SkippedRow } from "../src/schema.ts";

/** A temporary folder holding `files` (path → text), removed on dispose. */
export async function tempTree(
  files: Record<string, string>,
): Promise<AsyncDisposable & { dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "llm_bench_tree_" });
  for (const [path, text] of Object.entries(files)) {
    const full = `${dir}/${path}`;
    await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
  return {
    dir,
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** What a reader yielded, by kind. */
export interface Read {
  questions: Question[];
  skipped: SkippedRow[];
  problems: FileProblem[];
}

/** Reads every item of a dataset reader, sorted by kind. */
export async function collect(items: AsyncIterable<ReadItem>): Promise<Read> {
  const out: Read = { questions: [], skipped: [], problems: [] };
  for await (const item of items) {
    if (item.kind === "question") out.questions.push(item.question);
    else if (item.kind === "skipped") out.skipped.push(item.row);
    else out.problems.push(item.problem);
  }
  return out;
}
