// The benchmark command: plan the dataset, preflight every model, create (or
// resume) and lock the run folder, then run each model's questions and write
// results, summary and reports. Returns the exit code; main.ts owns the
// process (signals, argv, printing of thrown errors).

import { dirname, join, resolve } from "node:path";
import type { ModelInfo } from "../backend/backend.ts";
import { createBackends, preflightAll } from "../backend/factory.ts";
import { type Config, safePathSegment } from "../config.ts";
import { FewshotSource } from "../dataset/fewshot.ts";
import { type DatasetPlan, planDataset } from "../dataset/plan.ts";
import { DatasetError, RunAbortedError, UsageError } from "../errors.ts";
import {
  fileSink,
  type Logger,
  setupLogging,
  teardownLogging,
} from "../log.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { validatePromptOptions } from "../protocol/prompt.ts";
import { presetByName } from "../protocol/presets.ts";
import type { Summary } from "../report/summary.ts";
import type { RunStop } from "../runner/run.ts";
import type { SelectOptions } from "../dataset/select.ts";
import {
  createManifest,
  type Manifest,
  resumeConfig,
} from "../store/manifest.ts";
import { writeJsonAtomic } from "../store/atomic.ts";
import { acquireRunLock, describeHolder, type RunLock } from "../store/lock.ts";
import {
  logFileName,
  MANIFEST_FILE,
  readManifest,
  readSummaryIfAny,
  timestampId,
} from "../store/run_folder.ts";
import { TOOL } from "../version.ts";
import type { BenchControl, BenchIo } from "./bench_io.ts";

export type { BenchControl, BenchIo };

/** A run about to start: its config and folder, and its manifest when resumed. */
interface RunStart {
  config: Config;
  runDir: string;
  manifest: Manifest | null;
}

/** How questions are asked, from preset, mode, shots and template. */
interface PromptSetup {
  mode: Config["mode"];
  shots: number;
  template: string | null;
  select: SelectOptions;
}

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
  if (config.preflightOnly) {
    return await preflightOnly(config, setup, io, control);
  }
  const plan = await planDataset(
    config.csvDir,
    config.csvPattern,
    setup.select,
  );
  reportPlan(plan, io);
  if (start.manifest && datasetUnchanged(start.manifest, plan, config)) {
    const done = await completedRun(start.runDir, config);
    if (done) return reportComplete(start.runDir, done, config, io);
  }
  // Before any folder is made: a run that cannot start leaves nothing behind.
  const infos = await preflightModels(config, control);
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
  return { config: uniqueModels(merged.config, io), runDir, manifest };
}

