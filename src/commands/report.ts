// `llm-bench report RUN_DIR…`: rebuilds summary.json, summary.md and
// report.html from results.jsonl (after a resume, a merge, or with a newer
// version), keeping the run facts recorded in the old summary.

import { join } from "node:path";
import type { ModelInfo } from "../backend/backend.ts";
import { writeComparison } from "./compare.ts";
import { summariseResults, writeRunOutputs } from "../report/outputs.ts";
import {
  MANIFEST_FILE,
  pathExists,
  readManifestNear,
  readSummaryIfAny,
  RUN_FILES,
} from "../store/run_folder.ts";
import type { RunMeta, Summary } from "../report/summary.ts";
import { renderSummaryText } from "../report/text.ts";
import { UsageError } from "../errors.ts";
import { TOOL } from "../version.ts";
import { recordedModels } from "../store/manifest.ts";
import { acquireRunLock } from "../store/lock.ts";
import { streamResults } from "../store/results_file.ts";
import { presetByName } from "../protocol/presets.ts";

/** The run facts of an existing summary, to summarise its results again. */
export function metaFromSummary(s: Summary): RunMeta {
  const mi = s["model_info"];
  const modelInfo: ModelInfo | null = mi === null ? null : {
    name: s.model,
    serverVersion: mi["server_version"],
    digest: mi.digest,
    family: mi.family,
    parameterSize: mi["parameter_size"],
    quantization: mi.quantization,
    capabilities: mi.capabilities,
    contextLength: mi["context_length"],
  };
  return {
    runId: s["run_id"],
    complete: s.complete,
    startedAt: s["started_at"],
    finishedAt: s["finished_at"],
    wallTimeS: s["wall_time_s"],
    model: s.model,
    modelInfo,
    backend: s.backend,
    mode: s.mode,
    dataset: s.dataset,
    config: s.config,
    tool: { ...TOOL },
    // An interrupted run keeps saying what it planned and did not ask.
    ...(s.planned === undefined ? {} : { planned: s.planned }),
  };
}

/**
 * Run facts for a folder whose summary.json is gone: run.json (in the folder,
 * or its parent for a model folder of a multi-model run) and the results.
 * Model details and timings are unknown; `complete` is false.
 */
async function metaFromManifest(dir: string): Promise<RunMeta> {
  const near = await readManifestNear(dir);
  if (near === null) {
    throw new UsageError(
      `Cannot rebuild "${dir}": no ${RUN_FILES.summary} and no ${MANIFEST_FILE}`,
    );
  }
  const { manifest } = near;
  const config = manifest.config;
  let model = recordedModels(manifest)[0] ?? "";
  for await (const r of streamResults(join(dir, RUN_FILES.results))) {
    model = r.model;
    break;
  }
  const preset = typeof config.preset === "string" ? config.preset : null;
  return {
    runId: manifest["run_id"],
    complete: false,
    startedAt: manifest["created_at"],
    finishedAt: null,
    wallTimeS: null,
    model,
    modelInfo: null,
    backend: String(config.backend),
    mode: preset ? presetByName(preset).mode : String(config.mode),
    dataset: { files: manifest.dataset.files, problems: [] },
    config,
    tool: { ...TOOL },
  };
}

async function metaFor(dir: string): Promise<RunMeta> {
  const summary = await readSummaryIfAny(dir);
  return summary ? metaFromSummary(summary) : await metaFromManifest(dir);
}

/**
 * Locks the run folder that `dir` belongs to (itself, or the parent of a
 * model folder) while `f` rewrites its reports: a run still writing it is
 * named and nothing is rewritten.
 */
async function whileLocked<T>(dir: string, f: () => Promise<T>): Promise<T> {
  let top: string | null = null;
  for (const d of [dir, join(dir, "..")]) {
    if (await pathExists(join(d, MANIFEST_FILE))) {
      top = d;
      break;
    }
  }
  const lock = top === null ? null : acquireRunLock(top);
  try {
    return await f();
  } finally {
    lock?.release();
  }
}

/** Rebuilds one run folder (or each model folder of a multi-model run). */
async function rebuildOne(dir: string): Promise<string> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    throw new UsageError(
      `Cannot read "${dir}": ${
        e instanceof Deno.errors.NotFound ? "no such folder" : String(e)
      }`,
    );
  }
  if (!info.isDirectory) {
    throw new UsageError(`Cannot read "${dir}": not a folder`);
  }
  return await whileLocked(dir, () => rebuildIn(dir));
}

async function rebuildIn(dir: string): Promise<string> {
  if (await pathExists(join(dir, RUN_FILES.results))) {
    const { summary, details } = await summariseResults(
      dir,
      await metaFor(dir),
    );
    await writeRunOutputs(dir, summary, details);
    return renderSummaryText(summary) + `\nRebuilt ${dir}\n`;
  }
  const runs = [];
  for await (const entry of Deno.readDir(dir)) {
    const sub = join(dir, entry.name);
    if (entry.isDirectory && await pathExists(join(sub, RUN_FILES.results))) {
      const { summary, details } = await summariseResults(
        sub,
        await metaFor(sub),
      );
      await writeRunOutputs(sub, summary, details);
      runs.push({ model: summary.model, dir: sub, summary });
    }
  }
  if (runs.length === 0) {
    throw new UsageError(
      `Cannot rebuild "${dir}": no ${RUN_FILES.results} in it`,
    );
  }
  runs.sort((a, b) => (a.dir < b.dir ? -1 : 1));
  return runs.length > 1
    ? await writeComparison(dir, runs)
    : renderSummaryText(runs[0]!.summary);
}

/** Rebuilds the reports of each run folder; returns what to print. */
export async function rebuildReports(dirs: string[]): Promise<string> {
  const out: string[] = [];
  for (const d of dirs) out.push(await rebuildOne(d));
  return out.join("\n");
}
