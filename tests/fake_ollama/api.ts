// The fake Ollama's public face: the models it serves, scripted replies and
// faults, its options and statistics, Ollama's exact error messages, and the
// token and model-name rules every part of the fake shares.

/** A model the fake serves. Only `name` is required. */
export interface FakeModel {
  /** Full name with tag, e.g. `"llama3.2:latest"`. A name without a tag gets `:latest`. */
  name: string;
  /**
   * Capabilities reported by `/api/show`; add `"thinking"` for a thinking model, `"tools"` to accept `tools`.
   * @default ["completion"]
   */
  capabilities?: string[];
  /** @default a sha256-like hex string derived from the name */
  digest?: string;
  /** @default "3.2B" */
  parameterSize?: string;
  /** @default "Q4_K_M" */
  quantization?: string;
  /** Also the architecture in `model_info`. @default "llama" */
  family?: string;
  /** Trained context length (`<arch>.context_length`); caps `num_ctx`. @default 131072 */
  contextLength?: number;
  /**
   * Modelfile `PARAMETER`s: shown by `/api/show` and applied under the request's `options`.
   * @default {}
   */
  parameters?: Record<string, number | string | boolean | string[]>;
}

/** One scripted log-probability entry for a content token. */
export interface FakeLogprob {
  token: string;
  /** ≤ 0. */
  logprob: number;
  /** Candidates; cut to the request's `top_logprobs`. Defaults to the token itself then other letters. */
  "top_logprobs"?: Array<{ token: string; logprob: number }>;
}

/** What the model "generates" for one request. */
export interface FakeReply {
  /** Answer text, streamed one fake token per chunk (see {@linkcode fakeTokens}). */
  content: string;
  /** Thinking text; sent only for a model with the `thinking` capability and `think` not false. Default for such models: a short sentence. */
  thinking?: string;
  /** Force a done_reason; otherwise `"length"` when `num_predict` cut the reply, else `"stop"`. */
  doneReason?: "stop" | "length";
  /** Reported `eval_count` (still capped by `num_predict`). @default the number of tokens sent */
  evalCount?: number;
  /** Reported `prompt_eval_count`. @default an estimate from the prompt (see {@linkcode fakeTokens}) */
  promptEvalCount?: number;
  /** Per content token logprobs; when given, these tokens are the content chunks and must spell `content`. */
  logprobs?: FakeLogprob[];
}

/**
 * A scripted failure for one attempt:
 * - `"500"`: 500 runner-crash error before the first byte;
 * - `"503"`: immediate 503 `server busy` (two spaces, no Retry-After);
 * - `"reset"`: the connection breaks before a valid status line (a few garbage bytes, then close), so
 *   fetch rejects with a TypeError; a bare close would be hidden by fetch's silent resend on reused connections;
 * - `"stall"`: no byte for `stallMs` (or until the client aborts), then a normal reply;
 * - `"midstream_error"`: 200, about half the chunks, then an `{"error":…}` line and no `done:true`
 *   (with `stream:false`: a 500 `{"error":…}`, as real Ollama does);
 * - `"no_done"`: the stream ends without the final object (`stream:false`: 200 with `done:false`, no metrics);
 * - `"malformed_json"`: 200 with a truncated JSON line (stream) or a truncated body (`stream:false`);
 * - `"404_model"`: 404 `model '<as sent>' not found`;
 * - an object: that exact status, body and headers.
 */
export type Fault =
  | "500"
  | "503"
  | "reset"
  | "stall"
  | "midstream_error"
  | "no_done"
  | "malformed_json"
  | "404_model"
  | { status: number; body: string; headers?: Record<string, string> };

/** A parsed chat or generate request, as the hooks and `requests` see it. */
export interface FakeRequest {
  path: "/api/chat" | "/api/generate";
  /** The parsed JSON body. */
  body: Record<string, unknown>;
  /** Last user message content (chat) or `prompt` (generate); `""` when absent. */
  text: string;
}

