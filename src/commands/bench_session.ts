// A benchmark run inside its folder: create (or reopen) and lock the folder,
// write run.json, open the log and the metrics server, run each model in
// turn, and decide how the run ended (resume hint, --fail-under, exit code).

import { fieldMapOf } from "../dataset/fields.ts";
import { dirname, join } from "node:path";
import type { ModelInfo } from "../backend/backend.ts";
import { type Config, safePathSegment } from "../config.ts";
import { FewshotSource } from "../dataset/fewshot.ts";
import { type DatasetPlan, modelPlan } from "../dataset/plan.ts";
import type { SelectOptions } from "../dataset/select.ts";
import { UsageError } from "../errors.ts";
import {
  fileSink,
  type Logger,
  setupLogging,
  teardownLogging,
} from "../log.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import type { Summary } from "../report/summary.ts";
import type { RunStop } from "../runner/run.ts";
import { writeJsonAtomic } from "../store/atomic.ts";
import { acquireRunLock, describeHolder, type RunLock } from "../store/lock.ts";
import { createManifest, type Manifest } from "../store/manifest.ts";
import {
  logFileName,
  MANIFEST_FILE,
  pathExists,
  RUN_FILES,
} from "../store/run_folder.ts";
import { TOOL } from "../version.ts";
import type { BenchControl, BenchIo } from "./bench_io.ts";

/** A run about to start: its config and folder, and its manifest when resumed. */
export interface RunStart {
  config: Config;
  runDir: string;
  manifest: Manifest | null;
}

/** How questions are asked, from preset, mode, shots and template. */
export interface PromptSetup {
  mode: Config["mode"];
  shots: number;
  template: string | null;
  select: SelectOptions;
}

/** Everything a run in its locked folder needs. */
export interface FolderRun extends RunStart {
  runId: string;
  setup: PromptSetup;
  plan: DatasetPlan;
  infos: Map<string, ModelInfo>;
  startedAt: Date;
  retryErrors: boolean;
  /** The folder's lock: given up once the run is over and only --serve is left. */
  lock?: RunLock;
}

/** The folder of the run, created (or reopened) and locked for this process. */
export async function openRunFolder(
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
    made = !(await pathExists(runDir));
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
  if (await pathExists(join(runDir, MANIFEST_FILE))) {
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
  if (plan.source) manifest.source = plan.source;
  await writeJsonAtomic(join(runDir, MANIFEST_FILE), manifest);
}

/** Logging, metrics, each model in turn, the comparison and the exit code. */
export async function runInFolder(
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
      io.stdout(await writeComparison(runDir, summaries, io.columns));
    }
    if (summaries.length > 0) {
      session.registry.finish(join(runDir, RUN_FILES.report));
    }
    await printLastLines(config.models, summaries, io);
    const exitCode = exitCodeFor(summaries, stoppedBy, config, runDir, io);
    session.log.info("run_finished", { "exit_code": exitCode, dir: runDir });
    if (config.serve && session.server && exitCode !== 130 && control.served) {
      control.serving?.();
      // Nothing more is written: report, merge or --resume may use the folder.
      run.lock?.release();
      io.stderr(`serving final metrics until interrupted (Ctrl-C)\n`);
      await control.served;
    }
    return exitCode;
  } finally {
    await session.close();
  }
}

/**
 * After a single model's results: its report.html. After a stop before every
 * model ran: the models not run. (Several models end with the comparison,
 * which names its own report.html.)
 */
export async function printLastLines(
  models: readonly string[],
  summaries: ReadonlyArray<{ model: string; dir: string }>,
  io: BenchIo,
): Promise<void> {
  const only = summaries.length === 1 ? summaries[0]! : null;
  if (only && await pathExists(join(only.dir, RUN_FILES.report))) {
    io.stdout(`Report: ${join(only.dir, RUN_FILES.report)}\n`);
  }
  const ran = new Set(summaries.map((s) => s.model));
  const notRun = models.filter((m) => !ran.has(m));
  if (summaries.length > 0 && notRun.length > 0) {
    io.stdout(`Not run yet: ${notRun.join(", ")}\n`);
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
    models: config.models,
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
  const fewshot = new FewshotSource({
    fewshotDir: config.fewshotDir,
    fields: fieldMapOf(config.fields),
    devFiles: run.plan.devFiles,
  });
  const fewshotWarned = new Set<string>();
  const summaries: Array<{ model: string; dir: string; summary: Summary }> = [];
  let stoppedBy: RunStop | null = null;
  try {
    // Loaded here, not at start-up: --preflight-only never needs them.
    const { runModel } = await import("./model_run.ts");
    const modelDirs = modelFolderNames(config.models);
    for (const [i, model] of config.models.entries()) {
      if (control.stop.aborted) break;
      registry.setModel(model, modelPlan(run.plan, config.repeats));
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
        // Each model's wall time is its own, not the models' before it.
        startedAt: i === 0 ? run.startedAt : new Date(),
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
export function exitCodeFor(
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
      io.stderr(
        `Interrupted: partial results in ${runDir}\nTo finish it, ${resumeHint}\n`,
      );
      return 130;
    }
    const retryHint = stoppedBy.kind === "circuit_open"
      ? ` --retry-errors to ask the failed questions again`
      : "";
    io.stderr(
      `Run stopped: ${stoppedBy.message}\nPartial results in ${runDir}\nTo finish it, ${resumeHint}${retryHint}\n`,
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
