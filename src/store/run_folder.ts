// The run folder: the names of the files in it, and reading run.json and
// summary.json back with every field checked (errors name file and field).

import { join } from "node:path";
import { DatasetError, UsageError } from "../errors.ts";
import { type Manifest, parseManifest } from "./manifest.ts";
import { parseSummary, type Summary } from "./summary_json.ts";

/** File names inside a run folder (and inside each model folder). */
export const RUN_FILES = Object.freeze({
  /** One result line per question, appended as each finishes. */
  results: "results.jsonl",
  csv: "results.csv",
  summary: "summary.json",
  markdown: "summary.md",
  report: "report.html",
  /** What a resume needs (top folder of a run only). */
  manifest: "run.json",
  /** Present while a process writes the folder (top folder only). */
  lock: "run.lock",
});

/** Name of the manifest file in a run folder. */
export const MANIFEST_FILE: string = RUN_FILES.manifest;

/**
 * A UTC time as used in run ids and log names: `20260102T030405Z`.
 *
 * @example
 * ```ts
 * import { timestampId } from "./run_folder.ts";
 * const id = timestampId(new Date("2026-01-02T03:04:05.678Z"));
 * if (id !== "20260102T030405Z") throw new Error(id);
 * ```
 */
export function timestampId(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** The name of the JSON log of a process that started at `startedAt`. */
export function logFileName(startedAt: Date): string {
  return `log-${timestampId(startedAt)}.jsonl`;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether `path` exists; errors other than "not found" are thrown. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Reads and parses a JSON file; null when it does not exist. */
async function readJson(path: string): Promise<unknown | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new UsageError(`Cannot read "${path}": ${message(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DatasetError(`Cannot read "${path}": not JSON (${message(e)})`, {
      file: path,
    });
  }
}

/**
 * The manifest (run.json) of run folder `dir`, checked; throws a
 * UsageError starting with `context` when there is none.
 */
export async function readManifest(
  dir: string,
  context = `Cannot read run folder "${dir}"`,
): Promise<Manifest> {
  const found = await readManifestIfAny(dir);
  if (found === null) {
    throw new UsageError(
      `${context}: no ${MANIFEST_FILE} there (is it a run folder?)`,
    );
  }
  return found;
}

/** The manifest of run folder `dir`, checked; null when it has none. */
async function readManifestIfAny(dir: string): Promise<Manifest | null> {
  const path = join(dir, MANIFEST_FILE);
  const value = await readJson(path);
  return value === null ? null : parseManifest(value, path);
}

/**
 * The manifest that describes `dir`: its own, or for one model's folder of
 * a multi-model run, its parent's. Null when neither has one.
 */
export async function readManifestNear(
  dir: string,
): Promise<{ manifest: Manifest; inParent: boolean } | null> {
  const own = await readManifestIfAny(dir);
  if (own) return { manifest: own, inParent: false };
  const parent = await readManifestIfAny(join(dir, ".."));
  return parent ? { manifest: parent, inParent: true } : null;
}

/** Reads a run folder's summary.json, checked. */
export async function readSummary(dir: string): Promise<Summary> {
  const found = await readSummaryIfAny(dir);
  if (found === null) {
    throw new UsageError(
      `Cannot read "${join(dir, RUN_FILES.summary)}": no such file`,
    );
  }
  return found;
}

/** A run folder's summary.json, checked; null when it has none. */
export async function readSummaryIfAny(dir: string): Promise<Summary | null> {
  const path = join(dir, RUN_FILES.summary);
  const value = await readJson(path);
  return value === null ? null : parseSummary(value, path);
}
