// Streaming reader for JSON Lines: one object per line, in any record shape
// `shapes.ts` knows (MMLU-Pro, cais/mmlu, ARC, HellaSwag, flat, GPQA ...),
// becomes a Question or a SkippedRow.

import { readErrorMessage } from "./discover.ts";
import type { DatasetFile } from "./discover.ts";
import { type ReaderOptions, type ReadItem, RecordMapper } from "./records.ts";
import { FileProblemError, utf8Stream } from "./sniff.ts";
import type { SniffStats } from "./sniff.ts";
import { subjectFromFile } from "./subject.ts";

/** Opens a dataset file as validated UTF-8 text chunks, or returns the problem. */
export async function openText(
  file: DatasetFile,
  stats: SniffStats,
): Promise<ReadableStream<string> | ReadItem> {
  try {
    const handle = await Deno.open(file.path, { read: true });
    return handle.readable
      .pipeThrough(utf8Stream(file.relative, stats))
      .pipeThrough(new TextDecoderStream());
  } catch (cause) {
    return fileProblem(file.relative, readErrorMessage(file.relative, cause));
  }
}

/**
 * A JSON text file opened for its records: the text stream and the mapper
 * of its records (`notObject`: the reason for a value that is not an
 * object), or the problem item when it cannot be opened.
 */
export async function openRecords(
  file: DatasetFile,
  firstIndex: number,
  options: ReaderOptions,
  notObject: string,
): Promise<
  | { text: ReadableStream<string>; mapper: RecordMapper; stats: SniffStats }
  | ReadItem
> {
  const stats: SniffStats = { bytes: 0 };
  const text = await openText(file, stats);
  if (!(text instanceof ReadableStream)) return text;
  const name = file.relative;
  const mapper = new RecordMapper(name, subjectFromFile(name), firstIndex, {
    ...options,
    notObject,
  });
  return { text, mapper, stats };
}

/** A whole-file problem item. */
export function fileProblem(
  name: string,
  message: string,
  line: number | null = null,
): ReadItem {
  return { kind: "problem", problem: { file: name, line, message } };
}

/** The problem item for an error thrown while streaming a file. */
export function streamProblem(name: string, error: unknown): ReadItem {
  return error instanceof FileProblemError
    ? fileProblem(name, error.message, error.line)
    : fileProblem(name, readErrorMessage(name, error));
}

/** The problem for a file that yielded no row at all. */
export function emptyProblem(name: string, stats: SniffStats): ReadItem {
  return fileProblem(
    name,
    stats.bytes === 0
      ? `Cannot read "${name}": the file is empty`
      : `Cannot read "${name}": the file has no rows`,
  );
}

/** The lines of a text stream (LF or CRLF ends), numbered from 1. */
export async function* textLines(
  text: AsyncIterable<string>,
): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of text) {
    rest += chunk;
    let from = 0;
    let newline = rest.indexOf("\n");
    while (newline !== -1) {
      yield rest.slice(from, newline);
      from = newline + 1;
      newline = rest.indexOf("\n", from);
    }
    rest = rest.slice(from);
  }
  if (rest !== "") yield rest;
}

function parseLine(line: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(line) };
  } catch (error) {
    return {
      error: `invalid JSON: ${
        error instanceof Error ? error.message : String(error)
      }`,
    };
  }
}

/**
 * Streams the items of one JSON Lines file, like `readCsvFile`: each
 * non-blank line is a Question or a SkippedRow (invalid JSON, not an
 * object, missing fields, answer out of range ...); whole-file problems
 * (empty, binary, invalid UTF-8, unreadable, no known shape) end the file.
 * The subject is the record's `subject`/`category` when present, else taken
 * from the file name. Ids are `<relative>:<line>`.
 */
export async function* readJsonlFile(
  file: DatasetFile,
  firstIndex: number,
  options: ReaderOptions = {},
): AsyncGenerator<ReadItem> {
  const name = file.relative;
  const opened = await openRecords(
    file,
    firstIndex,
    options,
    "line is not a JSON object",
  );
  if (!("mapper" in opened)) {
    yield opened;
    return;
  }
  const { text, mapper, stats } = opened;
  let lineNumber = 0;
  try {
    for await (let line of textLines(text)) {
      lineNumber++;
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.trim() === "") continue;
      const parsed = parseLine(line);
      const items = "error" in parsed
        ? mapper.skip(lineNumber, parsed.error)
        : mapper.add(parsed.value, lineNumber);
      for (const item of items) {
        yield item;
        if (item.kind === "problem") return;
      }
    }
    for (const item of mapper.finish()) {
      yield item;
      if (item.kind === "problem") return;
    }
  } catch (error) {
    for (const item of mapper.finish()) {
      yield item;
      if (item.kind === "problem") return;
    }
    yield streamProblem(name, error);
    return;
  } finally {
    await text.cancel().catch(() => {});
  }
  if (mapper.index === firstIndex) yield emptyProblem(name, stats);
}
