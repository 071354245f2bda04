// One model's part of a benchmark run: resume state, the runner with its
// progress and partial summaries, and the model folder's outputs (how the
// model is asked is set up in model_setup.ts).

import { join } from "node:path";
import { createBackends } from "../backend/factory.ts";
import { EndpointPool } from "../backend/pool.ts";
import { DEFAULT_RETRY_POLICY } from "../backend/retry.ts";
import { redactConfig } from "../config.ts";
import { modelPlan, plannedItems } from "../dataset/plan.ts";
import { Progress } from "../runner/progress.ts";
import { renderSummaryText } from "../report/text.ts";
import type { RunMeta, Summary } from "../report/summary.ts";
import { type RunOutcome, runQuestions, type RunStop } from "../runner/run.ts";
import type { DatasetItem, ResultRecord } from "../schema.ts";
import { writeFileAtomic, writeJsonAtomic } from "../store/atomic.ts";
import {
  repairResultsFile,
  ResultsWriter,
  streamResults,
} from "../store/results_file.ts";
import { summariseResults, writeRunOutputs } from "../report/outputs.ts";
import { readSummaryIfAny, RUN_FILES } from "../store/run_folder.ts";
import { TOOL } from "../version.ts";
import { openRunCache } from "./run_cache.ts";
import {
  contextSize,
  fewshotLookup,
  makeProtocol,
  type ModelRunInput,
  thinkAndBudget,
} from "./model_setup.ts";

export type { ModelRunInput };

/**
 * Runs every selected question against one model: prompts, resume state,
 * the runner, and the model's outputs. Returns its summary.
 */
export async function runModel(
  input: ModelRunInput,
): Promise<{ summary: Summary; stopped: RunStop | null }> {
  const { config, model } = input;
  // The mock's answer key: each question's letter as asked (after shuffling).
  const answers = new Map<string, string>();
  const cache = openRunCache(config, model, (message) => {
    input.io.stderr(`warning: ${message}\n`);
    input.log.warn("cache_warning", { model, message });
  });
  const backends = cache.wrap(
    createBackends(config, model, (id) => answers.get(id) ?? null),
    input.info,
  );
  const { think, maxTokens } = thinkAndBudget(input);
  const examplesFor = fewshotLookup(input);
  const numCtx = await contextSize(input, examplesFor, maxTokens);
  const protocol = makeProtocol(input, { think, maxTokens, numCtx }, {
    examplesFor,
    answers,
  });
  const done = await finishedSoFar(input);
  const previous = await previousSummary(input.dir);
  const pool = new EndpointPool(backends, { concurrency: config.concurrency });
  let outcome: RunOutcome;
  try {
    outcome = await askAll(input, done, { pool, protocol });
    await cache.verify(backends, input.control.abort);
  } finally {
    cache.close();
    if (config.cache) {
      input.log.info("cache_used", { model, ...cache.counts() });
    }
  }
  const complete = outcome.stopped === null && outcome.unfinished === 0;
  const endpointStats = pool.stats();
  if (endpointStats.length > 1 || config.concurrency === "auto") {
    input.log.info("endpoints", { endpoints: JSON.stringify(endpointStats) });
  }
  // A model that had finished before this resume keeps its files (and its
  // start and wall time) as they were.
  const summary = previous?.complete && complete && outcome.finished === 0
    ? previous
    : await writeSummary(input, complete);
  tellOutcome(input, summary, maxTokens, endpointStats.map((s) => s.limit));
  input.log.info("model_finished", {
    model,
    total: summary.counts.total,
    correct: summary.counts.correct,
    accuracy: summary.accuracy,
    errors: summary.counts.errors,
    complete,
  });
  if (config.models.length > 1) {
    for (const b of backends) {
      await b.unload(input.control.abort).catch(() => {});
    }
  }
  return { summary, stopped: outcome.stopped };
}

/** Summarises results.jsonl and writes the model folder's outputs. */
async function writeSummary(
  input: ModelRunInput,
  complete: boolean,
): Promise<Summary> {
  const { summary, details } = await summariseResults(
    input.dir,
    runMeta(input, complete, new Date()),
  );
  await writeRunOutputs(input.dir, summary, details);
  return summary;
}

/** The summary a resumed model folder already has; null when none can be read. */
async function previousSummary(dir: string): Promise<Summary | null> {
  try {
    return await readSummaryIfAny(dir);
  } catch {
    return null; // unreadable: it is written again
  }
}

