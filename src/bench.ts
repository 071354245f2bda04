// The benchmark command: plan the dataset, create (or resume) the run
// folder, then for each model: preflight, run every question, and write
// results, summary and reports. Returns the exit code; main.ts owns the
// process (signals, argv, printing of thrown errors).

import { dirname, join, resolve } from "node:path";
import type { Backend, ModelInfo } from "./backend/backend.ts";
import { MockBackend } from "./backend/mock.ts";
import { OllamaBackend } from "./backend/ollama.ts";
import { OpenAIBackend } from "./backend/openai.ts";
import { EndpointPool } from "./backend/pool.ts";
import { DEFAULT_RETRY_POLICY } from "./backend/retry.ts";
import { type Config, redactConfig, safePathSegment } from "./config.ts";
import { FewshotSource } from "./dataset/fewshot.ts";
import { type DatasetPlan, planDataset, plannedItems } from "./dataset/plan.ts";
import { DatasetError, RunAbortedError, UsageError } from "./errors.ts";
import { fileSink, type Logger, setupLogging, teardownLogging } from "./log.ts";
import { MetricsRegistry } from "./metrics/registry.ts";
import { Progress } from "./progress.ts";
import {
  buildPrompt,
  type FewShotExample,
  validatePromptOptions,
} from "./prompt.ts";
import { contextFor } from "./num_ctx.ts";
import { presetByName } from "./presets.ts";
import { createProtocol, defaultMaxTokens } from "./protocol.ts";
import { renderSummaryText } from "./report/text.ts";
import type { RunMeta, Summary } from "./report/summary.ts";
import { runQuestions, type RunStop } from "./run.ts";
import type { DatasetItem, ResultRecord } from "./schema.ts";
import type { SelectOptions } from "./select.ts";
import {
  createManifest,
  type Manifest,
  MANIFEST_FILE,
  resumeConfig,
} from "./store/manifest.ts";
import { writeJsonAtomic } from "./store/atomic.ts";
import {
  repairResultsFile,
  ResultsWriter,
  streamResults,
} from "./store/results_file.ts";
import { RUN_FILES, summariseResults, writeRunOutputs } from "./outputs.ts";
import { writeComparison } from "./comparison.ts";
import { TOOL } from "./version.ts";

/** The process around a benchmark run. */
export interface BenchIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stderrIsTty: boolean;
  columns: number;
}

