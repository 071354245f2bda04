// The interface every model backend (ollama, openai, mock) implements. The
// runner, prompts and scoring never see a backend's wire format.

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

/** One request to the model: either chat messages or a raw prompt. */
export interface AskRequest {
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
}