/** Results so far (resume): repairs a torn line, keeps finished questions. */
async function finishedSoFar(input: ModelRunInput): Promise<Set<string>> {
  const resultsPath = join(input.dir, RUN_FILES.results);
  const repaired = await repairResultsFile(resultsPath);
  if (repaired > 0) {
    input.log.warn("results_repaired", { bytes: repaired, file: resultsPath });
  }
  const done = new Set<string>();
  let kept = 0;
  if (input.retryErrors) await dropErrors(resultsPath);
  try {
    for await (const r of streamResults(resultsPath)) {
      done.add(`${r.id}#${r.repeat}`);
      input.registry.result(r, true);
      kept++;
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (kept > 0) {
    input.io.stderr(`resuming: ${kept} result(s) kept, asking the rest\n`);
  }
  return done;
}

/** The run facts of this model's summary. */
function runMeta(
  input: ModelRunInput,
  complete: boolean,
  finishedAt: Date | null,
): RunMeta {
  const { config, plan } = input;
  return {
    runId: input.runId,
    complete,
    startedAt: input.startedAt.toISOString(),
    finishedAt: finishedAt?.toISOString() ?? null,
    wallTimeS: finishedAt
      ? (finishedAt.getTime() - input.startedAt.getTime()) / 1000
      : null,
    model: input.model,
    modelInfo: input.info,
    backend: config.backend,
    mode: input.mode,
    dataset: {
      files: plan.fileInfo,
      problems: plan.problems.map((p) => p.message),
    },
    config: redactConfig(config),
    tool: { ...TOOL },
    planned: modelPlan(plan, config.repeats),
  };
}

/** Writes a partial summary.json every `everyMs` until stopped. */
function partialSummaries(
  input: ModelRunInput,
  everyMs = 30_000,
): { stop(): Promise<void> } {
  let writing = false;
  let settled: Promise<void> = Promise.resolve();
  const timer = setInterval(async () => {
    if (writing) return;
    writing = true;
    let settle = () => {};
    settled = new Promise((resolve) => (settle = resolve));
    try {
      const { summary } = await summariseResults(
        input.dir,
        runMeta(input, false, null),
      );
      await writeJsonAtomic(join(input.dir, RUN_FILES.summary), summary);
    } catch (e) {
      input.log.warn("partial_summary_failed", {
        message: e instanceof Error ? e.message : String(e),
      });
    } finally {
      writing = false;
      settle();
    }
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      // A partial summary still being written must land before the final one.
      await settled;
    },
  };
}

/** The planned items; finished skipped rows are left out (finished repeats are skipped by the runner). */
async function* pendingItems(
  input: ModelRunInput,
  done: ReadonlySet<string>,
): AsyncGenerator<DatasetItem> {
  for await (const item of plannedItems(input.plan, input.select)) {
    if (item.kind === "skipped" && done.has(`${item.row.id}#0`)) continue;
    yield item;
  }
}

/** Writes each result through to results.jsonl and counts it. */
function resultSink(
  writer: ResultsWriter,
  input: ModelRunInput,
): (r: ResultRecord) => void {
  const { registry, log } = input;
  return (r) => {
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
}

/** Asks every unfinished question, with progress and partial summaries. */
async function askAll(
  input: ModelRunInput,
  done: ReadonlySet<string>,
  deps: {
    pool: EndpointPool;
    protocol: Parameters<typeof runQuestions>[2]["protocol"];
  },
): Promise<RunOutcome> {
  const { config, registry, io } = input;
  const writer = await ResultsWriter.open(join(input.dir, RUN_FILES.results));
  const progress = config.quiet ? null : new Progress(
    { tty: io.stderrIsTty, columns: io.columns, write: io.stderr },
    () => registry.snapshot(),
  );
  progress?.start();
  const partial = partialSummaries(input);
  try {
    return await runQuestions(pendingItems(input, done), {
      model: input.model,
      retry: { ...DEFAULT_RETRY_POLICY, maxRetries: config.maxRetries },
      rateLimitDelayMs: config.rateLimitDelay * 1000,
      requestTimeoutMs: config.requestTimeout * 1000,
      firstRequestTimeoutMs:
        Math.max(config.firstRequestTimeout, config.requestTimeout) * 1000,
      maxConsecutiveFailures: config.maxConsecutiveFailures,
      repeats: config.repeats,
    }, {
      pool: deps.pool,
      protocol: deps.protocol,
      sink: resultSink(writer, input),
      log: input.log,
      isDone: (id, repeat) => done.has(`${id}#${repeat}`),
      events: {
        requestStarted: () => registry.requestStarted(),
        requestFinished: (ms, _ok, cached) =>
          registry.requestFinished(ms, cached),
        retry: (kind) => registry.retry(kind),
      },
    }, input.control);
  } finally {
    progress?.stop();
    await partial.stop();
    writer.close();
  }
}

/** Budget warnings, the settled concurrency, and the summary table. */
function tellOutcome(
  input: ModelRunInput,
  summary: Summary,
  maxTokens: number,
  limits: number[],
): void {
  const { io } = input;
  for (const w of budgetWarnings(summary, maxTokens)) {
    io.stderr(`warning: ${w}\n`);
    input.log.warn("budget_warning", { model: input.model, message: w });
  }
  if (input.config.concurrency === "auto") {
    io.stderr(`concurrency auto settled at ${limits.join(", ")}\n`);
  }
  io.stdout(renderSummaryText(summary, { columns: io.columns }));
  io.stdout(`\nResults: ${input.dir}\n`);
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
