// Reading runs for the leaderboard: finds run folders under the given paths
// and streams each results.jsonl once into a compact per-question status
// array (one byte per question), so memory grows with questions, not runs.

import { join, resolve } from "node:path";
import { DatasetError, UsageError } from "../errors.ts";
import type { ResultRecord, Status } from "../schema.ts";
import { streamResults } from "../store/results_file.ts";
import { readSummaryIfAny, RUN_FILES } from "../store/run_folder.ts";
import type { Summary } from "./summary.ts";

/** Status codes kept per question: 0 means no result. */
export const STATUS_CODE: Readonly<Record<Status, number>> = {
  correct: 1,
  wrong: 2,
  unparsed: 3,
  error: 4,
  skipped: 5,
};

/** Every question seen in any run: key → index, with its subject. */
export class QuestionIndex {
  readonly #keys = new Map<string, number>();
  /** Subject of each question (by index). */
  readonly subjects: string[] = [];

  /** Number of distinct questions. */
  get size(): number {
    return this.subjects.length;
  }

  /** The index of a question, added when new. */
  indexOf(key: string, subject: string): number {
    let i = this.#keys.get(key);
    if (i === undefined) {
      i = this.subjects.length;
      this.#keys.set(key, i);
      this.subjects.push(subject);
    }
    return i;
  }
}

/** One run folder, read. */
export interface RunTally {
  dir: string;
  summary: Summary;
  /** STATUS_CODE per question index (last line wins); shorter arrays mean 0. */
  status: Uint8Array;
  /** Σ service_ms and how many answered results had it. */
  serviceMs: number;
  serviceN: number;
  /** Σ eval_tokens and Σ eval_duration_ns over results with both. */
  evalTokens: number;
  evalNs: number;
  /** Result lines read (duplicates included). */
  lines: number;
  /** Distinct questions with a result line. */
  results: number;
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new UsageError(`Cannot read "${path}": ${errorText(e)}`);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function isRunFolder(dir: string): Promise<boolean> {
  return (await statOrNull(join(dir, RUN_FILES.summary))) !== null ||
    (await statOrNull(join(dir, RUN_FILES.results))) !== null;
}

/**
 * Run folders at or under each path (a run folder, a model folder, a merged
 * run, or any folder holding them), sorted; throws UsageError for a missing
 * path or one with no run in it.
 */
export async function findRunFolders(
  paths: readonly string[],
): Promise<string[]> {
  const found = new Set<string>();
  for (const path of paths) {
    const st = await statOrNull(path);
    if (st === null) {
      throw new UsageError(`Cannot read "${path}": no such file or folder`);
    }
    if (!st.isDirectory) {
      throw new UsageError(`Cannot read "${path}": not a folder`);
    }
    const before = found.size;
    await walk(path, found, 0);
    if (found.size === before) {
      throw new UsageError(
        `Cannot read "${path}": no runs in it (a run folder holds ${RUN_FILES.summary} and ${RUN_FILES.results})`,
      );
    }
  }
  // The same folder reached twice (a parent and its child, or "x/" and "x") is one run.
  const byPath = new Map<string, string>();
  for (const d of found) if (!byPath.has(resolve(d))) byPath.set(resolve(d), d);
  return [...byPath.values()].sort();
}

async function walk(dir: string, found: Set<string>, depth: number) {
  if (await isRunFolder(dir)) {
    found.add(dir);
    return;
  }
  if (depth > 8) return;
  const subs: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory && !e.name.startsWith(".")) subs.push(e.name);
    }
  } catch (e) {
    throw new UsageError(`Cannot read "${dir}": ${errorText(e)}`);
  }
  for (const name of subs.sort()) await walk(join(dir, name), found, depth + 1);
}

/**
 * Reads a run folder's summary.json with every field checked
 * (DatasetError naming the file and field); UsageError when there is none.
 */
export async function readRunSummary(dir: string): Promise<Summary> {
  const found = await readSummaryIfAny(dir);
  if (found === null) {
    throw new UsageError(
      `Cannot read "${dir}": no ${RUN_FILES.summary} (rebuild it with: llm-bench report ${dir})`,
    );
  }
  return found;
}

/** The key that identifies a question across runs: file content + row + repeat. */
export function questionKey(
  r: Pick<ResultRecord, "id" | "file" | "repeat">,
  hashes: ReadonlyMap<string, string>,
): string {
  return `${hashes.get(r.file) ?? "?"}|${r.id}#${r.repeat ?? 0}`;
}

/**
 * Streams one run folder's results into a RunTally, adding its questions to
 * `index`. A bad line throws DatasetError naming the file and line.
 */
export async function tallyRun(
  dir: string,
  summary: Summary,
  index: QuestionIndex,
): Promise<RunTally> {
  const path = join(dir, RUN_FILES.results);
  if ((await statOrNull(path)) === null) {
    throw new UsageError(
      `Cannot read "${dir}": no ${RUN_FILES.results} (the run has no results)`,
    );
  }
  const hashes = new Map(summary.dataset.files.map((f) => [f.file, f.sha256]));
  let status = new Uint8Array(Math.max(1024, index.size));
  const t: RunTally = {
    dir,
    summary,
    status,
    serviceMs: 0,
    serviceN: 0,
    evalTokens: 0,
    evalNs: 0,
    lines: 0,
    results: 0,
  };
  try {
    for await (const r of streamResults(path)) {
      const code = STATUS_CODE[r.status];
      if (code === undefined) {
        throw new Error(
          `Cannot read "${path}": line ${t.lines + 1} has status "${r.status}"`,
        );
      }
      t.lines++;
      const i = index.indexOf(questionKey(r, hashes), r.subject);
      if (i >= status.length) {
        const grown = new Uint8Array(Math.max(i + 1, status.length * 2));
        grown.set(status);
        status = grown;
      }
      if (status[i] === 0) t.results++;
      status[i] = code;
      if (code <= 3) addTimings(t, r);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new DatasetError(
      errorText(e).replace(/^(?!Cannot)/, `Cannot read "${path}": `),
      {
        file: path,
        cause: e,
      },
    );
  }
  if (t.lines === 0) {
    throw new UsageError(
      `Cannot read "${dir}": ${RUN_FILES.results} is empty (the run has no results)`,
    );
  }
  t.status = status;
  return t;
}

function addTimings(t: RunTally, r: ResultRecord) {
  const s = r["service_ms"];
  if (typeof s === "number" && Number.isFinite(s)) {
    t.serviceMs += s;
    t.serviceN++;
  }
  const tok = r["eval_tokens"];
  const ns = r["eval_duration_ns"];
  if (typeof tok === "number" && typeof ns === "number" && ns > 0) {
    t.evalTokens += tok;
    t.evalNs += ns;
  }
}
