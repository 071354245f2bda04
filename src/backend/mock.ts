// A built-in simulated model (no network) for demos and tests: seeded,
// order-independent answers at a configured accuracy, in the answer styles
// real models use, with synthetic latency, token counts and logprobs.

import { BackendError } from "../errors.ts";
import {
  type AskRequest,
  type AskResponse,
  type Backend,
  estimateTokens,
  type ModelInfo,
  type TokenLogprob,
} from "./backend.ts";
import { errorFromFetchFailure } from "./http_errors.ts";
import { mulberry32 } from "../stats.ts";

/** Ways the mock phrases an unconstrained answer. */
export type MockStyle = "json" | "answer_is" | "bold" | "lone_letter" | "cot";

/** All styles, in the order the mock cycles over them. */
export const MOCK_STYLES: readonly MockStyle[] = [
  "json",
  "answer_is",
  "bold",
  "lone_letter",
  "cot",
];

/** The correct letter of a question by its id, or null when unknown. */
export type AnswerKey = (questionId: string) => string | null;

/** How the simulated model behaves. */
export interface MockBackendOptions {
  /** Model name reported back. */
  model: string;
  /** Seed of every random choice. */
  seed: number;
  /** Probability of answering the answer key's letter, 0..1. */
  accuracy: number;
  /** Mean simulated latency (±20% seeded jitter), ms. 0 means no wait. */
  latencyMs: number;
  /** Answer styles to cycle over. @default MOCK_STYLES */
  styles?: MockStyle[];
}

/** Collaborators, swappable in tests. */
export interface MockBackendDeps {
  /**
   * The answer key: the correct letter of a question as shown in its request
   * (after any option shuffling), by question id; null when unknown. Without
   * it the mock answers at random.
   */
  answerKey?: AnswerKey;
  /** Waits `ms`, rejecting with `signal.reason` on abort. @default abortableSleep */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Simulated decode speed, tokens per second. */
const TOKENS_PER_SECOND = 50;

/**
 * A simulated model. Each answer depends only on the seed and the request
 * (prompt text, letters, request seed), never on call order or concurrency.
 * With probability `accuracy` it picks the answer key's letter, else another.
 */
export class MockBackend implements Backend {
  /** Always `mock://<model>`. */
  readonly endpoint: string;
  readonly #options: MockBackendOptions;
  readonly #styles: readonly MockStyle[];
  readonly #answerKey: AnswerKey | null;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  /** Throws RangeError for an accuracy outside 0..1, a negative latency or no styles. */
  constructor(options: MockBackendOptions, deps: MockBackendDeps = {}) {
    if (!(options.accuracy >= 0 && options.accuracy <= 1)) {
      throw new RangeError(
        `Cannot use mock accuracy ${options.accuracy}: expected 0 to 1`,
      );
    }
    if (!(options.latencyMs >= 0)) {
      throw new RangeError(
        `Cannot use mock latency ${options.latencyMs}: expected ≥ 0 ms`,
      );
    }
    const styles = options.styles ?? MOCK_STYLES;
    if (styles.length === 0) {
      throw new RangeError("Cannot use the mock with no answer styles");
    }
    this.#options = options;
    this.#styles = styles;
    this.#answerKey = deps.answerKey ?? null;
    this.#sleep = deps.sleep ?? abortableSleep;
    this.endpoint = `mock://${options.model}`;
  }

  /** Always succeeds. */
  preflight(_signal: AbortSignal): Promise<ModelInfo> {
    return Promise.resolve({
      name: this.#options.model,
      serverVersion: "mock",
      digest: null,
      family: "mock",
      parameterSize: null,
      quantization: null,
      capabilities: ["completion"],
      contextLength: null,
    });
  }

  /** Answers after the simulated latency; BackendError (timeout/interrupted) on abort. */
  async ask(request: AskRequest, signal: AbortSignal): Promise<AskResponse> {
    try {
      signal.throwIfAborted();
      const { reply, delayMs } = this.#compose(request);
      if (delayMs > 0) await this.#sleep(delayMs, signal);
      signal.throwIfAborted();
      return reply;
    } catch (error) {
      if (!signal.aborted) throw error;
      throw abortError(signal);
    }
  }

