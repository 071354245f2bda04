// results.jsonl: one ResultRecord per line, appended and written through as
// each question finishes (a kill -9 loses at most the line being written),
// read back with a torn last line repaired.

import { DatasetError } from "../errors.ts";
import {
  type ChatMessage,
  type ErrorKind,
  type ResultRecord,
  STATUSES,
} from "../schema.ts";
import { writeAllSync } from "../log.ts";
import { Fields, oneOf } from "./fields.ts";

/** Appends result lines to a results.jsonl file. */
export class ResultsWriter {
  readonly #file: Deno.FsFile;
  #count = 0;
  #lastSync = 0;
  readonly #syncEveryMs: number;

  private constructor(file: Deno.FsFile, syncEveryMs: number) {
    this.#file = file;
    this.#syncEveryMs = syncEveryMs;
  }

  /** Opens (creating if needed) `path` for appending. */
  static async open(
    path: string,
    opts: { syncEveryMs?: number } = {},
  ): Promise<ResultsWriter> {
    const file = await Deno.open(path, { append: true, create: true });
    return new ResultsWriter(file, opts.syncEveryMs ?? 1000);
  }

  /** Lines written by this writer. */
  get count(): number {
    return this.#count;
  }

  /**
   * Writes one record as a line with a synchronous write, so it is in the
   * kernel before the next question is counted; the data is flushed to disk
   * at most every `syncEveryMs`.
   */
  write(record: ResultRecord): void {
    writeAllSync(this.#file, JSON.stringify(record) + "\n");
    this.#count++;
    const now = performance.now();
    if (now - this.#lastSync >= this.#syncEveryMs) {
      this.#lastSync = now;
      this.#file.syncDataSync();
    }
  }

  /** Flushes to disk and closes. */
  close(): void {
    try {
      this.#file.syncDataSync();
    } finally {
      this.#file.close();
    }
  }
}

const ERROR_KINDS = [
  "network",
  "timeout",
  "http_5xx",
  "busy",
  "rate_limited",
  "http_4xx",
  "model_not_found",
  "stream_error",
  "incomplete",
  "malformed",
  "interrupted",
  "circuit_open",
] as const satisfies readonly ErrorKind[];
// A kind added to ErrorKind but not here fails the type check.
const EVERY_KIND: Exclude<ErrorKind, typeof ERROR_KINDS[number]> extends never
  ? true
  : never = true;
void EVERY_KIND;

function messagesOf(f: Fields): ChatMessage[] | null {
  if (f.raw.messages === null) return null;
  return f.list("messages").map((m) => ({
    role: oneOf(m, "role", ["system", "user", "assistant"], false)!,
    content: m.str("content"),
  }));
}

function letterProbs(f: Fields): Record<string, number> | null {
  const g = f.objOrNull("letter_probs");
  if (g === null) return null;
  const out: Record<string, number> = {};
  for (const k of Object.keys(g.raw)) out[k] = g.num(k);
  return out;
}

/**
 * Checks one parsed results.jsonl line field by field; errors name the file,
 * the line and the field.
 *
 * @example
 * ```ts
 * import { parseResult } from "./results_file.ts";
 * try {
 *   parseResult({ id: "a.csv:1", index: "0" }, "results.jsonl", 1);
 *   throw new Error("accepted");
 * } catch (e) {
 *   if (!String(e).includes('line 1: field "index" is a string')) throw e;
 * }
 * ```
 */
export function parseResult(
  value: unknown,
  file: string,
  line: number,
): ResultRecord {
  const f = Fields.of(file, value, line);
  const service = f.raw["service_ms"];
  return {
    ...f.raw,
    id: f.str("id"),
    index: f.num("index"),
    file: f.str("file"),
    line: f.num("line"),
    subject: f.str("subject"),
    model: f.str("model"),
    expected: f.strOrNull("expected"),
    predicted: f.strOrNull("predicted"),
    status: oneOf(f, "status", STATUSES, false)!,
    method: f.strOrNull("method"),
    raw: f.strOrNull("raw"),
    thinking: f.strOrNull("thinking"),
    reason: f.strOrNull("reason"),
    "error_kind": oneOf(f, "error_kind", ERROR_KINDS, true),
    "latency_ms": f.numOrNull("latency_ms"),
    "prompt_tokens": f.numOrNull("prompt_tokens"),
    "eval_tokens": f.numOrNull("eval_tokens"),
    "eval_duration_ns": f.numOrNull("eval_duration_ns"),
    ...(service === undefined
      ? {}
      : { "service_ms": f.numOrNull("service_ms") }),
    "done_reason": f.strOrNull("done_reason"),
    attempts: f.num("attempts"),
    messages: messagesOf(f),
    prompt: f.strOrNull("prompt"),
    "letter_probs": letterProbs(f),
    endpoint: f.strOrNull("endpoint"),
    repeat: f.num("repeat"),
  };
}

/**
 * Streams the records of a results.jsonl file in file order. A final line
 * without its newline (a torn write) is ignored; any other bad line throws
 * with its line number.
 */
export async function* streamResults(
  path: string,
): AsyncGenerator<ResultRecord> {
  const file = await Deno.open(path, { read: true });
  const dec = new TextDecoder();
  let buf = "";
  let lineNo = 0;
  try {
    for await (const chunk of file.readable) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lineNo++;
        if (line.trim() === "") continue;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch {
          throw new DatasetError(
            `Cannot read "${path}": line ${lineNo} is not JSON`,
            { file: path, line: lineNo },
          );
        }
        yield parseResult(v, path, lineNo);
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.BadResource) return;
    throw e;
  }
}

/**
 * Cuts a torn last line (no final newline) off results.jsonl so appending
 * can go on; returns the bytes removed.
 */
export async function repairResultsFile(path: string): Promise<number> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
  if (stat.size === 0) return 0;
  const file = await Deno.open(path, { read: true, write: true });
  try {
    // Scan back from the end for the last newline.
    const block = 64 * 1024;
    let end = stat.size;
    const one = new Uint8Array(1);
    await file.seek(end - 1, Deno.SeekMode.Start);
    await file.read(one);
    if (one[0] === 0x0a) return 0;
    while (end > 0) {
      const start = Math.max(0, end - block);
      const buf = new Uint8Array(end - start);
      await file.seek(start, Deno.SeekMode.Start);
      let got = 0;
      while (got < buf.length) {
        const n = await file.read(buf.subarray(got));
        if (n === null) break;
        got += n;
      }
      const i = buf.lastIndexOf(0x0a);
      if (i >= 0) {
        const keep = start + i + 1;
        await file.truncate(keep);
        return stat.size - keep;
      }
      end = start;
    }
    await file.truncate(0);
    return stat.size;
  } finally {
    file.close();
  }
}
