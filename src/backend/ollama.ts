// The Ollama client: preflight (/api/version, /api/tags, /api/show) and one
// attempt of /api/chat or /api/generate with native fetch. Wire types keep
// Ollama's snake_case names; they are converted once, here.

import { BackendError, RunAbortedError } from "../errors.ts";
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

interface OllamaTag {
  name: string;
  model?: string;
  digest?: string;
  details?: {
    family?: string;
    "parameter_size"?: string;
    "quantization_level"?: string;
  };
}

interface OllamaShow {
  error?: string;
  capabilities?: string[];
  details?: {
    family?: string;
    "parameter_size"?: string;
    "quantization_level"?: string;
  };
  "model_info"?: Record<string, unknown>;
}

interface OllamaLogprob {
  token: string;
  logprob: number;
  "top_logprobs"?: TokenLogprob[];
}

interface OllamaReply {
  message?: { content?: string; thinking?: string };
  response?: string;
  thinking?: string;
  done?: boolean;
  "done_reason"?: string;
  "prompt_eval_count"?: number;
  "eval_count"?: number;
  "eval_duration"?: number;
  "prompt_eval_duration"?: number;
  logprobs?: OllamaLogprob[];
}

/** Options of the Ollama client. */
export interface OllamaOptions {
  /** Base URL, e.g. http://localhost:11434. */
  baseUrl: string;
  /** Model name as the user gave it. */
  model: string;
  /** keep_alive sent with every request. @default "10m" */
  keepAlive?: string;
}

/** Normalises a model name the way Ollama does for tags: a missing tag is `latest`. */
export function normaliseModelName(name: string): string {
  // Names are case-insensitive, and the default registry may be spelled out.
  const bare = name.trim().toLowerCase().replace(
    /^registry\.ollama\.ai\/library\//,
    "",
  );
  const slash = bare.lastIndexOf("/");
  const colon = bare.lastIndexOf(":");
  return colon > slash ? bare : `${bare}:latest`;
}

/** Talks to one Ollama server about one model. */
export class OllamaBackend implements Backend {
  readonly endpoint: string;
  readonly #base: string;
  readonly #model: string;
  readonly #keepAlive: string;
  readonly #fetch: typeof fetch;