  /** The reply and its simulated latency: a pure function of the seed and the request. */
  #compose(request: AskRequest): { reply: AskResponse; delayMs: number } {
    if (request.letters.length === 0) {
      throw new BackendError("Cannot answer: the request has no letters", {
        kind: "malformed",
        retryable: false,
      });
    }
    const promptText = request.messages !== null
      ? request.messages.map((m) => `${m.role}\n${m.content}`).join("\n")
      : request.rawPrompt ?? "";
    const random = mulberry32(
      hashString(
        JSON.stringify([
          this.#options.seed,
          request.seed,
          request.letters,
          promptText,
        ]),
      ),
    );
    // The order of the random draws is part of the mock's answers: keep it.
    const letter = this.#choose(request, random);
    const decoy = pickOther(request.letters, letter, random) ?? letter;
    const styleIndex = Math.floor(random() * this.#styles.length);
    const style: MockStyle = request.structured
      ? "json"
      : request.rawPrompt !== null
      ? "lone_letter"
      : this.#styles[styleIndex] ?? "lone_letter";
    const thinking = request.think === true
      ? `Option ${decoy} looks plausible, but checking each option again, ${letter} fits best.`
      : null;
    const out = withinBudget(
      renderAnswer(style, letter, decoy),
      thinking,
      request.maxTokens,
    );
    const firstTokenTopLogprobs = request.topLogprobs > 0
      ? topLogprobs(request.letters, letter, request.topLogprobs, random)
      : null;
    const jitter = 1 + (random() * 2 - 1) * 0.2;
    const reply: AskResponse = {
      content: out.content,
      thinking,
      doneReason: out.doneReason,
      promptTokens: estimateTokens(promptText),
      evalTokens: out.evalTokens,
      evalDurationNs: Math.round(out.evalTokens / TOKENS_PER_SECOND * 1e9),
      firstTokenTopLogprobs,
    };
    return { reply, delayMs: this.#options.latencyMs * jitter };
  }

  /** Nothing to free. */
  unload(_signal: AbortSignal): Promise<void> {
    return Promise.resolve();
  }

  #choose(request: AskRequest, random: () => number): string {
    const letters = request.letters;
    const correct = this.#answerKey?.(request.questionId) ?? null;
    if (correct === null || !letters.includes(correct)) {
      return letters[Math.floor(random() * letters.length)] ?? letters[0]!;
    }
    if (random() < this.#options.accuracy) return correct;
    return pickOther(letters, correct, random) ?? correct;
  }
}

/**
 * Waits `ms` milliseconds; rejects with `signal.reason` when aborted.
 *
 * @example
 * ```ts
 * import { abortableSleep } from "./mock.ts";
 * await abortableSleep(1, new AbortController().signal);
 * ```
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The reply text for one style. The `cot` style names the decoy letter first,
 * a trap for extractors that take the first letter they see.
 *
 * @example
 * ```ts
 * import { renderAnswer } from "./mock.ts";
 * renderAnswer("answer_is", "B", "C"); // "The answer is (B)."
 * ```
 */
export function renderAnswer(
  style: MockStyle,
  letter: string,
  decoy: string,
): string {
  switch (style) {
    case "json":
      return JSON.stringify({ answer: letter });
    case "answer_is":
      return `The answer is (${letter}).`;
    case "bold":
      return `**${letter}**`;
    case "lone_letter":
      return letter;
    case "cot":
      return `Let's think step by step. Option ${decoy} looks tempting at first, ` +
        `but it does not match what the question asks. Checking the remaining ` +
        `options, only one is consistent with every fact given.\nAnswer: ${letter}`;
  }
}

/** Cuts the answer at `maxTokens` (thinking counts) the way a server reports it: done_reason "length". */
function withinBudget(
  content: string,
  thinking: string | null,
  maxTokens: number,
): { content: string; evalTokens: number; doneReason: string } {
  const evalTokens = estimateTokens(content) +
    (thinking === null ? 0 : estimateTokens(thinking));
  if (evalTokens <= maxTokens) {
    return { content, evalTokens, doneReason: "stop" };
  }
  const budget = Math.max(0, maxTokens);
  // Three bytes per token (estimateTokens); the mock's text is ASCII.
  return {
    content: content.slice(0, budget * 3),
    evalTokens: budget,
    doneReason: "length",
  };
}

/** The BackendError for an aborted ask, as the HTTP backends give it. */
function abortError(signal: AbortSignal): BackendError {
  // The timeout signal gives kind "timeout", any other abort (Ctrl-C)
  // gives "interrupted".
  const reason: unknown = signal.reason;
  const named = reason instanceof Error || reason instanceof DOMException
    ? reason
    : new DOMException(String(reason), "AbortError");
  return errorFromFetchFailure(
    named.name === "TimeoutError"
      ? named
      : new DOMException(named.message, "AbortError"),
  );
}

function pickOther(
  letters: readonly string[],
  letter: string,
  random: () => number,
): string | null {
  const others = letters.filter((l) => l !== letter);
  if (others.length === 0) return null;
  return others[Math.floor(random() * others.length)] ?? null;
}

/** The chosen letter most likely (p 0.5–0.95), the rest split the remainder. */
function topLogprobs(
  letters: readonly string[],
  letter: string,
  n: number,
  random: () => number,
): TokenLogprob[] {
  const top = 0.5 + random() * 0.45;
  const others = letters.filter((l) => l !== letter);
  const weights = others.map(() => 0.1 + random());
  const total = weights.reduce((a, b) => a + b, 0);
  // 2% of the mass goes to non-letter tokens, as with real models.
  const rest = (1 - top) * 0.98;
  const entries: TokenLogprob[] = [
    { token: letter, logprob: Math.log(top) },
    ...others.map((token, i) => ({
      token,
      logprob: Math.log(rest * (weights[i] ?? 0) / total),
    })),
    { token: " The", logprob: Math.log((1 - top) * 0.015) },
    { token: "\n", logprob: Math.log((1 - top) * 0.005) },
  ];
  entries.sort((a, b) => b.logprob - a.logprob);
  return entries.slice(0, n);
}

/** cyrb53-style 32-bit string hash. */
function hashString(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^
    Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^
    Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}
