// Reader for Parquet files (as the Hugging Face Hub exports them: list and
// struct columns, int64, dictionary pages, snappy; gzip, zstd, brotli and
// lz4 too), one row group at a time through hyparquet, so memory stays
// within one row group.

import { parquetMetadataAsync, parquetReadObjects } from "hyparquet";
import type { AsyncBuffer, FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { readErrorMessage } from "./discover.ts";
import type { DatasetFile } from "./discover.ts";
import { fileProblem } from "./jsonl.ts";
import { type ReaderOptions, type ReadItem, RecordMapper } from "./records.ts";
import { subjectFromFile } from "./subject.ts";

const MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1"

/**
 * An AsyncBuffer over an open file: each slice is one positioned read,
 * serialised because reads share the file position.
 */
function fileBuffer(file: Deno.FsFile, size: number): AsyncBuffer {
  let queue: Promise<unknown> = Promise.resolve();
  const read = async (start: number, end: number): Promise<ArrayBuffer> => {
    const bytes = new Uint8Array(Math.max(0, end - start));
    await file.seek(start, Deno.SeekMode.Start);
    let got = 0;
    while (got < bytes.length) {
      const n = await file.read(bytes.subarray(got));
      if (n === null) break;
      got += n;
    }
    return bytes.buffer;
  };
  return {
    byteLength: size,
    slice(start: number, end: number = size): Promise<ArrayBuffer> {
      const next = queue.then(() => read(start, end));
      queue = next.catch(() => {});
      return next;
    },
  };
}

/**
 * Makes a decoded row plain JSON-like data, in place: bigints (int64)
 * become numbers, inside lists and structs too. Returns the value.
 */
export function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      if (typeof v === "object" || typeof v === "bigint") {
        value[i] = plainValue(v);
      }
    }
  } else if (
    typeof value === "object" && value !== null &&
    !(value instanceof Uint8Array) && !(value instanceof Date)
  ) {
    const record = value as Record<string, unknown>;
    for (const k in record) {
      const v = record[k];
      if (typeof v === "object" || typeof v === "bigint") {
        record[k] = plainValue(v);
      }
    }
  }
  return value;
}

function startsWithMagic(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

async function openParquet(
  file: DatasetFile,
): Promise<
  { handle: Deno.FsFile; buffer: AsyncBuffer; meta: FileMetaData } | string
> {
  const name = file.relative;
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(file.path, { read: true });
  } catch (cause) {
    return readErrorMessage(name, cause);
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) {
      handle.close();
      return `Cannot read "${name}": the file is empty`;
    }
    const buffer = fileBuffer(handle, size);
    const head = new Uint8Array(await buffer.slice(0, Math.min(4, size)));
    if (!startsWithMagic(head)) {
      handle.close();
      return `Cannot read "${name}": it is not a Parquet file (it does not start with "PAR1")`;
    }
    const tail = new Uint8Array(await buffer.slice(Math.max(0, size - 4)));
    if (size < 12 || !startsWithMagic(tail)) {
      handle.close();
      return `Cannot read "${name}": the Parquet file is cut short (it does not end with "PAR1")`;
    }
    const meta = await parquetMetadataAsync(buffer);
    return { handle, buffer, meta };
  } catch (cause) {
    handle.close();
    return `Cannot read "${name}": its Parquet footer is damaged (${
      cause instanceof Error ? cause.message : String(cause)
    })`;
  }
}

/**
 * Streams the items of one Parquet file, one row group at a time: each row
 * becomes a Question or a SkippedRow in any shape `shapes.ts` knows. Ids
 * are `<relative>:<row>` with 1-based row numbers. A file that is not
 * Parquet, cut short or damaged is a whole-file problem; rows of the row
 * groups before a damaged one are kept.
 */
export async function* readParquetFile(
  file: DatasetFile,
  firstIndex: number,
  options: ReaderOptions = {},
): AsyncGenerator<ReadItem> {
  const name = file.relative;
  const opened = await openParquet(file);
  if (typeof opened === "string") {
    yield fileProblem(name, opened);
    return;
  }
  const { handle, buffer, meta } = opened;
  const mapper = new RecordMapper(name, subjectFromFile(name), firstIndex, {
    ...options,
    notObject: "row is not a record",
  });
  let rowStart = 0;
  try {
    for (const group of meta.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({
          file: buffer,
          metadata: meta,
          rowStart,
          rowEnd,
          compressors,
        });
      } catch (cause) {
        yield fileProblem(
          name,
          `Cannot read "${name}": rows ${
            rowStart + 1
          }-${rowEnd} cannot be decoded (${
            cause instanceof Error ? cause.message : String(cause)
          })`,
        );
        return;
      }
      for (let i = 0; i < rows.length; i++) {
        for (const item of mapper.add(plainValue(rows[i]), rowStart + i + 1)) {
          yield item;
          if (item.kind === "problem") return;
        }
      }
      rowStart = rowEnd;
    }
    for (const item of mapper.finish()) {
      yield item;
      if (item.kind === "problem") return;
    }
  } finally {
    try {
      handle.close();
    } catch {
      // already closed
    }
  }
  if (mapper.index === firstIndex) {
    yield fileProblem(name, `Cannot read "${name}": the file has no rows`);
  }
}
