// The OpenAI-compatible backend: `/v1/models` preflight and non-streaming
// `/v1/chat/completions` (Ollama's /v1, vLLM, llama.cpp server, OpenAI). The
// wire format stays in this file; the API key never leaves the auth header.

import { BackendError, RunAbortedError } from "../errors.ts";
import type { ChatMessage } from "../schema.ts";
import {
  answerSchema,
  type AskRequest,
  type AskResponse,
  type Backend,
  type ModelInfo,
  type TokenLogprob,
} from "./backend.ts";
import {
  describeConnectFailure,
  errorFromFetchFailure,
  errorFromResponse,
  redactText,
  redactUrl,
} from "./http_errors.ts";

/** Where and what to ask. */
export interface OpenAIBackendOptions {
  /** Base URL including the version prefix, e.g. `http://host:8000/v1`. */
  baseUrl: string;
  /** Model id as the server lists it (`llama3.2` also matches `llama3.2:latest`). */
  model: string;
  /** Sent as `Authorization: Bearer <key>` when set. */
  apiKey: string | null;
}

/** Collaborators, swappable in tests. */
export interface OpenAIBackendDeps {
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** Models listed in a preflight error before "and N more". */
const LISTED_MODELS = 20;
const THINK_BLOCK_REGEXP = /^\s*<think>([\s\S]*?)<\/think>\s*/;

/**
 * A model behind an OpenAI-compatible server. `ask` makes one
 * non-streaming chat completion; logprobs mode (a raw prompt) is sent as a
 * single user message, because `/v1/completions` never returns logprobs on
 * Ollama (ollama-api.md §8, §11). `top_k` and `num_ctx` have no OpenAI field
 * and are not sent; `think: false` becomes `reasoning_effort: "none"`.
 */
export class OpenAIBackend implements Backend {
  /** Base URL with credentials removed. */
  readonly endpoint: string;
  readonly #base: URL;
  readonly #model: string;
  readonly #apiKey: string | null;
  readonly #authorization: string | null;
  readonly #secrets: string[];
  readonly #fetch: typeof fetch;

