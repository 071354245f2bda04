// The interface every model backend (ollama, openai, mock) implements. The
// runner, prompts and scoring never see a backend's wire format.

import type { BackendError } from "../errors.ts";
import type { ChatMessage } from "../schema.ts";

/** What the preflight learned about the server and model. */
export interface ModelInfo {
  /** Model name as the user gave it. */
  name: string;
  /** Server software version (e.g. Ollama's `/api/version`), if known. */
  serverVersion: string | null;
  digest: string | null;
  family: string | null;
  parameterSize: string | null;
  quantization: string | null;
  /** Model capabilities (`completion`, `thinking`, ...). */
  capabilities: string[];
  /** Trained context length, if reported. */
  contextLength: number | null;
}

/**
 * A model digest as messages show it: the first 12 hex digits, without the
 * `sha256:` prefix.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortDigest } from "./backend.ts";
 * assert.equal(shortDigest("sha256:" + "ab".repeat(32)), "abababababab");
 * ```
 */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
}

/** One request to the model: either chat messages or a raw prompt. */
export interface AskRequest {
  /** The question's id (`file:line`); never sent to a server. */
  questionId: string;
  /** Chat messages (answer and cot modes). */
  messages: ChatMessage[] | null;
  /** Raw prompt sent verbatim (logprobs mode), with `raw: true`. */
  rawPrompt: string | null;
  /** Letters the answer may take; used for the structured-output schema. */
  letters: string[];
  /** Constrain output to `{"answer": "<letter>"}` with a JSON schema. */
  structured: boolean;
  /** Maximum tokens to generate (thinking included). */
  maxTokens: number;
  /** `think` to send: true/false, or null to send nothing. */
  think: boolean | null;
  /** Ask for the top log-probabilities of each generated token. */
  topLogprobs: number;
  temperature: number;
  seed: number;
  topK: number;
  topP: number;
  /** Context window to request, or null for the server's default. */
  numCtx: number | null;
}

/** A log-probability entry for one candidate token. */
export interface TokenLogprob {
  token: string;
  logprob: number;
}

/** One successful reply. */
export interface AskResponse {
  /** Answer text, thinking excluded. */
  content: string;
  /** Thinking text returned separately, or null. */
  thinking: string | null;
  /** Why generation stopped (`stop`, `length`, ...), or null. */
  doneReason: string | null;
  promptTokens: number | null;
  evalTokens: number | null;
  /** Generation time reported by the server, ns. */
  evalDurationNs: number | null;
  /**
   * Time the model spent on the request (prompt evaluation + generation,
   * without queueing or model loading), ns; null when unknown.
   */
  serviceNs?: number | null;
  /** Top candidates for the first generated token, when asked for. */
  firstTokenTopLogprobs: TokenLogprob[] | null;
  /** True when the reply came from the response cache (src/backend/cached.ts). */
  cached?: boolean;
}

/** A model server. Methods throw BackendError on failure. */
export interface Backend {
  /** Base URL (credentials removed) used for logs and results. */
  readonly endpoint: string;
  /** Checks the server and the model; throws RunAbortedError when the run cannot start. */
  preflight(signal: AbortSignal): Promise<ModelInfo>;
  /**
   * Makes exactly one attempt; throws BackendError. `repeat` (0-based, with
   * `--repeats`) only matters to the response cache.
   */
  ask(
    request: AskRequest,
    signal: AbortSignal,
    repeat?: number,
  ): Promise<AskResponse>;
  /** Asks the server to free the model (best effort). */
  unload(signal: AbortSignal): Promise<void>;
  /**
   * The response cache's reply to this request (marked `cached`), without
   * contacting the server; null when it has none. Only the cache wrapper
   * has it: the runner answers from it without a request slot's rate limit.
   */
  cachedReply?(request: AskRequest, repeat: number): AskResponse | null;
  /**
   * What the user can do about a failure that stops the run (a model gone
   * from the server), in this backend's terms, e.g. "Run `ollama pull m`";
   * null (or no method) when there is nothing specific to say.
   */
  advice?(error: BackendError): string | null;
}

/**
 * The JSON schema that constrains a reply to `{"answer": "<letter>"}`: the
 * `format` of an Ollama request and the `response_format` schema of an
 * OpenAI one. `additionalProperties: false` is what OpenAI's strict mode
 * requires; for Ollama it keeps the grammar to exactly one key.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { answerSchema } from "./backend.ts";
 * assert.deepEqual(answerSchema(["A", "B"]), {
 *   type: "object",
 *   properties: { answer: { type: "string", enum: ["A", "B"] } },
 *   required: ["answer"],
 *   additionalProperties: false,
 * });
 * ```
 */
export function answerSchema(letters: readonly string[]): {
  type: "object";
  properties: { answer: { type: "string"; enum: string[] } };
  required: ["answer"];
  additionalProperties: false;
} {
  return {
    type: "object",
    properties: { answer: { type: "string", enum: [...letters] } },
    required: ["answer"],
    additionalProperties: false,
  };
}

/**
 * A conservative token count: UTF-8 bytes / 3, rounded up. English runs
 * about 4 bytes per token and CJK about 3, so this over-counts. The one
 * estimate of the project: sizing num_ctx must never under-count (a prompt
 * cut silently is a wrong score), and the mock reports the same figure a
 * reader can reproduce.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { estimateTokens } from "./backend.ts";
 * assert.equal(estimateTokens("abcdefg"), 3);
 * assert.equal(estimateTokens("日本"), 2);
 * ```
 */
export function estimateTokens(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return Math.ceil(bytes / 3);
}
