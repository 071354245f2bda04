// The question protocol of a run: how a question becomes a request (options
// shuffled, few-shot examples, prompt, generation options) and how a reply
// becomes a score (extraction or log-probabilities). Pure but for few-shot
// loading, which is injected.

import type { AskRequest, AskResponse } from "../backend/backend.ts";
import type { Mode } from "./prompt.ts";
import {
  buildPrompt,
  type FewShotExample,
  type PromptOptions,
} from "./prompt.ts";
import { estimateTokens } from "./num_ctx.ts";
import { extractAnswer } from "./answer.ts";
import { letterFromLogprobs } from "./logprob_letter.ts";
import { shuffleChoices } from "./shuffle.ts";
import type { Question } from "../schema.ts";
import type {
  PreparedQuestion,
  QuestionProtocol,
  Scored,
} from "../runner/types.ts";

/** Few-shot examples for a question (the subject's dev rows). */
export type ExamplesFor = (q: Question, k: number) => Promise<FewShotExample[]>;

/** Options of createProtocol. */
export interface ProtocolOptions {
  mode: Mode;
  /** Prompt options except the examples. */
  prompt: Omit<PromptOptions, "shots" | "mode">;
  /** Few-shot examples per question. */
  shots: number;
  /** `think` to send (null: send none, the model cannot think). */
  think: boolean | null;
  maxTokens: number;
  /** num_ctx to request, or null for the server default. */
  numCtx: number | null;
  temperature: number;
  seed: number;
  /** Shuffle options with this seed, or null. */
  shuffleSeed: number | null;
}

/** Default generation budget for a mode. */
export function defaultMaxTokens(mode: Mode, thinking: boolean): number {
  if (mode === "logprobs") return 1;
  if (mode === "cot") return thinking ? 4096 : 2048;
  return thinking ? 2048 : 64;
}

/** Builds the protocol; `examplesFor` is only called when shots > 0. */
export function createProtocol(
  opts: ProtocolOptions,
  examplesFor: ExamplesFor,
): QuestionProtocol {
  const structured = opts.mode === "answer";
  return {
    async prepare(original: Question): Promise<PreparedQuestion> {
      const q = opts.shuffleSeed === null
        ? original
        : shuffleChoices(original, opts.shuffleSeed);
      const shots = opts.shots > 0
        ? await examplesFor(original, opts.shots)
        : [];
      const built = buildPrompt(q, { ...opts.prompt, mode: opts.mode, shots });
      const request: AskRequest = {
        questionId: q.id,
        messages: built.messages,
        rawPrompt: built.rawPrompt,
        letters: built.letters,
        structured,
        maxTokens: opts.maxTokens,
        think: opts.think,
        topLogprobs: opts.mode === "logprobs" ? 20 : 0,
        temperature: opts.temperature,
        seed: opts.seed,
        topK: opts.temperature === 0 ? 1 : 40,
        topP: opts.temperature === 0 ? 1 : 0.95,
        numCtx: opts.numCtx,
      };
      return {
        question: q,
        request,
        messages: built.messages,
        prompt: built.rawPrompt,
      };
    },
    score(p: PreparedQuestion, r: AskResponse): Scored {
      return scoreReply(p, r, opts.mode);
    },
  };
}

/** Scores one reply against the prepared question. */
export function scoreReply(
  p: PreparedQuestion,
  r: AskResponse,
  mode: Mode,
): Scored {
  const q = p.question;
  const letters = p.request.letters;
  let letter: string | null = null;
  let method: string | null = null;
  let reason: string | null = null;
  let letterProbs: Record<string, number> | null = null;

  if (mode === "logprobs" && r.firstTokenTopLogprobs !== null) {
    const pick = letterFromLogprobs(r.firstTokenTopLogprobs, letters);
    letter = pick.letter;
    letterProbs = pick.probs;
    method = letter === null ? null : "logprobs";
    if (letter === null) {
      reason = "no allowed letter among the top log-probabilities";
    }
  } else {
    const ex = extractAnswer(
      { content: r.content, doneReason: r.doneReason },
      letters,
      { choices: q.choices },
    );
    letter = ex.letter;
    method = ex.method;
    reason = ex.reason;
    if (
      letter === null && r.content.trim() === "" && r.thinking !== null &&
      r.doneReason === "length"
    ) {
      reason = "truncated_in_thinking";
    }
  }
  const note = truncationNote(p, r);
  if (note !== null) reason = reason === null ? note : `${reason}; ${note}`;
  if (letter === null) {
    return {
      predicted: null,
      status: "unparsed",
      method: null,
      reason: reason ?? "no answer found",
      letterProbs,
    };
  }
  return {
    predicted: letter,
    status: letter === q.answer ? "correct" : "wrong",
    method,
    reason,
    letterProbs,
  };
}

/** A note when the server counted far fewer prompt tokens than were sent (it cut the prompt), else null. */
function truncationNote(p: PreparedQuestion, r: AskResponse): string | null {
  if (r.promptTokens === null || r.promptTokens <= 0) return null;
  const promptText = p.prompt ??
    (p.messages ?? []).map((m) => m.content).join("\n");
  const estimate = estimateTokens(promptText);
  // The estimate over-counts (bytes / 3); a real count far below it means
  // the server cut the prompt to fit its context.
  if (estimate > 512 && r.promptTokens < estimate * 0.4) {
    return `prompt_truncated (server counted ${r.promptTokens} tokens, about ${estimate} expected)`;
  }
  return null;
}
