// The plan of a run's dataset: question and few-shot files, their hashes
// (an hf: file's from the cache check, others read once more) and row
// counts, file problems, and how many questions the selection keeps.

import { resolve } from "node:path";
import { DatasetError } from "../errors.ts";
import type { SummaryDatasetFile } from "../schema.ts";
import type { DatasetItem } from "../schema.ts";
import { makeSelector, type SelectOptions } from "./select.ts";
import {
  type DatasetFile,
  discoverFiles,
  type FileProblem,
} from "./discover.ts";
import type { FieldMap } from "./fields.ts";
import { readDataset } from "./read.ts";
import { sha256File } from "./file_hash.ts";
import { type HubOptions, isHubPath, resolveHubDataset } from "./hub.ts";
import type { DatasetSource } from "../store/manifest.ts";

/** What a run will read. */
export interface DatasetPlan {
  /** Absolute dataset root. */
  root: string;
  /** Question files, in stable order. */
  files: DatasetFile[];
  /** Dev files kept apart as few-shot sources. */
  devFiles: DatasetFile[];
  /** Hash and row count per question file. */
  fileInfo: SummaryDatasetFile[];
  problems: FileProblem[];
  /** Questions selected (before repeats). */
  questions: number;
  /** Skipped rows selected. */
  skipped: number;
  /** Selected questions and skipped rows per subject. */
  subjects: Map<string, { questions: number; skipped: number }>;
  /** Skipped rows selected, per file: how many, and the first one's line and reason. */
  skippedByFile: Map<string, { rows: number; line: number; reason: string }>;
  /** The Hub dataset the files were downloaded from (`hf:` paths). */
  source?: DatasetSource;
  /** `--fields`, or null: how records of an unknown shape are read. */
  fields: FieldMap | null;
}

/** Options of `planDataset`. */
export interface PlanOptions {
  /** Hash every question file (for the manifest). @default true */
  hash?: boolean;
  /** `--fields`. @default null */
  fields?: FieldMap | null;
  /** How an `hf:` path is made local (see hub.ts). */
  hub?: HubOptions;
  /**
   * Also list (and hash) the dev files kept apart as few-shot sources, for
   * a run that reads them (`--shots` > 0), so the manifest covers every
   * file read. @default false
   */
  withDevFiles?: boolean;
}

/**
 * `; first reasons: a.csv:3: answer "E" is not one of A-D; ...` for a
 * message: the first skip of each file, then further skips in reading order
 * (`firstSkips`), `max` in all.
 */
export function firstReasons(
  skippedByFile: DatasetPlan["skippedByFile"],
  max = 3,
  firstSkips: readonly { file: string; line: number; reason: string }[] = [],
): string {
  const reasons = [...skippedByFile].slice(0, max).map(([file, s]) =>
    `${file}:${s.line}: ${s.reason}`
  );
  for (const s of firstSkips) {
    const text = `${s.file}:${s.line}: ${s.reason}`;
    if (reasons.length < max && !reasons.includes(text)) reasons.push(text);
  }
  return reasons.length > 0 ? `; first reasons: ${reasons.join("; ")}` : "";
}

const DEV_FILE_REGEXP =
  /(^|\/)[^/]*_dev\.[^/.]+$|(^|\/)dev\/|(^|\/)dev-\d+-of-\d+\.parquet$/;

/**
 * Whether a dataset file is a few-shot (dev split) file: `*_dev.*`, under a
 * `dev/` folder, or the Hub's `dev-00000-of-00001.parquet`.
 *
 * @example
 * ```ts
 * import { isDevFile } from "./plan.ts";
 * import assert from "node:assert/strict";
 * assert.ok(isDevFile("all/dev-00000-of-00001.parquet"));
 * assert.ok(isDevFile("mmlu/dev/anatomy_dev.csv"));
 * assert.ok(!isDevFile("all/test-00000-of-00001.parquet"));
 * ```
 */
export function isDevFile(relative: string): boolean {
  return DEV_FILE_REGEXP.test(relative);
}

/**
 * Discovers, hashes (unless `hash: false`) and counts the dataset. Dev-split files (`*_dev.*` or
 * under a `dev/` folder) are few-shot sources, not questions, unless every
 * matching file is one (the user pointed at a dev folder). An `hf:` path is
 * first made local (see hub.ts) with `opts.hub`.
 */
