// The benchmark command: plan the dataset, preflight every model, then hand
// over to bench_session.ts, which creates (or reopens) and locks the run
// folder and runs each model. A resumed run that is complete is left alone.
// Returns the exit code; main.ts owns the process (signals, argv, printing
// of thrown errors).

import { join, resolve } from "node:path";
import { type ModelInfo, shortDigest } from "../backend/backend.ts";
import { createBackends, preflightAll } from "../backend/factory.ts";
import { type Config, safePathSegment } from "../config.ts";
import { type DatasetPlan, planDataset } from "../dataset/plan.ts";
import { type HubOptions, resumeDatasetPath } from "../dataset/hub.ts";
import { hubProgress } from "../dataset/hub_progress.ts";
import { fieldMapOf } from "../dataset/fields.ts";
import type { SelectOptions } from "../dataset/select.ts";
import { DatasetError, RunAbortedError, UsageError } from "../errors.ts";
import { validatePromptOptions } from "../protocol/prompt.ts";
import { presetByName } from "../protocol/presets.ts";
import type { Summary } from "../report/summary.ts";
import { type Manifest, resumeConfig } from "../store/manifest.ts";
import {
  readManifest,
  readSummaryIfAny,
  timestampId,
} from "../store/run_folder.ts";
import type { BenchControl, BenchIo } from "./bench_io.ts";
import {
  exitCodeFor,
  modelFolderNames,
  openRunFolder,
  type PromptSetup,
  runInFolder,
  type RunStart,
} from "./bench_session.ts";

export { modelFolderNames };
export type { BenchControl, BenchIo };

/** Runs the benchmark command; returns the exit code. */
export async function runBench(
  initial: Config,
  explicit: ReadonlySet<keyof Config>,
  io: BenchIo,
  control: BenchControl,
): Promise<number> {
  const startedAt = new Date();
  const start = await resolveRun(initial, explicit, startedAt, io);
  const { config } = start;
  const setup = await promptSetup(config);
  const hub = hubOptions(config, io, control);
  if (config.preflightOnly) {
    return await beforeStart(
      control,
      io,
      () => preflightOnly(config, setup, io, control, hub),
    ) ?? 130;
  }
  const plan = await beforeStart(control, io, () =>
    planDataset(
      config.csvDir,
      config.csvPattern,
      setup.select,
      { hub, fields: fieldMapOf(config.fields), withDevFiles: setup.shots > 0 },
    ));
  if (plan === null) return 130;
  reportPlan(plan, io);
  // A resumed run's summaries, read once for both checks below.
  const previous = start.manifest
    ? await previousSummaries(start.runDir, config)
    : [];
  if (start.manifest && datasetUnchanged(start.manifest, plan, config)) {
    const done = completedRun(previous, config);
    if (done) return reportComplete(start.runDir, done, config, io);
  }
  // Before any folder is made: a run that cannot start leaves nothing behind.
  const infos = await beforeStart(
    control,
    io,
    () => preflightModels(config, control),
  );
  if (infos === null) return 130;
  if (start.manifest && !config.force) {
    sameBuilds(previous, config, infos);
  }
  const folder = await openRunFolder(start, plan, startedAt, io);
  try {
    return await runInFolder(
      {
        ...start,
        ...folder,
        setup,
        plan,
        infos,
        startedAt,
        retryErrors: initial.retryErrors,
      },
      io,
      control,
    );
  } finally {
    folder.lock.release();
  }
}

/**
 * Runs a step before the run folder exists (a download, the preflight). A
 * failure that a stop caused (Ctrl-C aborting it) is an interrupt, said on
 * stderr: null, and the caller exits 130.
 */
async function beforeStart<T>(
  control: BenchControl,
  io: BenchIo,
  step: () => Promise<T>,
): Promise<T | null> {
  try {
    return await step();
  } catch (e) {
    if (!control.stop.aborted) throw e;
    const why = e instanceof Error && !(e instanceof DOMException)
      ? `: ${e.message}`
      : "";
    io.stderr(`Interrupted before the run started${why}\n`);
    return null;
  }
}

/** The config and folder of a new run, or of the run `--resume` names. */
async function resolveRun(
  initial: Config,
  explicit: ReadonlySet<keyof Config>,
  startedAt: Date,
  io: BenchIo,
): Promise<RunStart> {
  if (!initial.resume) {
    const shardTag = initial.shard
      ? `-shard${initial.shard.index}of${initial.shard.count}`
      : "";
    const runId = initial.runId ?? `${timestampId(startedAt)}${shardTag}`;
    return {
      config: uniqueModels(initial, io),
      runDir: resolve(initial.outputDir, safePathSegment(runId)),
      manifest: null,
    };
  }
  const runDir = resolve(initial.resume);
  const manifest = await readManifest(
    runDir,
    `Cannot resume "${initial.resume}"`,
  );
  const merged = resumeConfig(manifest, initial, explicit);
  if (merged.changed.length > 0 && !initial.force) {
    throw new UsageError(
      `Cannot resume "${initial.resume}": ${
        merged.changed.join(", ")
      } changed since the run started ` +
        `(results would mix two setups); pass --force to resume anyway`,
    );
  }
  // An hf: run reads the same Hub revision again.
  const config = Object.freeze({
    ...merged.config,
    csvDir: resumeDatasetPath(
      merged.config.csvDir,
      explicit.has("csvDir"),
      manifest.source,
    ),
  });
  return { config: uniqueModels(config, io), runDir, manifest };
}