  /** Creates a client; nothing is sent until preflight() or ask(). */
  constructor(opts: OllamaOptions, deps: { fetch?: typeof fetch } = {}) {
    this.#base = opts.baseUrl.replace(/\/+$/, "");
    this.endpoint = redactUrl(this.#base);
    this.#model = opts.model;
    this.#keepAlive = opts.keepAlive ?? "10m";
    this.#fetch = deps.fetch ?? fetch;
  }

  /** The base URL with `path` appended to its path (a query string stays a query string). */
  #url(path: string): string {
    const u = new URL(this.#base);
    u.pathname = u.pathname.replace(/\/+$/, "") + path;
    return u.href;
  }

  /**
   * GET (or POST `body` to) `path` and read the body. A failed fetch or body
   * read is a BackendError naming the URL; an abort of `signal` is rethrown.
   */
  async #getJson(
    path: string,
    signal: AbortSignal,
    body?: unknown,
  ): Promise<{ status: number; json: unknown; text: string }> {
    const url = this.#url(path);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, {
        method: body === undefined ? "GET" : "POST",
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: body === undefined
          ? undefined
          : { "content-type": "application/json" },
        signal,
      });
      text = await res.text();
    } catch (e) {
      if (signal.aborted) throw e;
      throw errorFromFetchFailure(e, { url });
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json, text };
  }

  /** Checks that the server answers and has the model; reads its details. */
  async preflight(signal: AbortSignal): Promise<ModelInfo> {
    const version = await this.#version(signal);
    const tags = await this.#getJson("/api/tags", signal);
    // The tag list names the installed models; a server without it (some
    // proxies) is asked about the model directly below.
    const installed = tags.status === 200 ? tagList(tags.json) : null;
    const wanted = normaliseModelName(this.#model);
    const tag = installed?.find((m) =>
      m.name === this.#model || normaliseModelName(m.name) === wanted
    );
    if (installed !== null && !tag) {
      const names = installed.map((m) => m.name);
      throw this.#missing(
        names.length
          ? wrapList("Installed: ", names.slice(0, 30))
          : "No models are installed.",
      );
    }
    const show = await this.#getJson("/api/show", signal, {
      model: this.#model,
    });
    // A 404 that names the model means it is gone; any other failure of
    // /api/show only costs the details (the tag list already has the model).
    if (show.status === 404 && /not found/i.test(errorField(show.json))) {
      throw this.#missing("The server does not know it.");
    }
    if (installed === null && show.status !== 200) {
      throw new RunAbortedError(
        `Cannot check model "${this.#model}" at ${this.endpoint}: /api/tags answered HTTP ${tags.status} and /api/show HTTP ${show.status}. Is this an Ollama server?`,
        { exitCode: 2 },
      );
    }
    const info = show.status === 200 ? showInfo(show.json) : {};
    return modelInfo(this.#model, version, tag ?? null, info);
  }

  /** The server's version; a server that cannot be reached stops the run before it starts. */
  async #version(signal: AbortSignal): Promise<string | null> {
    try {
      const v = await this.#getJson("/api/version", signal);
      return isRecord(v.json) && typeof v.json.version === "string"
        ? v.json.version
        : null;
    } catch (e) {
      if (signal.aborted) throw e;
      throw new RunAbortedError(
        `Cannot reach Ollama at ${this.endpoint}: ${
          redactText(describeConnectFailure(e))
        }. Is \`ollama serve\` running?`,
        // No cause: the runtime's message holds the full URL. A network
        // failure, not a usage error: exit 1.
        { exitCode: 1 },
      );
    }
  }

  #missing(detail: string): RunAbortedError {
    // Short lines: the installed list can be long and is read in a terminal.
    return new RunAbortedError(
      `Model "${this.#model}" is not available at ${this.endpoint}.\n${detail}\nRun \`ollama pull ${this.#model}\``,
      { exitCode: 2 },
    );
  }

  /** One attempt: POST /api/chat (or /api/generate for a raw prompt) with stream false. */
  async ask(req: AskRequest, signal: AbortSignal): Promise<AskResponse> {
    const options: Record<string, unknown> = {
      temperature: req.temperature,
      seed: req.seed,
      "top_k": req.topK,
      "top_p": req.topP,
      "num_predict": req.maxTokens,
    };
    if (req.numCtx !== null) options["num_ctx"] = req.numCtx;
    const body: Record<string, unknown> = {
      model: this.#model,
      stream: false,
      options,
      "keep_alive": this.#keepAlive,
    };
    let path: string;
    if (req.rawPrompt !== null) {
      path = "/api/generate";
      body.prompt = req.rawPrompt;
      body.raw = true;
    } else {
      path = "/api/chat";
      body.messages = req.messages ?? [];
    }
    if (req.think !== null) body.think = req.think;
    if (req.structured) {
      body.format = answerSchema(req.letters);
    }
    if (req.topLogprobs > 0) {
      body.logprobs = true;
      body["top_logprobs"] = Math.min(20, req.topLogprobs);
    }

    const url = this.#url(path);
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal,
      });
    } catch (e) {
      throw errorFromFetchFailure(e, { url });
    }
    if (res.status !== 200) throw await errorFromResponse(res);
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw errorFromFetchFailure(e, { url });
    }
    return parseReply(text);
  }

  /** `ollama pull` for a missing model. */
  advice(error: BackendError): string | null {
    return error.kind === "model_not_found"
      ? `Run \`ollama pull ${this.#model}\``
      : null;
  }

  /** Unloads the model (keep_alive 0) so the next model gets the memory. */
  async unload(signal: AbortSignal): Promise<void> {
    try {
      await this.#getJson("/api/chat", signal, {
        model: this.#model,
        messages: [],
        "keep_alive": 0,
      });
    } catch {
      // best effort: a failed unload only costs memory on the server
    }
  }
}

/**
 * Parses a non-streaming reply. A body that is not JSON, carries an
 * `error`, or lacks `done: true` is a retryable failure.
 */
export function parseReply(text: string): AskResponse {
  // A server that streamed anyway (or a proxy that re-chunked) sends NDJSON:
  // take it line by line and fold it the way Ollama's stream:false does.
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) {
    throw new BackendError("empty response body", {
      kind: "malformed",
      retryable: true,
    });
  }
  let content = "";
  let thinking = "";
  let last: OllamaReply | null = null;
  const logprobs: OllamaLogprob[] = [];
  for (const line of lines) {
    const obj = parseLine(line);
    content += obj.message?.content ?? obj.response ?? "";
    thinking += obj.message?.thinking ?? obj.thinking ?? "";
    if (Array.isArray(obj.logprobs)) logprobs.push(...obj.logprobs);
    last = obj;
  }
  if (!last || last.done !== true) {
    throw new BackendError(
      "response ended without done: true (incomplete generation)",
      {
        kind: "incomplete",
        retryable: true,
      },
    );
  }
  return {
    content,
    thinking: thinking === "" ? null : thinking,
    doneReason: last.done_reason ?? null,
    promptTokens: numOrNull(last.prompt_eval_count),
    evalTokens: numOrNull(last.eval_count),
    evalDurationNs: numOrNull(last.eval_duration),
    serviceNs: serviceTime(last),
    firstTokenTopLogprobs: firstTop(logprobs),
  };
}

