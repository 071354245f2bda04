// The benchmark command: plan the dataset, create (or resume) the run
// folder, then for each model: preflight, run every question, and write
// results, summary and reports. Returns the exit code; main.ts owns the
// process (signals, argv, printing of thrown errors).

import { dirname, join, resolve } from "node:path";
import type { ModelInfo } from "../backend/backend.ts";
import { createBackends, preflightAll } from "../backend/factory.ts";
import { type Config, safePathSegment } from "../config.ts";
import { FewshotSource } from "../dataset/fewshot.ts";
import { type DatasetPlan, planDataset } from "../dataset/plan.ts";
import { type FieldMap, parseFieldMap } from "../dataset/fields.ts";

/** `--fields` as a map (already validated by the option parser). */
function fieldMapOf(config: Config): FieldMap | null {
  if (config.fields === null) return null;
  const map = parseFieldMap(config.fields);
  return typeof map === "string" ? null : map;
}
import { DatasetError, UsageError } from "../errors.ts";
import { fileSink, setupLogging, teardownLogging } from "../log.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import { validatePromptOptions } from "../protocol/prompt.ts";
import { presetByName } from "../protocol/presets.ts";
import type { Summary } from "../report/summary.ts";
import type { RunStop } from "../runner/run.ts";
import type { SelectOptions } from "../dataset/select.ts";
import {
  createManifest,
  type Manifest,
  MANIFEST_FILE,
  resumeConfig,
} from "../store/manifest.ts";
import { writeJsonAtomic } from "../store/atomic.ts";
import { TOOL } from "../version.ts";
import type { BenchControl, BenchIo } from "./bench_io.ts";

export type { BenchControl, BenchIo };