/**
 * The config with each model once (names compared case-insensitively; for
 * Ollama a name without a tag is the ":latest" one).
 */
function uniqueModels(config: Config, io: BenchIo): Config {
  const seen = new Set<string>();
  const models: string[] = [];
  const key = (m: string) =>
    config.backend === "ollama" && !m.includes(":")
      ? `${m.toLowerCase()}:latest`
      : m.toLowerCase();
  for (const m of config.models) {
    if (seen.has(key(m))) {
      io.stderr(
        `warning: --model lists "${m}" more than once; running it once\n`,
      );
      continue;
    }
    seen.add(key(m));
    models.push(m);
  }
  return models.length === config.models.length
    ? config
    : Object.freeze({ ...config, models });
}

function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/** Mode, shots and template from the options, checked before anything runs. */
async function promptSetup(config: Config): Promise<PromptSetup> {
  const preset = config.preset
    ? asUsage(() => presetByName(config.preset!))
    : null;
  const mode = preset ? preset.mode : config.mode;
  if (mode === "logprobs" && config.think === "on") {
    throw new UsageError(
      "Invalid --think: on does not go with --mode logprobs (one token is scored, and a thinking model would spend it thinking)",
    );
  }
  const shots = preset && config.shots === 0 ? preset.shots : config.shots;
  const template = config.templateFile
    ? await readTemplate(config.templateFile)
    : null;
  asUsage(() =>
    validatePromptOptions({
      mode,
      shots: [],
      fewshotAsChat: config.fewshotAsChat,
      system: config.system,
      template,
      preset: config.preset,
    })
  );
  const select: SelectOptions = {
    subjects: config.subjects,
    limit: config.limit,
    sample: config.sample,
    seed: config.seed,
    shard: config.shard,
  };
  return { mode, shots, template, select };
}

/** `--preflight-only`: reads the dataset while the servers answer; writes nothing. */
async function preflightOnly(
  config: Config,
  setup: PromptSetup,
  io: BenchIo,
  control: BenchControl,
  hub: HubOptions,
): Promise<number> {
  const [plan, infos] = await Promise.all([
    planDataset(config.csvDir, config.csvPattern, setup.select, {
      hash: false,
      hub,
      fields: fieldMapOf(config.fields),
    }),
    Promise.all(
      config.models.map((model) => preflightModel(config, model, control)),
    ),
  ]);
  reportPlan(plan, io);
  for (const { model, info, endpoints } of infos) {
    io.stdout(
      `preflight ok: ${model} (${info.parameterSize ?? "?"} ${
        info.quantization ?? ""
      }) on ${
        endpoints.join(", ")
      }; ${plan.questions} question(s), ${plan.skipped} skipped row(s) in ${plan.files.length} file(s)\n`,
    );
  }
  return 0;
}

/**
 * Whether a resumed run's dataset files are as recorded; a change is
 * refused unless --force.
 */
function datasetUnchanged(
  manifest: Manifest,
  plan: DatasetPlan,
  config: Config,
): boolean {
  const changed = datasetChanges(manifest, plan);
  if (changed.length > 0 && !config.force) {
    throw new UsageError(
      `Cannot resume "${config.resume}": the dataset changed (${
        changed.slice(0, 5).join(", ")
      }); ` +
        `pass --force to resume anyway`,
    );
  }
  return changed.length === 0;
}

/** Advice for a server that cannot be reached at all. */
const UNREACHABLE_HINT =
  "\nPoint at another server with --base-url URL (or OLLAMA_BASE_URL=URL);" +
  "\ntry llm-bench without a server with `deno task demo` (or --backend mock)";

/** Preflights every model before anything is written; model -> its details. */
async function preflightModels(
  config: Config,
  control: BenchControl,
): Promise<Map<string, ModelInfo>> {
  const infos = new Map<string, ModelInfo>();
  try {
    for (const model of config.models) {
      infos.set(model, (await preflightModel(config, model, control)).info);
    }
  } catch (e) {
    if (e instanceof RunAbortedError && /^Cannot reach /.test(e.message)) {
      throw new RunAbortedError(e.message + UNREACHABLE_HINT, {
        exitCode: e.exitCode,
        cause: e.cause,
      });
    }
    throw e;
  }
  return infos;
}