/** The config with each model once (names compared case-insensitively). */
function uniqueModels(config: Config, io: BenchIo): Config {
  const seen = new Set<string>();
  const models: string[] = [];
  for (const m of config.models) {
    if (seen.has(m.toLowerCase())) {
      io.stderr(
        `warning: --model lists "${m}" more than once; running it once\n`,
      );
      continue;
    }
    seen.add(m.toLowerCase());
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
): Promise<number> {
  const [plan, infos] = await Promise.all([
    planDataset(config.csvDir, config.csvPattern, setup.select, {
      hash: false,
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
  "\nPoint at another server with --base-url URL (or OLLAMA_BASE_URL=URL); " +
  "try llm-bench without a server with `deno task demo` (or --backend mock)";

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

/** A completed run's summaries (one per model), or null if work is left. */
async function completedRun(
  runDir: string,
  config: Config,
): Promise<Array<{ model: string; dir: string; summary: Summary }> | null> {
  const names = modelFolderNames(config.models);
  const out = [];
  for (const [i, model] of config.models.entries()) {
    const dir = config.models.length > 1 ? join(runDir, names[i]!) : runDir;
    const summary = await readSummaryIfAny(dir);
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

/** The folder of the run, created (or reopened) and locked for this process. */
async function openRunFolder(
  start: RunStart,
  plan: DatasetPlan,
  startedAt: Date,
  io: BenchIo,
): Promise<{ runDir: string; runId: string; lock: RunLock }> {
  const { config, manifest } = start;
  let runDir = start.runDir;
  let made = false;
  if (!manifest && config.runId === null) {
    // A generated id must not collide with a run started in the same second
    // (shards launched together): claim the folder atomically.
    runDir = await claimFolder(runDir);
    made = true;
  } else {
    made = !(await exists(runDir));
    await Deno.mkdir(runDir, { recursive: true });
  }
  const runId = runDir.split(/[\\/]/).pop()!;
  let lock: RunLock;
  try {
    lock = acquireRunLock(runDir, startedAt);
  } catch (e) {
    if (made) await Deno.remove(runDir).catch(() => {});
    throw e;
  }
  if (lock.tookOver) {
    io.stderr(
      `note: took over the lock of ${
        describeHolder(lock.tookOver)
      }, which is no longer running\n`,
    );
  }
  try {
    if (!manifest) {
      await writeNewManifest(runDir, runId, config, plan, startedAt);
    }
  } catch (e) {
    lock.release();
    throw e;
  }
  return { runDir, runId, lock };
}

async function writeNewManifest(
  runDir: string,
  runId: string,
  config: Config,
  plan: DatasetPlan,
  startedAt: Date,
): Promise<void> {
  if (await exists(join(runDir, MANIFEST_FILE))) {
    throw new UsageError(
      `Cannot start run "${runId}": ${runDir} already holds a run; use --resume ${runDir} or another --run-id`,
    );
  }
  const manifest = createManifest(
    runId,
    config,
    plan.root,
    plan.fileInfo,
    startedAt.toISOString(),
  );
  await writeJsonAtomic(join(runDir, MANIFEST_FILE), manifest);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Everything a run in its locked folder needs. */
interface FolderRun extends RunStart {
  runId: string;
  setup: PromptSetup;
  plan: DatasetPlan;
  infos: Map<string, ModelInfo>;
  startedAt: Date;
  retryErrors: boolean;
}

/** Logging, metrics, each model in turn, the comparison and the exit code. */
async function runInFolder(
  run: FolderRun,
  io: BenchIo,
  control: BenchControl,
): Promise<number> {
  const { config, runDir } = run;
  const session = await openSession(run, io);
  try {
    const { summaries, stoppedBy } = await runModels(run, session, io, control);
    if (summaries.length > 1) {
      const { writeComparison } = await import("./compare.ts");
      io.stdout(await writeComparison(runDir, summaries));
    }
    const exitCode = exitCodeFor(summaries, stoppedBy, config, runDir, io);
    session.log.info("run_finished", { "exit_code": exitCode, dir: runDir });
    if (config.serve && session.server && exitCode !== 130 && control.served) {
      control.serving?.();
      io.stderr(`serving final metrics until interrupted (Ctrl-C)\n`);
      await control.served;
    }
    return exitCode;
  } finally {
    await session.close();
  }
}

/** The run's log file and logger, and the metrics server when asked for. */
interface Session {
  log: Logger;
  registry: MetricsRegistry;
  server: MetricsServer | null;
  close(): Promise<void>;
}

interface MetricsServer {
  addr: { hostname: string; port: number };
  shutdown(): Promise<void>;
}

async function openSession(run: FolderRun, io: BenchIo): Promise<Session> {
  const { config, runDir, plan } = run;
  const logFile = await Deno.open(
    join(runDir, logFileName(run.startedAt)),
    { append: true, create: true },
  );
  const sinks = [fileSink(logFile)];
  if (config.verbose) sinks.push(fileSink(Deno.stderr));
  const log = await setupLogging(sinks);
  log.info("run_started", {
    "run_id": run.runId,
    dir: runDir,
    models: config.models.join(","),
    backend: config.backend,
    mode: run.setup.mode,
    questions: plan.questions,
    skipped: plan.skipped,
    resumed: run.manifest !== null,
    version: TOOL.version,
  });
  for (const p of plan.problems) {
    log.warn("dataset_problem", {
      file: p.file,
      line: p.line,
      message: p.message,
    });
  }
  if (plan.devFiles.length > 0) {
    io.stderr(
      `note: ${plan.devFiles.length} dev file(s) are few-shot sources, not questions\n`,
    );
  }
  const planned = plan.questions * config.repeats;
  const registry = new MetricsRegistry({
    model: config.models[0]!,
    total: (planned + plan.skipped) * config.models.length,
  });
  const server = await startServer(config, registry, log, io);
  return {
    log,
    registry,
    server,
    async close() {
      await server?.shutdown();
      await teardownLogging();
      logFile.close();
    },
  };
}

async function startServer(
  config: Config,
  registry: MetricsRegistry,
  log: Logger,
  io: BenchIo,
): Promise<MetricsServer | null> {
  if (config.metricsPort === null) return null;
  try {
    // Loaded only when serving: Hono and the live page cost start-up time.
    const { startMetricsServer } = await import("../metrics/server.ts");
    const server = await startMetricsServer({
      hostname: config.metricsHost,
      port: config.metricsPort,
      registry,
    });
    io.stderr(
      `metrics: http://${
        hostForUrl(server.addr.hostname)
      }:${server.addr.port}/metrics (live page: /)\n`,
    );
    log.info("metrics_listening", {
      host: server.addr.hostname,
      port: server.addr.port,
    });
    return server;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    io.stderr(
      `warning: metrics server not started on ${config.metricsHost}:${config.metricsPort}: ${msg}\n`,
    );
    log.warn("metrics_unavailable", { message: msg });
    return null;
  }
}

/** Runs each model in turn until done or stopped. */
async function runModels(
  run: FolderRun,
  session: Session,
  io: BenchIo,
  control: BenchControl,
): Promise<{
  summaries: Array<{ model: string; dir: string; summary: Summary }>;
  stoppedBy: RunStop | null;
}> {
  const { config, runDir, setup, registry } = { ...run, ...session };
  const fewshot = new FewshotSource({ fewshotDir: config.fewshotDir });
  const fewshotWarned = new Set<string>();
  const summaries: Array<{ model: string; dir: string; summary: Summary }> = [];
  let stoppedBy: RunStop | null = null;
  try {
    // Loaded here, not at start-up: --preflight-only never needs them.
    const { runModel } = await import("./model_run.ts");
    const modelDirs = modelFolderNames(config.models);
    for (const [i, model] of config.models.entries()) {
      if (control.stop.aborted) break;
      registry.setModel(model);
      const modelDir = config.models.length > 1
        ? join(runDir, modelDirs[i]!)
        : runDir;
      await Deno.mkdir(modelDir, { recursive: true });
      const outcome = await runModel({
        config,
        model,
        info: run.infos.get(model)!,
        mode: setup.mode,
        shots: setup.shots,
        template: setup.template,
        plan: run.plan,
        select: setup.select,
        dir: modelDir,
        runId: run.runId,
        startedAt: run.startedAt,
        registry,
        fewshot,
        fewshotWarned,
        log: session.log,
        io,
        control,
        retryErrors: run.retryErrors,
      });
      summaries.push({ model, dir: modelDir, summary: outcome.summary });
      if (outcome.stopped) {
        stoppedBy = outcome.stopped;
        break;
      }
    }
  } finally {
    registry.finish();
  }
  if (stoppedBy === null && control.stop.aborted) {
    stoppedBy = { kind: "interrupted", message: "interrupted" };
  }
  return { summaries, stoppedBy };
}

/** Says how the run ended (resume hint, --fail-under) and picks the exit code. */
function exitCodeFor(
  summaries: ReadonlyArray<{ model: string; summary: Summary }>,
  stoppedBy: RunStop | null,
  config: Config,
  runDir: string,
  io: BenchIo,
): number {
  let exitCode = 0;
  for (const s of summaries) {
    if (s.summary.counts.errors > 0) exitCode = Math.max(exitCode, 1);
  }
  if (stoppedBy) {
    const resumeHint = `resume with: ${
      io.resumeCommand?.(runDir) ?? `llm-bench --resume ${runDir}`
    }`;
    if (stoppedBy.kind === "interrupted") {
      io.stderr(`Interrupted: partial results in ${runDir} (${resumeHint})\n`);
      return 130;
    }
    const retryHint = stoppedBy.kind === "circuit_open"
      ? ` --retry-errors to ask the failed questions again`
      : "";
    io.stderr(
      `Run stopped: ${stoppedBy.message}\nPartial results in ${runDir} (${resumeHint}${retryHint})\n`,
    );
    exitCode = 1;
  }
  if (config.failUnder !== null) {
    for (const s of summaries) {
      const acc = s.summary.accuracy;
      if (acc === null || acc < config.failUnder) {
        io.stderr(
          `FAIL: ${s.model} accuracy ${
            acc === null ? "n/a" : acc.toFixed(4)
          } is below --fail-under ${config.failUnder}\n`,
        );
        exitCode = Math.max(exitCode, 1);
      }
    }
  }
  return exitCode;
}

/**
 * One folder name per model: the cleaned name, with `-2`, `-3`... when two
 * names clean to the same folder (compared case-insensitively, as on macOS
 * and Windows), so no model reads another's results as its own.
 */
export function modelFolderNames(models: readonly string[]): string[] {
  const used = new Set<string>();
  return models.map((model) => {
    const base = safePathSegment(model);
    let name = base;
    for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    used.add(name.toLowerCase());
    return name;
  });
}

/** Creates `base`, or `base-2`, `base-3`… if it exists; returns the folder made. */
async function claimFolder(base: string): Promise<string> {
  await Deno.mkdir(dirname(base), { recursive: true });
  for (let n = 1;; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await Deno.mkdir(candidate);
      return candidate;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
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

/** Preflights one model on every endpoint (for `--preflight-only`). */
async function preflightModel(
  config: Config,
  model: string,
  control: BenchControl,
): Promise<{ model: string; info: ModelInfo; endpoints: string[] }> {
  const backends = createBackends(config, model, new WeakMap());
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
