// One model's part of a benchmark run: preflight, thinking and budget
// choices, num_ctx sizing, resume state, the runner with its progress and
// partial summaries, and the model folder's outputs.

import { join } from "node:path";
import { createBackends, preflightAll } from "../backend/factory.ts";
import { EndpointPool } from "../backend/pool.ts";
import { DEFAULT_RETRY_POLICY } from "../backend/retry.ts";
import { type Config, redactConfig } from "../config.ts";
import type { FewshotSource } from "../dataset/fewshot.ts";
import { type DatasetPlan, plannedItems } from "../dataset/plan.ts";
import type { Logger } from "../log.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { Progress } from "../runner/progress.ts";
import { buildPrompt, type FewShotExample } from "../protocol/prompt.ts";
import { contextFor } from "../protocol/num_ctx.ts";
import { createProtocol, defaultMaxTokens } from "../protocol/protocol.ts";
import { renderSummaryText } from "../report/text.ts";
import type { RunMeta, Summary } from "../report/summary.ts";
import { modelPlan } from "../dataset/plan.ts";
import { runQuestions, type RunStop } from "../runner/run.ts";
import type { DatasetItem, ResultRecord } from "../schema.ts";
import type { SelectOptions } from "../dataset/select.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import {
  repairResultsFile,
  ResultsWriter,
  streamResults,
} from "../store/results_file.ts";
import {
  RUN_FILES,
  summariseResults,
  writeRunOutputs,
} from "../report/outputs.ts";
import { TOOL } from "../version.ts";
import type { BenchControl, BenchIo } from "./bench_io.ts";
import { openRunCache } from "./run_cache.ts";

/** Everything one model's run needs from the benchmark command. */
export interface ModelRunInput {
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
  /** Subjects already warned about short few-shot examples (once per run, not per model). */
  fewshotWarned: Set<string>;
}

/**
 * Runs every selected question against one model: preflight, prompts,
 * resume state, the runner, and the model's outputs. Returns its summary.
 */
export async function runModel(
  input: ModelRunInput,
): Promise<{ summary: Summary; stopped: RunStop | null }> {
  const { config, model, mode, plan, select, dir, registry, log, io, control } =
    input;
  // The mock's answer key: each question's letter as asked (after shuffling).
  const answers = new Map<string, string>();
  const cache = openRunCache(config, model, (message) => {
    io.stderr(`warning: ${message}\n`);
    log.warn("cache_warning", { model, message });
  });
  const backends = cache.wrap(createBackends(
    config,
    model,
    (id) => answers.get(id) ?? null,
  ));
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

  const examplesFor = async (
    q: { file: string; subject: string },
    k: number,
  ): Promise<FewShotExample[]> => {
    const file = plan.files.find((f) => f.relative === q.file) ??
      { path: join(plan.root, q.file), relative: q.file };
    const got = await input.fewshot.examples(file, q.subject, k);
    const fewshotWarned = input.fewshotWarned;
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
        answers.set(p.question.id, p.question.answer);
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
    planned: modelPlan(plan, config.repeats),
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
    if (
      r["eval_tokens"] !== null && r["eval_duration_ns"] !== null &&
      r.cached !== true
    ) {
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
        requestFinished: (ms) => registry.requestFinished(ms),
        retry: (kind) => registry.retry(kind),
      },
    }, control);
  } finally {
    progress?.stop();
    if (partialTimer !== null) clearInterval(partialTimer);
    // A partial summary still being written must land before the final one.
    await partialDone;
    writer.close();
    cache.close();
    if (config.cache) log.info("cache_used", { model, ...cache.counts() });
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
  io.stdout(renderSummaryText(summary, { columns: io.columns }));
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
  await writeFileAtomic(path, kept.length ? kept.join("\n") + "\n" : "");
}