/** One NDJSON line of a reply, validated; a line that is not an object, or carries `error`, is a retryable failure. */
function parseLine(line: string): OllamaReply {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new BackendError(
      `malformed JSON in response: ${truncate(line, 120)}`,
      {
        kind: "malformed",
        retryable: true,
      },
    );
  }
  if (!isRecord(parsed)) {
    throw new BackendError("response is not a JSON object", {
      kind: "malformed",
      retryable: true,
    });
  }
  if (typeof parsed.error === "string") {
    throw new BackendError(`server error: ${truncate(parsed.error, 300)}`, {
      kind: "stream_error",
      retryable: true,
    });
  }
  const message = isRecord(parsed.message) ? parsed.message : {};
  return {
    message: { content: str(message.content), thinking: str(message.thinking) },
    response: str(parsed.response),
    thinking: str(parsed.thinking),
    done: parsed.done === true,
    "done_reason": str(parsed["done_reason"]),
    "prompt_eval_count": num(parsed["prompt_eval_count"]),
    "eval_count": num(parsed["eval_count"]),
    "eval_duration": num(parsed["eval_duration"]),
    "prompt_eval_duration": num(parsed["prompt_eval_duration"]),
    logprobs: Array.isArray(parsed.logprobs)
      ? parsed.logprobs.flatMap(logprobOf)
      : undefined,
  };
}

/** A `logprobs` entry with its top candidates; nothing for a malformed one. */
function logprobOf(value: unknown): OllamaLogprob[] {
  const entry = tokenLogprob(value);
  if (entry === null || !isRecord(value)) return [];
  const top = value["top_logprobs"];
  return [{
    ...entry,
    "top_logprobs": Array.isArray(top)
      ? top.map(tokenLogprob).filter((t) => t !== null)
      : undefined,
  }];
}

function tokenLogprob(value: unknown): TokenLogprob | null {
  return isRecord(value) && typeof value.token === "string" &&
      typeof value.logprob === "number"
    ? { token: value.token, logprob: value.logprob }
    : null;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

/** The top candidates of the first generated token, or null without logprobs. */
function firstTop(logprobs: OllamaLogprob[]): TokenLogprob[] | null {
  const first = logprobs[0];
  if (!first) return null;
  return (first.top_logprobs && first.top_logprobs.length > 0)
    ? first.top_logprobs.map((t) => ({ token: t.token, logprob: t.logprob }))
    : [{ token: first.token, logprob: first.logprob }];
}

/**
 * prompt_eval_duration + eval_duration: the time the model spent on the
 * request. Queueing for a slot and loading count in total_duration only.
 */
function serviceTime(r: OllamaReply): number | null {
  const prompt = numOrNull(r.prompt_eval_duration) ?? 0;
  const evalNs = numOrNull(r.eval_duration);
  return evalNs === null ? null : prompt + evalNs;
}

function numOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

type OllamaDetails = NonNullable<OllamaTag["details"]>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function errorField(json: unknown): string {
  return isRecord(json) ? str(json.error) ?? "" : "";
}

function detailsOf(value: unknown): OllamaDetails | undefined {
  if (!isRecord(value)) return undefined;
  return {
    family: str(value.family),
    "parameter_size": str(value["parameter_size"]),
    "quantization_level": str(value["quantization_level"]),
  };
}

/** The installed models of an `/api/tags` reply; null when it is not a tag list. */
function tagList(json: unknown): OllamaTag[] | null {
  if (!isRecord(json) || !Array.isArray(json.models)) return null;
  const tags: OllamaTag[] = [];
  for (const m of json.models) {
    if (!isRecord(m) || typeof m.name !== "string") continue;
    tags.push({
      name: m.name,
      digest: str(m.digest),
      details: detailsOf(m.details),
    });
  }
  return tags;
}

/** The fields of an `/api/show` reply the run uses; unknown shapes read as absent. */
function showInfo(json: unknown): OllamaShow {
  if (!isRecord(json)) return {};
  const caps = json.capabilities;
  return {
    capabilities: Array.isArray(caps)
      ? caps.filter((c): c is string => typeof c === "string")
      : undefined,
    details: detailsOf(json.details),
    "model_info": isRecord(json["model_info"]) ? json["model_info"] : undefined,
  };
}

function modelInfo(
  model: string,
  version: string | null,
  tag: OllamaTag | null,
  info: OllamaShow,
): ModelInfo {
  let contextLength: number | null = null;
  for (const [k, v] of Object.entries(info.model_info ?? {})) {
    if (k.endsWith(".context_length") && typeof v === "number") {
      contextLength = v;
    }
  }
  const details = info.details ?? tag?.details ?? {};
  return {
    name: model,
    serverVersion: version,
    digest: tag?.digest ?? null,
    family: details.family ?? null,
    parameterSize: details.parameter_size ?? null,
    quantization: details.quantization_level ?? null,
    capabilities: info.capabilities ?? ["completion"],
    contextLength,
  };
}

/** `prefix` and the comma-separated `items`, wrapped to lines of ≤ 78 characters; ends with ".". */
function wrapList(prefix: string, items: string[]): string {
  const lines: string[] = [];
  let line = prefix.trimEnd();
  items.forEach((item, i) => {
    const word = item + (i === items.length - 1 ? "." : ",");
    if (line.length + 1 + word.length > 78 && line.length > 0) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  });
  lines.push(line);
  return lines.join("\n");
}