  /** Throws TypeError when `baseUrl` is not an http(s) URL. */
  constructor(options: OpenAIBackendOptions, deps: OpenAIBackendDeps = {}) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new TypeError(
        `Cannot use base URL "${redactUrl(options.baseUrl)}": not a URL`,
      );
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") {
      throw new TypeError(
        `Cannot use base URL "${
          redactUrl(options.baseUrl)
        }": expected http:// or https://`,
      );
    }
    const user = decodeURIComponent(base.username);
    const password = decodeURIComponent(base.password);
    base.username = "";
    base.password = "";
    base.pathname = base.pathname.replace(/\/+$/, "");
    this.#base = base;
    this.#model = options.model;
    this.#apiKey = options.apiKey === "" ? null : options.apiKey;
    this.#secrets = [this.#apiKey, password || null].filter(
      (s): s is string => s !== null,
    );
    if (this.#apiKey !== null) {
      this.#authorization = `Bearer ${this.#apiKey}`;
    } else if (user !== "" || password !== "") {
      // userinfo in a URL is not sent by fetch reliably; use Basic instead.
      this.#authorization = `Basic ${btoa(`${user}:${password}`)}`;
    } else {
      this.#authorization = null;
    }
    this.endpoint = redactUrl(base.toString().replace(/\/$/, ""));
    this.#fetch = deps.fetch ?? globalThis.fetch;
  }

  /** Lists `/models` and checks the model is there; RunAbortedError when the run cannot start. */
  async preflight(signal: AbortSignal): Promise<ModelInfo> {
    const text = await this.#modelListText(signal);
    const models = parseModelList(text);
    if (models === null) {
      throw new RunAbortedError(
        `Cannot list models at ${this.endpoint}/models: the reply is not an OpenAI model list; check the base URL (it usually ends in /v1)`,
        { exitCode: 2 },
      );
    }
    const found = models.find((m) =>
      m.id === this.#model || m.id === `${this.#model}:latest`
    );
    if (found === undefined) {
      throw new RunAbortedError(
        `Cannot use model "${this.#model}": the server at ${this.endpoint} does not list it. ${
          describeModels(models.map((m) => m.id))
        }`,
        { exitCode: 2 },
      );
    }
    return {
      name: this.#model,
      serverVersion: null,
      digest: null,
      family: null,
      parameterSize: null,
      quantization: null,
      capabilities: [],
      contextLength: found.contextLength,
    };
  }

  /** One non-streaming chat completion; throws BackendError. */
  async ask(request: AskRequest, signal: AbortSignal): Promise<AskResponse> {
    const body = this.#chatBody(request);
    const url = this.#url("chat/completions");
    let text: string;
    try {
      const response = await this.#fetch(url, {
        method: "POST",
        headers: this.#headers(true),
        body: JSON.stringify(body),
        signal,
      });
      if (!response.ok) {
        throw await errorFromResponse(response, { secrets: this.#secrets });
      }
      text = await response.text();
    } catch (error) {
      throw errorFromFetchFailure(error, { secrets: this.#secrets, url });
    }
    return parseChatCompletion(text, request.topLogprobs > 0, this.#secrets);
  }

  /** For a missing model: have the server list it again (OpenAI has no pull). */
  advice(error: BackendError): string | null {
    return error.kind === "model_not_found"
      ? `Check that the server at ${this.endpoint} serves "${this.#model}" again (it must be listed by GET ${this.endpoint}/models)`
      : null;
  }

  /** Nothing to do: the OpenAI API has no unload. */
  unload(_signal: AbortSignal): Promise<void> {
    return Promise.resolve();
  }

  /** The body of GET /models; RunAbortedError for an unreachable server or a refusal. */
  async #modelListText(signal: AbortSignal): Promise<string> {
    const url = this.#url("models");
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: "GET",
        headers: this.#headers(false),
        signal,
      });
    } catch (error) {
      throw this.#unreachable(error);
    }
    if (!response.ok) throw await this.#refused(response);
    try {
      return await response.text();
    } catch (error) {
      // The server answered, then dropped: a network failure, not a usage error.
      if (signal.aborted) throw this.#unreachable(error);
      throw errorFromFetchFailure(error, { secrets: this.#secrets, url });
    }
  }

  async #refused(response: Response): Promise<RunAbortedError> {
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      const what = this.#apiKey === null
        ? "requires an API key"
        : "rejected the API key";
      return new RunAbortedError(
        `The OpenAI-compatible server at ${this.endpoint} ${what} (${response.status}): set LLM_BENCH_API_KEY`,
        { exitCode: 2 },
      );
    }
    const cause = await errorFromResponse(response, {
      secrets: this.#secrets,
    });
    const hint = response.status === 404
      ? ": check the base URL (it usually ends in /v1)"
      : "";
    return new RunAbortedError(
      `Cannot list models at ${this.endpoint}/models (HTTP ${response.status}): ${cause.message}${hint}`,
      { exitCode: response.status >= 500 ? 1 : 2, cause },
    );
  }

  #url(path: string): string {
    const url = new URL(this.#base);
    url.pathname = `${url.pathname}/${path}`;
    return url.toString();
  }

  #headers(json: boolean): Headers {
    const headers = new Headers({ accept: "application/json" });
    if (json) headers.set("content-type", "application/json");
    if (this.#authorization !== null) {
      headers.set("authorization", this.#authorization);
    }
    return headers;
  }

  #chatBody(request: AskRequest): Record<string, unknown> {
    const messages: ChatMessage[] = request.messages ??
      [{ role: "user", content: request.rawPrompt ?? "" }];
    const body: Record<string, unknown> = {
      model: this.#model,
      messages,
      stream: false,
      "max_tokens": request.maxTokens,
      temperature: request.temperature,
      seed: request.seed,
      "top_p": request.topP,
    };
    if (request.think === false) body["reasoning_effort"] = "none";
    if (request.structured) {
      body["response_format"] = {
        type: "json_schema",
        "json_schema": {
          name: "answer",
          schema: answerSchema(request.letters),
          strict: true,
        },
      };
    }
    if (request.topLogprobs > 0) {
      body.logprobs = true;
      body["top_logprobs"] = request.topLogprobs;
    }
    return body;
  }

  #unreachable(error: unknown): Error {
    if (
      (error instanceof Error || error instanceof DOMException) &&
      error.name === "AbortError"
    ) {
      return errorFromFetchFailure(error, { secrets: this.#secrets });
    }
    const cause = errorFromFetchFailure(error, { secrets: this.#secrets });
    const reason = redactText(describeConnectFailure(error), this.#secrets);
    return new RunAbortedError(
      `Cannot reach the OpenAI-compatible server at ${this.endpoint}: ${reason}. Is it running?`,
      // A network failure, not a usage error: exit 1.
      { exitCode: 1, cause },
    );
  }
}

interface ListedModel {
  id: string;
  contextLength: number | null;
}

/** `{"data":[…]}`, with `data: null` (Ollama, no models) read as empty. */
function parseModelList(text: string): ListedModel[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !("data" in parsed)) return null;
  if (parsed.data === null) return [];
  if (!Array.isArray(parsed.data)) return null;
  const models: ListedModel[] = [];
  for (const entry of parsed.data) {
    if (!isRecord(entry) || typeof entry.id !== "string") continue;
    // vLLM reports max_model_len; others report nothing.
    const max = entry["max_model_len"];
    models.push({
      id: entry.id,
      contextLength: typeof max === "number" ? max : null,
    });
  }
  return models;
}

function describeModels(ids: string[]): string {
  if (ids.length === 0) return "The server lists no models.";
  const shown = ids.slice(0, LISTED_MODELS).map((id) => `"${id}"`).join(", ");
  const more = ids.length > LISTED_MODELS
    ? ` (and ${ids.length - LISTED_MODELS} more)`
    : "";
  return `Available models: ${shown}${more}`;
}

function malformed(message: string): BackendError {
  return new BackendError(`Malformed reply: ${message}`, {
    kind: "malformed",
    status: 200,
    retryable: true,
  });
}

/** Reads a `chat.completion` object into an AskResponse. */
function parseChatCompletion(
  text: string,
  wantLogprobs: boolean,
  secrets: readonly string[],
): AskResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed("the body is not JSON");
  }
  if (!isRecord(parsed)) throw malformed("the body is not a JSON object");
  const choices = parsed.choices;
  if (!Array.isArray(choices) || choices.length === 0) {
    const error = parsed.error;
    const detail = isRecord(error) && typeof error.message === "string"
      ? `: ${redactText(error.message, secrets)}`
      : "";
    throw malformed(`no choices${detail}`);
  }
  const choice: unknown = choices[0];
  if (!isRecord(choice) || !isRecord(choice.message)) {
    throw malformed("choices[0].message is missing");
  }
  const message = choice.message;
  if (
    message.content !== null && message.content !== undefined &&
    typeof message.content !== "string"
  ) {
    throw malformed("choices[0].message.content is not a string");
  }
  let content = typeof message.content === "string" ? message.content : "";
  let thinking = nonEmptyString(message.reasoning) ??
    nonEmptyString(message["reasoning_content"]);
  // Servers without a reasoning parser leave the trace inline.
  const inline = THINK_BLOCK_REGEXP.exec(content);
  if (inline !== null) {
    content = content.slice(inline[0].length);
    thinking ??= inline[1]?.trim() || null;
  }
  const usage = isRecord(parsed.usage) ? parsed.usage : {};
  return {
    content,
    thinking,
    doneReason: typeof choice["finish_reason"] === "string"
      ? choice["finish_reason"]
      : null,
    promptTokens: count(usage["prompt_tokens"]),
    evalTokens: count(usage["completion_tokens"]),
    evalDurationNs: null,
    firstTokenTopLogprobs: wantLogprobs ? firstTopLogprobs(choice) : null,
  };
}

function firstTopLogprobs(
  choice: Record<string, unknown>,
): TokenLogprob[] | null {
  const logprobs = choice.logprobs;
  if (!isRecord(logprobs) || !Array.isArray(logprobs.content)) return null;
  const first: unknown = logprobs.content[0];
  if (!isRecord(first) || !Array.isArray(first["top_logprobs"])) return null;
  const out: TokenLogprob[] = [];
  for (const entry of first["top_logprobs"]) {
    if (
      isRecord(entry) && typeof entry.token === "string" &&
      typeof entry.logprob === "number"
    ) {
      out.push({ token: entry.token, logprob: entry.logprob });
    }
  }
  return out;
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function nonEmptyString(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