export async function planDataset(
  csvDir: string,
  pattern: string,
  select: SelectOptions,
  opts: PlanOptions = {},
): Promise<DatasetPlan> {
  const hub = isHubPath(csvDir)
    ? await resolveHubDataset(csvDir, opts.hub ?? { env: () => undefined })
    : null;
  const root = resolve(hub?.dir ?? csvDir);
  const found = await discoverFiles(root, pattern);
  const dev = found.files.filter((f) => isDevFile(f.relative));
  const questionFiles = dev.length === found.files.length
    ? found.files
    : found.files.filter((f) => !isDevFile(f.relative));
  const devFiles = dev.length === found.files.length ? [] : dev;
  const problems = [...found.problems];
  const rows = new Map<string, number>();
  const keep = makeSelector(select);
  let questions = 0;
  let skipped = 0;
  const skippedByFile: DatasetPlan["skippedByFile"] = new Map();
  const firstSkips: { file: string; line: number; reason: string }[] = [];
  const subjects: DatasetPlan["subjects"] = new Map();
  const fields = opts.fields ?? null;
  for await (const item of readDataset(questionFiles, { fields })) {
    if (item.kind === "problem") {
      problems.push(item.problem);
      continue;
    }
    const row = item.kind === "question" ? item.question : item.row;
    rows.set(row.file, (rows.get(row.file) ?? 0) + 1);
    if (!keep(item)) continue;
    const perSubject = subjects.get(row.subject) ??
      subjects.set(row.subject, { questions: 0, skipped: 0 }).get(row.subject)!;
    if (item.kind === "question") {
      perSubject.questions++;
      questions++;
      continue;
    }
    perSubject.skipped++;
    skipped++;
    if (firstSkips.length < 3) firstSkips.push(item.row);
    const seen = skippedByFile.get(item.row.file);
    if (seen) seen.rows++;
    else {
      const { line, reason } = item.row;
      skippedByFile.set(item.row.file, { rows: 1, line, reason });
    }
  }
  // The hf: cache has just checked each file against its SHA-256.
  const hashes = opts.hash === false
    ? null
    : new Map(hub?.source.files.map((f) => [f.file, f.sha256]));
  const fileInfo = await filesInfo(questionFiles, rows, hashes);
  if (opts.withDevFiles === true) {
    fileInfo.push(...await devFileInfo(devFiles, fields, hashes));
  }
  if (questions === 0) {
    const detail = problems.length > 0
      ? `; problems: ${problems.map((p) => p.message).slice(0, 5).join("; ")}`
      : "";
    throw new DatasetError(
      `No usable question in "${csvDir}" (${questionFiles.length} file(s) matching "${pattern}"${
        skipped > 0 ? `, ${skipped} row(s) skipped` : ""
      })${firstReasons(skippedByFile, 3, firstSkips)}${detail}`,
      { file: csvDir },
    );
  }
  return {
    root,
    files: questionFiles,
    devFiles,
    fileInfo,
    problems,
    questions,
    skipped,
    skippedByFile,
    subjects,
    ...(hub ? { source: hub.source } : {}),
    fields,
  };
}

/**
 * What one model of a run is planned to ask: every selected question once
 * per repeat, every selected skipped row once.
 */
export function modelPlan(
  plan: DatasetPlan,
  repeats: number,
): { questions: number; subjects: Record<string, number> } {
  const subjects: Record<string, number> = {};
  for (const [name, n] of plan.subjects) {
    subjects[name] = n.questions * repeats + n.skipped;
  }
  return { questions: plan.questions * repeats + plan.skipped, subjects };
}

/** Hash and row count of each few-shot dev file. */
async function devFileInfo(
  devFiles: readonly DatasetFile[],
  fields: FieldMap | null,
  hashes: ReadonlyMap<string, string> | null,
): Promise<SummaryDatasetFile[]> {
  const rows = new Map<string, number>();
  for await (const item of readDataset(devFiles, { fields })) {
    if (item.kind === "problem") continue;
    const file = item.kind === "question" ? item.question.file : item.row.file;
    rows.set(file, (rows.get(file) ?? 0) + 1);
  }
  return await filesInfo(devFiles, rows, hashes);
}

/**
 * Name, SHA-256 and row count of each file. `hashes`: SHA-256 already known
 * by relative name (the rest are read and hashed), or null for no hashes.
 */
async function filesInfo(
  files: readonly DatasetFile[],
  rows: ReadonlyMap<string, number>,
  hashes: ReadonlyMap<string, string> | null,
): Promise<SummaryDatasetFile[]> {
  const out: SummaryDatasetFile[] = [];
  for (const f of files) {
    const sha256 = hashes === null
      ? ""
      : hashes.get(f.relative) || await sha256File(f.path);
    out.push({ file: f.relative, sha256, rows: rows.get(f.relative) ?? 0 });
  }
  return out;
}

/** The selected items of the plan's files, streamed. */
export async function* plannedItems(
  plan: DatasetPlan,
  select: SelectOptions,
): AsyncGenerator<DatasetItem> {
  const keep = makeSelector(select);
  for await (const item of readDataset(plan.files, { fields: plan.fields })) {
    if (item.kind === "problem") continue;
    if (keep(item)) yield item;
  }
}
