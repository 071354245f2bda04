// Reads a whole dataset: picks each file's reader by extension (CSV, TSV,
// JSON Lines, JSON, Parquet) and numbers rows across files.

import { readCsvFile } from "./csv.ts";
import type { DatasetFile } from "./discover.ts";
import { readJsonFile } from "./json.ts";
import { readJsonlFile } from "./jsonl.ts";
import { readParquetFile } from "./parquet.ts";
import type { FileInfo, ReaderOptions, ReadItem } from "./records.ts";
import { formatOf } from "./format.ts";

/**
 * Streams the items of one file through the reader of its format; `info`
 * (when given) receives the format and the shape recognised.
 */
export function readFile(
  file: DatasetFile,
  firstIndex: number,
  options: ReaderOptions = {},
): AsyncGenerator<ReadItem> {
  const format = formatOf(file.relative);
  if (options.info) {
    options.info.format = format;
    options.info.shape = null;
  }
  switch (format) {
    case "jsonl":
      return readJsonLinesOrArray(file, firstIndex, options);
    case "json":
      return readJsonFile(file, firstIndex, options);
    case "parquet":
      return readParquetFile(file, firstIndex, options);
    default:
      return readCsvFile(file, firstIndex, options);
  }
}

/**
 * Whether a `.jsonl` file is really a JSON document: past a BOM and white
 * space it starts with `[` (a JSON array, one line or pretty-printed), or
 * with a `{` alone on its line (pretty-printed objects one after another).
 */
async function isJsonDocument(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return false; // the reader reports it
  }
  try {
    const buf = new Uint8Array(64 * 1024);
    let first = true;
    let brace = false;
    for (;;) {
      const n = await file.read(buf);
      if (n === null) return false;
      let i = 0;
      if (first && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        i = 3;
      }
      first = false;
      for (; i < n; i++) {
        const b = buf[i]!;
        if (b === 0x0a || b === 0x0d) {
          if (brace) return true;
          continue;
        }
        if (b === 0x20 || b === 0x09) continue;
        if (brace) return false;
        if (b !== 0x7b) return b === 0x5b;
        brace = true;
      }
    }
  } finally {
    file.close();
  }
}

/** A `.jsonl` file, or a JSON document saved under that name. */
async function* readJsonLinesOrArray(
  file: DatasetFile,
  firstIndex: number,
  options: ReaderOptions,
): AsyncGenerator<ReadItem> {
  yield* await isJsonDocument(file.path)
    ? readJsonFile(file, firstIndex, options)
    : readJsonlFile(file, firstIndex, options);
}

/** Options of `readDataset`. */
export interface ReadDatasetOptions {
  /** `--fields`, passed to every reader. @default null */
  fields?: ReaderOptions["fields"];
  /** Called after each file with what its reader learnt. */
  onFile?: (file: DatasetFile, info: FileInfo) => void;
}

/**
 * Streams every item of `files` in order, each through the reader of its
 * format. Indices continue across files (skipped rows included); a file
 * problem ends only its file.
 */
export async function* readDataset(
  files: readonly DatasetFile[],
  options: ReadDatasetOptions = {},
): AsyncGenerator<ReadItem> {
  let index = 0;
  for (const file of files) {
    const info: FileInfo = { format: formatOf(file.relative), shape: null };
    const items = readFile(file, index, { fields: options.fields, info });
    for await (const item of items) {
      if (item.kind !== "problem") index++;
      yield item;
    }
    options.onFile?.(file, info);
  }
}
