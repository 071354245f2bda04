// How one model is asked: thinking on or off, the generation budget, few-shot
// examples, num_ctx sized to the longest prompt, and the protocol (which for
// the mock backend also hands over each answer).

import { join } from "node:path";
import type { ModelInfo } from "../backend/backend.ts";
import type { Config } from "../config.ts";
import type { DatasetFile } from "../dataset/discover.ts";
import type { FewshotSource } from "../dataset/fewshot.ts";
import { type DatasetPlan, plannedItems } from "../dataset/plan.ts";
import type { SelectOptions } from "../dataset/select.ts";
import type { Logger } from "../log.ts";
import type { MetricsRegistry } from "../metrics/registry.ts";
import { buildPrompt, type FewShotExample } from "../protocol/prompt.ts";
import { contextFor } from "../protocol/num_ctx.ts";
import { createProtocol, defaultMaxTokens } from "../protocol/protocol.ts";
import type { BenchControl, BenchIo } from "./bench_io.ts";

/** Everything one model's run needs from the benchmark command. */
export interface ModelRunInput {
  config: Config;
  model: string;
  /** The model's details from the preflight the benchmark command ran. */
  info: ModelInfo;
  mode: Config["mode"];
  shots: number;
  template: string | null;
  plan: DatasetPlan;
  select: SelectOptions;
  dir: string;
  runId: string;
  /** When this model's part of the run started (its summary's `started_at`). */
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

/** Few-shot examples for a question's subject (k of them, or fewer with a warning). */
export type ExamplesFor = (
  q: { file: string; subject: string },
  k: number,
) => Promise<FewShotExample[]>;

/** Thinking on or off, and the generation budget, for this model. */
export function thinkAndBudget(
  input: ModelRunInput,
): { think: boolean | null; maxTokens: number } {
  const { config, model, mode, info, io } = input;
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
  input.log.info("preflight_ok", {
    model,
    "server_version": info.serverVersion,
    digest: info.digest,
    quantization: info.quantization,
    "parameter_size": info.parameterSize,
    capabilities: info.capabilities.join(","),
    think,
    "max_tokens": maxTokens,
  });
  return { think, maxTokens };
}

/** Few-shot examples per question, warning once per subject when short. */
export function fewshotLookup(input: ModelRunInput): ExamplesFor {
  const { plan, io, log } = input;
  // Asked once per question: a lookup, not a scan of the file list.
  const files = new Map<string, DatasetFile>();
  for (const f of plan.files) {
    if (!files.has(f.relative)) files.set(f.relative, f);
  }
  return async (q, k) => {
    const file = files.get(q.file) ??
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
}

function promptOptions(input: ModelRunInput) {
  return {
    fewshotAsChat: input.config.fewshotAsChat,
    system: input.config.system,
    template: input.template,
    preset: input.config.preset,
  };
}

/**
 * num_ctx: sized once to the longest prompt, so the model loads once and no
 * prompt is cut silently. Only Ollama takes it.
 */
export async function contextSize(
  input: ModelRunInput,
  examplesFor: ExamplesFor,
  maxTokens: number,
): Promise<number | null> {
  const { config, info } = input;
  if (config.numCtx !== null || config.backend !== "ollama") {
    return config.numCtx;
  }
  let longest = 0;
  for await (const item of plannedItems(input.plan, input.select)) {
    if (item.kind !== "question") continue;
    const shotsFor = input.shots > 0
      ? await examplesFor(item.question, input.shots)
      : [];
    const built = buildPrompt(item.question, {
      ...promptOptions(input),
      mode: input.mode,
      shots: shotsFor,
    });
    longest = Math.max(longest, contextFor(built, maxTokens));
  }
  const numCtx = longest > 0 ? longest : null;
  if (
    numCtx !== null && info.contextLength !== null &&
    numCtx > info.contextLength
  ) {
    input.io.stderr(
      `warning: the longest prompt needs about ${numCtx} tokens of context; ${input.model} was trained on ${info.contextLength}\n`,
    );
    return info.contextLength;
  }
  return numCtx;
}

/** The protocol; for the mock backend it also tells the mock each answer. */
export function makeProtocol(
  input: ModelRunInput,
  gen: { think: boolean | null; maxTokens: number; numCtx: number | null },
  deps: { examplesFor: ExamplesFor; answers: Map<string, string> },
) {
  const { config } = input;
  const baseProtocol = createProtocol({
    mode: input.mode,
    prompt: promptOptions(input),
    shots: input.shots,
    think: gen.think,
    maxTokens: gen.maxTokens,
    numCtx: gen.numCtx,
    temperature: config.temperature,
    seed: config.seed,
    shuffleSeed: config.shuffleChoices,
  }, deps.examplesFor);
  if (config.backend !== "mock") return baseProtocol;
  return {
    prepare: async (q: Parameters<typeof baseProtocol.prepare>[0]) => {
      const p = await baseProtocol.prepare(q);
      deps.answers.set(p.question.id, p.question.answer);
      return p;
    },
    score: baseProtocol.score,
  };
}