/** Each model of a run and its folder (the run folder itself for one model). */
function modelDirs(
  runDir: string,
  config: Config,
): Array<{ model: string; dir: string }> {
  const names = modelFolderNames(config.models);
  return config.models.map((model, i) => ({
    model,
    dir: config.models.length > 1 ? join(runDir, names[i]!) : runDir,
  }));
}

/** Each model's folder and the summary.json it has; null when none can be read. */
async function previousSummaries(
  runDir: string,
  config: Config,
): Promise<Array<{ model: string; dir: string; summary: Summary | null }>> {
  const out = [];
  for (const { model, dir } of modelDirs(runDir, config)) {
    let summary: Summary | null = null;
    try {
      summary = await readSummaryIfAny(dir);
    } catch {
      // Unreadable: nothing recorded to compare, and the model is resumed.
    }
    out.push({ model, dir, summary });
  }
  return out;
}

/**
 * Refuses to resume a model whose build changed since its results so far
 * (a re-pull between sessions): the accuracy would mix two models.
 */
function sameBuilds(
  previous: Array<{ model: string; summary: Summary | null }>,
  config: Config,
  infos: Map<string, ModelInfo>,
): void {
  for (const { model, summary } of previous) {
    const before = summary?.["model_info"]?.digest ?? null;
    const now = infos.get(model)?.digest ?? null;
    if (before !== null && now !== null && before !== now) {
      throw new UsageError(
        `Cannot resume "${config.resume}": ${model} changed since the run started (digest ${
          shortDigest(before)
        } is now ${
          shortDigest(now)
        }; results would mix two builds); pass --force to resume anyway`,
      );
    }
  }
}

/** A completed run's summaries (one per model), or null if work is left. */
function completedRun(
  previous: Array<{ model: string; dir: string; summary: Summary | null }>,
  config: Config,
): Array<{ model: string; dir: string; summary: Summary }> | null {
  const out = [];
  for (const { model, dir, summary } of previous) {
    if (!summary?.complete) return null;
    if (config.retryErrors && summary.counts.errors > 0) return null;
    out.push({ model, dir, summary });
  }
  return out;
}

/** A resumed run that was already complete: say so, touch nothing. */
function reportComplete(
  runDir: string,
  runs: Array<{ model: string; summary: Summary }>,
  config: Config,
  io: BenchIo,
): number {
  io.stderr(
    `Run "${runDir}" is already complete: nothing left to ask; its files are unchanged\n`,
  );
  for (const r of runs) {
    io.stdout(
      `${r.model}: ${r.summary.counts.total} result(s), accuracy ${
        r.summary.accuracy === null
          ? "n/a"
          : (r.summary.accuracy * 100).toFixed(1) + "%"
      }\n`,
    );
  }
  io.stdout(`\nResults: ${runDir}\n`);
  return exitCodeFor(runs, null, config, runDir, io);
}

async function readTemplate(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new DatasetError(
      `Cannot read template "${path}": ${
        e instanceof Error ? e.message : String(e)
      }`,
      {
        file: path,
      },
    );
  }
}

function datasetChanges(manifest: Manifest, plan: DatasetPlan): string[] {
  const before = new Map(manifest.dataset.files.map((f) => [f.file, f.sha256]));
  const now = new Map(plan.fileInfo.map((f) => [f.file, f.sha256]));
  const changes: string[] = [];
  for (const [file, sha] of before) {
    if (!now.has(file)) changes.push(`"${file}" is gone`);
    else if (now.get(file) !== sha) changes.push(`"${file}" has new contents`);
  }
  for (const file of now.keys()) {
    if (!before.has(file)) changes.push(`"${file}" is new`);
  }
  return changes;
}

/** How an `hf:` dataset is fetched: the process environment, progress on stderr. */
function hubOptions(
  config: Config,
  io: BenchIo,
  control: BenchControl,
): HubOptions {
  return {
    env: io.env ?? (() => undefined),
    progress: hubProgress({
      write: io.stderr,
      tty: io.stderrIsTty,
      quiet: config.quiet,
      columns: io.columns,
    }),
    // A download is not a question in flight: the first Ctrl-C stops it.
    signal: control.stop,
  };
}

/** Preflights one model on every endpoint (for `--preflight-only`). */
async function preflightModel(
  config: Config,
  model: string,
  control: BenchControl,
): Promise<{ model: string; info: ModelInfo; endpoints: string[] }> {
  const backends = createBackends(config, model);
  const info = await preflightAll(backends, control.abort);
  return { model, info, endpoints: backends.map((b) => b.endpoint) };
}

/** Names every file problem and every file with skipped rows on stderr. */
function reportPlan(plan: DatasetPlan, io: BenchIo): void {
  for (const p of plan.problems) io.stderr(`warning: ${p.message}\n`);
  for (const [file, s] of plan.skippedByFile) {
    io.stderr(
      `warning: "${file}": ${s.rows} row(s) skipped (first: line ${s.line}: ${s.reason}); reasons in results.jsonl\n`,
    );
  }
}