/** Options of {@linkcode startFakeOllama}. */
export interface FakeOllamaOptions {
  /** Models served. @default [{ name: "llama3.2:latest" }] */
  models?: FakeModel[];
  /** @default "0.33.0-rc2" */
  version?: string;
  /**
   * Decides the answer for a chat/generate request. A throw becomes a 500 naming the fake.
   * @default `{"answer":"A"}` when `format` is given, else `"A"`
   */
  reply?: (req: FakeRequest) => FakeReply | Promise<FakeReply>;
  /**
   * Called once per chat/generate request that passed validation (load requests included), before it
   * waits for a slot; a returned Fault makes this attempt fail that way.
   * `attempt` is the 1-based count of such calls with the same `text`.
   * @default () => null
   */
  fault?: (req: FakeRequest, attempt: number) => Fault | null;
  /** NUM_PARALLEL: requests generating at once; others wait with no bound and no timeout. @default 1 */
  parallel?: number;
  /** Slot time spent before the first chunk (prompt eval), per request. @default 0 */
  serviceMs?: number | ((req: FakeRequest) => number);
  /** Answer 503 busy when this many requests already wait for a slot. @default null (no bound) */
  queueLimit?: number | null;
  /** Delay between fake tokens (also spent with `stream:false`). @default 0 */
  chunkDelayMs?: number;
  /** How long a `"stall"` fault stays silent. @default 60000 */
  stallMs?: number;
  /** Real time a cold load takes (first request, after unload, or a `num_ctx` change). @default 0 */
  loadMs?: number;
  /** Keep every parsed body in `requests`; the CLI turns it off for long benchmark runs. @default true */
  recordRequests?: boolean;
}

/** Slot statistics; times from `performance.now()`. */
export interface FakeOllamaStats {
  /** Chat/generate requests (load requests included) that held a slot and released it, whatever the outcome. */
  served: number;
  /** Sum of slot-held times, ms. */
  busyMsTotal: number;
  /** Most slots held at once. */
  maxInFlight: number;
  /** Most requests waiting for a slot at once. */
  maxWaiting: number;
  /** From the first slot acquired to the last released, ms. */
  windowMs: number;
  /** busyMsTotal / (parallel × windowMs); 0 before anything finished. */
  utilisation: number;
}

/** A running fake; `await using` closes it. */
export interface FakeOllama extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every chat/generate body that parsed as a JSON object, in arrival order (unless `recordRequests: false`). */
  readonly requests: FakeRequest[];
  stats(): FakeOllamaStats;
  /** Simulates `ollama rm`: later requests get 404 and `/api/tags` no longer lists it. */
  removeModel(name: string): void;
  /** Simulates `ollama pull` of a new build: `/api/tags` reports `digest` from now on. */
  repull(name: string, digest: string): void;
  /** Stops listening, aborts stalled, waiting and generating requests, closes every connection. */
  close(): Promise<void>;
}

/** Ollama's exact queue-full message (two spaces after "again."). */
export const BUSY_MESSAGE =
  "server busy, please try again.  maximum pending requests exceeded";
/** Runner-crash message of the `"500"` fault. */
export const RUNNER_STOPPED_MESSAGE =
  "model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, check ollama server logs for details";
/** In-stream error of the `"midstream_error"` fault. */
export const MIDSTREAM_MESSAGE =
  "an error was encountered while running the model: unexpected EOF";

/**
 * Splits text into the fake's tokens: up to 4 non-space characters with the whitespace before them.
 * Joining the tokens gives the text back. Used for chunks, eval_count, num_predict and prompt counts.
 *
 * @example
 * ```ts
 * import { fakeTokens } from "./api.ts";
 * fakeTokens("The answer is B"); // ["The", " answ", "er", " is", " B"]
 * ```
 */
export function fakeTokens(text: string): string[] {
  return text.match(TOKEN_REGEXP) ?? [];
}
const TOKEN_REGEXP = /\s*\S{1,4}|\s+/gu;

/**
 * Normalises a model name the way Ollama matches it: lower case, `:latest` when no tag,
 * `registry.ollama.ai/library/` dropped.
 *
 * @example
 * ```ts
 * import { normaliseModelName } from "./api.ts";
 * normaliseModelName("Llama3.2"); // "llama3.2:latest"
 * ```
 */
export function normaliseModelName(name: string): string {
  let n = name.trim().toLowerCase().replace(
    /^registry\.ollama\.ai\/library\//,
    "",
  );
  const last = n.slice(n.lastIndexOf("/") + 1);
  if (!last.includes(":")) n += ":latest";
  return n;
}