function timestampId(d: Date): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/** Runs the benchmark command; returns the exit code. */
export async function runBench(
  initial: Config,
  explicit: ReadonlySet<keyof Config>,
  io: BenchIo,
  control: BenchControl,
): Promise<number> {
  const startedAt = new Date();
  let config = initial;
  let runDir: string;
  let manifest: Manifest | null = null;

  if (initial.resume) {
    runDir = resolve(initial.resume);
    let text: string;
    try {
      text = await Deno.readTextFile(join(runDir, MANIFEST_FILE));
    } catch {
      throw new UsageError(
        `Cannot resume "${initial.resume}": no ${MANIFEST_FILE} there (is it a run folder?)`,
      );
    }
    manifest = JSON.parse(text) as Manifest;
    const merged = resumeConfig(manifest, initial, explicit);
    if (merged.changed.length > 0 && !initial.force) {
      throw new UsageError(
        `Cannot resume "${initial.resume}": ${
          merged.changed.join(", ")
        } changed since the run started ` +
          `(results would mix two setups); pass --force to resume anyway`,
      );
    }
    config = merged.config;
  } else {
    const shardTag = config.shard
      ? `-shard${config.shard.index}of${config.shard.count}`
      : "";
    const runId = config.runId ?? `${timestampId(startedAt)}${shardTag}`;
    runDir = resolve(config.outputDir, safePathSegment(runId));
  }

  const select: SelectOptions = {
    subjects: config.subjects,
    limit: config.limit,
    sample: config.sample,
    seed: config.seed,
    shard: config.shard,
  };
  const asUsage = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  };
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

  if (config.preflightOnly) {
    // Read the dataset while the servers answer; nothing is written.
    const [plan, infos] = await Promise.all([
      planDataset(config.csvDir, config.csvPattern, select, {
        hash: false,
        fields: fieldMapOf(config),
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

  const plan = await planDataset(config.csvDir, config.csvPattern, select, {
    fields: fieldMapOf(config),
    withDevFiles: shots > 0,
  });
  reportPlan(plan, io);
  if (manifest) {
    const changed = datasetChanges(manifest, plan);
    if (changed.length > 0 && !config.force) {
      throw new UsageError(
        `Cannot resume "${config.resume}": the dataset changed (${
          changed.slice(0, 5).join(", ")
        }); ` +
          `pass --force to resume anyway`,
      );
    }
  }

  if (!manifest && config.runId === null) {
    // A generated id must not collide with a run started in the same second
    // (shards launched together): claim the folder atomically.
    runDir = await claimFolder(runDir);
  }
  await Deno.mkdir(runDir, { recursive: true });
  const runId = runDir.split(/[\\/]/).pop()!;
  if (!manifest) {
    try {
      await Deno.stat(join(runDir, MANIFEST_FILE));
      throw new UsageError(
        `Cannot start run "${runId}": ${runDir} already holds a run; use --resume ${runDir} or another --run-id`,
      );
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    manifest = createManifest(
      runId,
      config,
      plan.root,
      plan.fileInfo,
      startedAt.toISOString(),
    );
    await writeJsonAtomic(join(runDir, MANIFEST_FILE), manifest);
  }

  const logFile = await Deno.open(
    join(runDir, `log-${timestampId(startedAt)}.jsonl`),
    {
      append: true,
      create: true,
    },
  );
  const sinks = [fileSink(logFile)];
  if (config.verbose) sinks.push(fileSink(Deno.stderr));
  const log = await setupLogging(sinks);
  log.info("run_started", {
    "run_id": runId,
    dir: runDir,
    models: config.models.join(","),
    backend: config.backend,
    mode,
    questions: plan.questions,
    skipped: plan.skipped,
    resumed: initial.resume !== null,
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
  let server: {
    addr: { hostname: string; port: number };
    shutdown(): Promise<void>;
  } | null = null;
  if (config.metricsPort !== null) {
    try {
      // Loaded only when serving: Hono and the live page cost start-up time.
      const { startMetricsServer } = await import("../metrics/server.ts");
      server = await startMetricsServer({
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
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      io.stderr(
        `warning: metrics server not started on ${config.metricsHost}:${config.metricsPort}: ${msg}\n`,
      );
      log.warn("metrics_unavailable", { message: msg });
    }
  }

  const fewshot = new FewshotSource({
    fewshotDir: config.fewshotDir,
    fields: fieldMapOf(config),
    devFiles: plan.devFiles,
  });
  const fewshotWarned = new Set<string>();
  const summaries: Array<{ model: string; dir: string; summary: Summary }> = [];
  let exitCode = 0;
  let stoppedBy: RunStop | null = null;
  try {
    // Loaded here, not at start-up: --preflight-only never needs them.
    const { runModel } = await import("./model_run.ts");
    const modelDirs = modelFolderNames(config.models);
    for (const [i, model] of config.models.entries()) {
      if (control.stop.aborted) {
        stoppedBy = { kind: "interrupted", message: "interrupted" };
        break;
      }
      registry.setModel(model);
      const modelDir = config.models.length > 1
        ? join(runDir, modelDirs[i]!)
        : runDir;
      await Deno.mkdir(modelDir, { recursive: true });
      const outcome = await runModel({
        config,
        model,
        mode,
        shots,
        template,
        plan,
        select,
        dir: modelDir,
        runId,
        startedAt,
        registry,
        fewshot,
        fewshotWarned,
        log,
        io,
        control,
        retryErrors: initial.retryErrors,
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

  if (summaries.length > 1) {
    const { writeComparison } = await import("./compare.ts");
    const table = await writeComparison(runDir, summaries);
    io.stdout(table);
  }

  for (const s of summaries) {
    if (s.summary.counts.errors > 0) exitCode = Math.max(exitCode, 1);
  }
  if (stoppedBy) {
    const resumeHint = `resume with: llm-bench --resume ${runDir}`;
    if (stoppedBy.kind === "interrupted") {
      io.stderr(`Interrupted: partial results in ${runDir} (${resumeHint})\n`);
      exitCode = 130;
    } else {
      const retryHint = stoppedBy.kind === "circuit_open"
        ? ` --retry-errors to ask the failed questions again`
        : "";
      io.stderr(
        `Run stopped: ${stoppedBy.message}\nPartial results in ${runDir} (${resumeHint}${retryHint})\n`,
      );
      exitCode = 1;
    }
  }
  if (config.failUnder !== null && exitCode !== 130) {
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
  log.info("run_finished", { "exit_code": exitCode, dir: runDir });

  if (config.serve && server && exitCode !== 130 && control.served) {
    io.stderr(`serving final metrics until interrupted (Ctrl-C)\n`);
    await control.served;
  }
  await finish(server, logFile);
  return exitCode;
}

async function finish(
  server: { shutdown(): Promise<void> } | null,
  logFile: Deno.FsFile,
): Promise<void> {
  await server?.shutdown();
  await teardownLogging();
  logFile.close();
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
