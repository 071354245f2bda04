// Reads a whole dataset: dispatches each file to the CSV or JSONL reader by
// extension and numbers rows across files.

import type { ReadItem } from "./csv.ts";
import { readCsvFile } from "./csv.ts";
import type { DatasetFile } from "./discover.ts";
import { readJsonlFile } from "./jsonl.ts";

/**
 * Streams every item of `files` in order: `.jsonl` files through
 * `readJsonlFile`, everything else through `readCsvFile`. Indices continue
 * across files (skipped rows included); a file problem ends only its file.
 */
export async function* readDataset(
  files: readonly DatasetFile[],
): AsyncGenerator<ReadItem> {
  let index = 0;
  for (const file of files) {
    const items = file.relative.toLowerCase().endsWith(".jsonl")
      ? readJsonlFile(file, index)
      : readCsvFile(file, index);
    for await (const item of items) {
      if (item.kind !== "problem") index++;
      yield item;
    }
  }
}