/** Signals from main.ts: `stop` = stop dispatching, `abort` = abort requests in flight. */
export interface BenchControl {
  stop: AbortSignal;
  abort: AbortSignal;
  /** Resolves when the user asks to stop serving (--serve). */
  served?: Promise<void>;
}

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

  const plan = await planDataset(config.csvDir, config.csvPattern, select);
  for (const p of plan.problems) io.stderr(`warning: ${p.message}\n`);
  for (const [file, s] of plan.skippedByFile) {
    io.stderr(
      `warning: "${file}": ${s.rows} row(s) skipped (first: line ${s.line}: ${s.reason}); reasons in results.jsonl\n`,
    );
  }
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

  if (config.preflightOnly) {
    return await preflightOnly(config, plan, io, control);
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
      const { startMetricsServer } = await import("./metrics/server.ts");
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

  const fewshot = new FewshotSource({ fewshotDir: config.fewshotDir });
  const summaries: Array<{ model: string; dir: string; summary: Summary }> = [];
  let exitCode = 0;
  let stoppedBy: RunStop | null = null;
  try {
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
  await finish(server, log, logFile);
  return exitCode;
}

async function finish(
  server: { shutdown(): Promise<void> } | null,
  _log: Logger,
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

interface ModelRunInput {
  config: Config;
  model: string;
  mode: Config["mode"];
  shots: number;
  template: string | null;
  plan: DatasetPlan;
  select: SelectOptions;
  dir: string;
  runId: string;
  startedAt: Date;
  registry: MetricsRegistry;
  fewshot: FewshotSource;
  log: Logger;
  io: BenchIo;
  control: BenchControl;
  retryErrors: boolean;
}

function createBackends(
  config: Config,
  model: string,
  oracle: WeakMap<object, string>,
): Backend[] {
  if (config.backend === "mock") {
    return [
      new MockBackend(
        {
          model,
          seed: config.seed,
          accuracy: config.mockAccuracy,
          latencyMs: config.mockLatencyMs,
        },
        { oracle: (req) => oracle.get(req) ?? null },
      ),
    ];
  }
  return config.baseUrls.map((baseUrl) =>
    config.backend === "openai"
      ? new OpenAIBackend({ baseUrl, model, apiKey: config.apiKey })
      : new OllamaBackend({ baseUrl, model })
  );
}

/** `--preflight-only`: check every model on every endpoint and the dataset; write nothing. */
async function preflightOnly(
  config: Config,
  plan: DatasetPlan,
  io: BenchIo,
  control: BenchControl,
): Promise<number> {
  for (const model of config.models) {
    const backends = createBackends(config, model, new WeakMap());
    const info = await preflightAll(backends, control.abort);
    io.stdout(
      `preflight ok: ${model} (${info.parameterSize ?? "?"} ${
        info.quantization ?? ""
      }) on ${
        backends.map((b) => b.endpoint).join(", ")
      }; ${plan.questions} question(s), ${plan.skipped} skipped row(s) in ${plan.files.length} file(s)\n`,
    );
  }
  return 0;
}

async function preflightAll(
  backends: Backend[],
  signal: AbortSignal,
): Promise<ModelInfo> {
  const infos = await Promise.all(backends.map((b) => b.preflight(signal)));
  return infos[0]!;
}

async function runModel(
  input: ModelRunInput,
): Promise<{ summary: Summary; stopped: RunStop | null }> {
  const { config, model, mode, plan, select, dir, registry, log, io, control } =
    input;
  const oracle = new WeakMap<object, string>();
  const backends = createBackends(config, model, oracle);
  const info = await preflightAll(backends, control.abort);
  const canThink = info.capabilities.includes("thinking");
  let think: boolean | null = null;
  if (canThink) {
    think = config.think === "auto" ? mode === "cot" : config.think === "on";
  } else if (config.think === "on") {
    io.stderr(
      `warning: ${model} has no thinking capability; --think on is ignored\n`,
    );
  }
  const maxTokens = config.maxTokens ?? defaultMaxTokens(mode, think === true);
  log.info("preflight_ok", {
    model,
    "server_version": info.serverVersion,
    digest: info.digest,
    quantization: info.quantization,
    "parameter_size": info.parameterSize,
    capabilities: info.capabilities.join(","),
    think,
    "max_tokens": maxTokens,
  });

  const fewshotWarned = new Set<string>();
  const examplesFor = async (
    q: { file: string; subject: string },
    k: number,
  ): Promise<FewShotExample[]> => {
    const file = plan.files.find((f) => f.relative === q.file) ??
      { path: join(plan.root, q.file), relative: q.file };
    const got = await input.fewshot.examples(file, q.subject, k);
    if (got.reason !== null && !fewshotWarned.has(q.subject)) {
      // A run asked for K shots must not quietly run with fewer.
      fewshotWarned.add(q.subject);
      io.stderr(
        `warning: ${q.subject}: ${got.examples.length} of ${k} few-shot example(s): ${got.reason}\n`,
      );
      log.warn("fewshot_short", {
        subject: q.subject,
        wanted: k,
        got: got.examples.length,
        reason: got.reason,
      });
    }
    return got.examples;
  };
  const promptOpts = {
    fewshotAsChat: config.fewshotAsChat,
    system: config.system,
    template: input.template,
    preset: config.preset,
  };

  // num_ctx: sized once to the longest prompt, so the model loads once and no
  // prompt is cut silently. Only Ollama takes it.
  let numCtx = config.numCtx;
  if (numCtx === null && config.backend === "ollama") {
    let longest = 0;
    for await (const item of plannedItems(plan, select)) {
      if (item.kind !== "question") continue;
      const shotsFor = input.shots > 0
        ? await examplesFor(item.question, input.shots)
        : [];
      const built = buildPrompt(item.question, {
        ...promptOpts,
        mode,
        shots: shotsFor,
      });
      longest = Math.max(longest, contextFor(built, maxTokens));
    }
    numCtx = longest > 0 ? longest : null;
    if (
      numCtx !== null && info.contextLength !== null &&
      numCtx > info.contextLength
    ) {
      io.stderr(
        `warning: the longest prompt needs about ${numCtx} tokens of context; ${model} was trained on ${info.contextLength}\n`,
      );
      numCtx = info.contextLength;
    }
  }

  const baseProtocol = createProtocol({
    mode,
    prompt: promptOpts,
    shots: input.shots,
    think,
    maxTokens,
    numCtx,
    temperature: config.temperature,
    seed: config.seed,
    shuffleSeed: config.shuffleChoices,
  }, examplesFor);
  const protocol = config.backend === "mock"
    ? {
      prepare: async (q: Parameters<typeof baseProtocol.prepare>[0]) => {
        const p = await baseProtocol.prepare(q);
        oracle.set(p.request, p.question.answer);
        return p;
      },
      score: baseProtocol.score,
    }
    : baseProtocol;

  // Results so far (resume): repair a torn line, keep finished questions.
  const resultsPath = join(dir, RUN_FILES.results);
  const repaired = await repairResultsFile(resultsPath);
  if (repaired > 0) {
    log.warn("results_repaired", { bytes: repaired, file: resultsPath });
  }
  const done = new Set<string>();
  let kept = 0;
  if (input.retryErrors) await dropErrors(resultsPath);
  try {
    for await (const r of streamResults(resultsPath)) {
      done.add(`${r.id}#${r.repeat}`);
      registry.result(r);
      kept++;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (kept > 0) {
    io.stderr(`resuming: ${kept} result(s) kept, asking the rest\n`);
  }

  const writer = await ResultsWriter.open(resultsPath);
  const pool = new EndpointPool(backends, { concurrency: config.concurrency });
  const meta = (complete: boolean, finishedAt: Date | null): RunMeta => ({
    runId: input.runId,
    complete,
    startedAt: input.startedAt.toISOString(),
    finishedAt: finishedAt?.toISOString() ?? null,
    wallTimeS: finishedAt
      ? (finishedAt.getTime() - input.startedAt.getTime()) / 1000
      : null,
    model,
    modelInfo: info,
    backend: config.backend,
    mode,
    dataset: {
      files: plan.fileInfo,
      problems: plan.problems.map((p) => p.message),
    },
    config: redactConfig(config),
    tool: { ...TOOL },
  });

  const progress = config.quiet ? null : new Progress(
    { tty: io.stderrIsTty, columns: io.columns, write: io.stderr },
    () => registry.snapshot(),
  );
  progress?.start();
  let partialTimer: ReturnType<typeof setInterval> | null = null;
  let writingPartial = false;
  let partialDone: Promise<void> = Promise.resolve();
  partialTimer = setInterval(async () => {
    if (writingPartial) return;
    writingPartial = true;
    let settle = () => {};
    partialDone = new Promise((resolve) => (settle = resolve));
    try {
      const { summary } = await summariseResults(dir, meta(false, null));
      await writeJsonAtomic(join(dir, RUN_FILES.summary), summary);
    } catch (e) {
      log.warn("partial_summary_failed", {
        message: e instanceof Error ? e.message : String(e),
      });
    } finally {
      writingPartial = false;
      settle();
    }
  }, 30_000);

  const items = (async function* (): AsyncGenerator<DatasetItem> {
    for await (const item of plannedItems(plan, select)) {
      const id = item.kind === "question" ? item.question.id : item.row.id;
      if (item.kind === "skipped") {
        if (!done.has(`${id}#0`)) yield item;
        continue;
      }
      yield item; // finished repeats are skipped by runQuestions (isDone)
    }
  })();

  const sink = (r: ResultRecord) => {
    writer.write(r);
    registry.result(r);
    if (r["eval_tokens"] !== null && r["eval_duration_ns"] !== null) {
      registry.tokens(r["eval_tokens"], r["eval_duration_ns"]);
    }
    log.debug("question_scored", {
      id: r.id,
      status: r.status,
      predicted: r.predicted,
      expected: r.expected,
      method: r.method,
      "latency_ms": r["latency_ms"],
      attempts: r.attempts,
    });
  };

  let outcome;
  try {
    outcome = await runQuestions(items, {
      model,
      retry: { ...DEFAULT_RETRY_POLICY, maxRetries: config.maxRetries },
      rateLimitDelayMs: config.rateLimitDelay * 1000,
      requestTimeoutMs: config.requestTimeout * 1000,
      firstRequestTimeoutMs:
        Math.max(config.firstRequestTimeout, config.requestTimeout) * 1000,
      maxConsecutiveFailures: config.maxConsecutiveFailures,
      repeats: config.repeats,
    }, {
      pool,
      protocol,
      sink,
      log,
      isDone: (id, repeat) => done.has(`${id}#${repeat}`),
      events: {
        requestStarted: () => registry.requestStarted(),
        requestFinished: (ms, ok) => registry.requestFinished(ms, ok),
        retry: (kind) => registry.retry(kind),
      },
    }, control);
  } finally {
    progress?.stop();
    if (partialTimer !== null) clearInterval(partialTimer);
    // A partial summary still being written must land before the final one.
    await partialDone;
    writer.close();
  }
  const finishedAt = new Date();
  const complete = outcome.stopped === null && outcome.unfinished === 0;
  const { summary, details } = await summariseResults(
    dir,
    meta(complete, finishedAt),
  );
  const endpointStats = pool.stats();
  if (endpointStats.length > 1 || config.concurrency === "auto") {
    log.info("endpoints", { endpoints: JSON.stringify(endpointStats) });
  }
  await writeRunOutputs(dir, summary, details);
  for (const w of budgetWarnings(summary, maxTokens)) {
    io.stderr(`warning: ${w}\n`);
    log.warn("budget_warning", { model, message: w });
  }
  if (config.concurrency === "auto") {
    io.stderr(
      `concurrency auto settled at ${
        endpointStats.map((s) => s.limit).join(", ")
      }\n`,
    );
  }
  io.stdout(renderSummaryText(summary));
  io.stdout(`\nResults: ${dir}\n`);
  log.info("model_finished", {
    model,
    total: summary.counts.total,
    correct: summary.counts.correct,
    accuracy: summary.accuracy,
    errors: summary.counts.errors,
    complete,
  });
  if (input.config.models.length > 1) {
    for (const b of backends) await b.unload(control.abort).catch(() => {});
  }
  return { summary, stopped: outcome.stopped };
}

/** Warnings for answers cut by the generation budget. */
export function budgetWarnings(summary: Summary, maxTokens: number): string[] {
  const by = summary["unparsed_by_reason"];
  const out: string[] = [];
  const thinking = by["truncated_in_thinking"] ?? 0;
  if (thinking > 0) {
    out.push(
      `${thinking} answer(s) ran out of the ${maxTokens}-token budget while thinking (unparsed); raise --max-tokens or use --think off`,
    );
  }
  const cut = by["truncated"] ?? 0;
  if (cut > 0) {
    out.push(
      `${cut} answer(s) were cut by the ${maxTokens}-token budget before an answer (unparsed); raise --max-tokens`,
    );
  }
  return out;
}

async function dropErrors(path: string): Promise<void> {
  const kept: string[] = [];
  try {
    for await (const r of streamResults(path)) {
      if (r.status !== "error") kept.push(JSON.stringify(r));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  const { writeFileAtomic } = await import("./store/atomic.ts");
  await writeFileAtomic(path, kept.length ? kept.join("\n") + "\n" : "");
}

export { RunAbortedError };
