// Synthetic MMLU-style datasets for the performance benchmarks: rows of the
// shared MMLU test sample repeated with unique question text, split into
// subject files like the real dataset.

import { parse } from "csv-parse/sync";
import { join } from "node:path";

/** Folder of the MMLU test sample (the repository's test fixtures). */
export const MMLU_TEST_DIR = new URL(
  "../tests/fixtures/mmlu/test/",
  import.meta.url,
);

/** One MMLU row: question, options, answer letter. */
export type Row = string[];

/** Reads every row of the shared MMLU test sample (398 rows). */
export async function readSampleRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const names: string[] = [];
  for await (const e of Deno.readDir(MMLU_TEST_DIR)) {
    if (e.isFile && e.name.endsWith(".csv")) names.push(e.name);
  }
  names.sort();
  for (const name of names) {
    const text = await Deno.readTextFile(new URL(name, MMLU_TEST_DIR));
    rows.push(...(parse(text, { relaxColumnCount: true }) as Row[]));
  }
  return rows;
}

/**
 * Quotes one CSV field the RFC 4180 way when it needs it.
 *
 * @example
 * ```ts
 * import { csvField } from "./dataset.ts";
 * csvField('say "hi", then go'); // '"say ""hi"", then go"'
 * ```
 */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Options of {@linkcode writeSyntheticDataset}. */
export interface SyntheticOptions {
  /** Questions per subject file. @default 1000 */
  perFile?: number;
}

/**
 * Writes `count` questions into `dir` as `synthetic_sNN_test.csv` files
 * (CRLF records, RFC 4180 quoting); each question text is prefixed with its
 * number so that no two are equal. Returns the bytes written.
 */
export async function writeSyntheticDataset(
  dir: string,
  count: number,
  sample: readonly Row[],
  opts: SyntheticOptions = {},
): Promise<number> {
  const perFile = opts.perFile ?? 1000;
  await Deno.mkdir(dir, { recursive: true });
  let bytes = 0;
  const enc = new TextEncoder();
  for (let file = 0; file * perFile < count; file++) {
    const lines: string[] = [];
    const end = Math.min(count, (file + 1) * perFile);
    for (let i = file * perFile; i < end; i++) {
      const row = sample[i % sample.length]!;
      const fields = [`Q${i}. ${row[0] ?? ""}`, ...row.slice(1)];
      lines.push(fields.map(csvField).join(","));
    }
    const data = enc.encode(lines.join("\r\n") + "\r\n");
    bytes += data.length;
    const name = `synthetic_s${String(file).padStart(3, "0")}_test.csv`;
    await Deno.writeFile(join(dir, name), data);
  }
  return bytes;
}
