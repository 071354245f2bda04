// deno-lint-ignore-file no-console -- the `import.meta.main` CLI at the bottom owns a terminal
// A fake Ollama server for tests and the performance benchmark, faithful to
// Ollama's HTTP API as of v0.33.0-rc2 (ollama/ollama api/types.go,
// server/routes.go): native /api endpoints, scripted replies and faults,
// NUM_PARALLEL slots. It speaks HTTP/1.1 over a raw TCP listener so that it can
// break a connection before any status line, which Deno.serve cannot do.

import { parseArgs } from "node:util";

// ---------------------------------------------------------------------------
// Public API

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
 * import { fakeTokens } from "./fake_ollama.ts";
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
 * import { normaliseModelName } from "./fake_ollama.ts";
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

/** Starts a fake Ollama on 127.0.0.1 (port 0 unless `port` is given). */
export async function startFakeOllama(
  opts: FakeOllamaOptions = {},
  port = 0,
): Promise<FakeOllama> {
  const server = new FakeServer(opts, port);
  await Promise.resolve();
  return server;
}

// ---------------------------------------------------------------------------
// Small helpers

const enc = new TextEncoder();
const dec = new TextDecoder();
const MS = 1_000_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(id);
      reject(signal.reason);
    };
    const id = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Go's json.Marshal escapes <, > and & (and U+2028/9). */
function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

function hash32(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  }
  return h >>> 0;
}

function fakeDigest(name: string): string {
  let out = "";
  for (let i = 0; out.length < 64; i++) {
    out += hash32(`${i}:${name}`).toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}

/** RFC3339Nano UTC from the monotonic clock (ordered within a stream), Go-trimmed zeros. */
function createdAt(): string {
  const t = performance.timeOrigin + performance.now();
  const ms = Math.floor(t);
  const iso = new Date(ms).toISOString(); // 2026-08-21T10:00:00.123Z
  const sub = Math.floor((t - ms) * 1e6).toString().padStart(6, "0");
  const frac = (iso.slice(20, 23) + sub).replace(/0+$/, "");
  return iso.slice(0, 19) + (frac ? "." + frac : "") + "Z";
}

function jsonType(v: unknown): string {
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v; // string, number, object
}

/** Parses a Go duration ("5m", "1h30m", "-1m", "0"); null when invalid. */
function parseGoDuration(s: string): number | null {
  if (s === "0") return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m) return null;
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60000,
    h: 3600000,
  };
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (unitMs[part[2] ?? "s"] ?? 0);
  }
  return m[1] === "-" ? -total : total;
}

/** Go's decoder message (approximately) for input JSON.parse rejected. */
function goJsonSyntaxError(text: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/end of JSON input|Unterminated/i.test(msg)) return "unexpected EOF";
  const pos = /position (\d+)/.exec(msg)?.[1];
  const at = pos === undefined ? null : text[Number(pos)] ?? null;
  if (/after JSON/i.test(msg) && at) {
    return `invalid character '${at}' after top-level value`;
  }
  const c = /Unexpected token '(.)'/.exec(msg)?.[1] ?? at ?? text.trim()[0];
  return `invalid character '${c ?? "?"}' looking for beginning of value`;
}

// ---------------------------------------------------------------------------
// Minimal HTTP/1.1 over Deno.listen

interface HttpRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array;
  keepAlive: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  413: "Payload Too Large",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

function indexOfCrlf(buf: Uint8Array): number {
  for (let i = 0; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

function indexOfCrlfCrlf(buf: Uint8Array): number {
  for (let i = 0; i + 3 < buf.length; i++) {
    if (
      buf[i] === 13 && buf[i + 1] === 10 && buf[i + 2] === 13 &&
      buf[i + 3] === 10
    ) return i;
  }
  return -1;
}

/** One TCP connection: a read pump (so a client hang-up is seen at once) and writes. */
class HttpConnection {
  readonly gone = new AbortController();
  readonly pumped: Promise<void>;
  #conn: Deno.Conn;
  #buf: Uint8Array = new Uint8Array(0);
  #eof = false;
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.pumped = this.#pump();
  }

  async #pump(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    while (true) {
      let n: number | null;
      try {
        n = await this.#conn.read(chunk);
      } catch {
        n = null;
      }
      if (n === null) break;
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
      this.#notify();
    }
    this.#eof = true;
    this.gone.abort(new Error("client closed the connection"));
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  async #more(): Promise<boolean> {
    if (this.#eof) return false;
    await new Promise<void>((r) => (this.#wake = r));
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** Reads the next request, or null at end of connection or on garbage. */
  async readRequest(): Promise<HttpRequest | null> {
    let end: number;
    while ((end = indexOfCrlfCrlf(this.#buf)) < 0) {
      if (this.#buf.length > 64 * 1024 || !(await this.#more())) return null;
    }
    const head = dec.decode(this.#take(end + 4)).split("\r\n");
    const [method, target, version] = (head[0] ?? "").split(" ");
    if (!method || !target || !version?.startsWith("HTTP/1.")) return null;
    const headers = new Headers();
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      if (i > 0) {
        try {
          headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
        } catch {
          return null;
        }
      }
    }
    if (/100-continue/i.test(headers.get("expect") ?? "")) {
      await this.write(enc.encode("HTTP/1.1 100 Continue\r\n\r\n")); // curl waits for it
    }
    let body: Uint8Array;
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) {
      const b = await this.#readChunked();
      if (!b) return null;
      body = b;
    } else {
      const len = Number(headers.get("content-length") ?? "0");
      if (!Number.isSafeInteger(len) || len < 0) return null;
      while (this.#buf.length < len) if (!(await this.#more())) return null;
      body = this.#take(len);
    }
    const conn = (headers.get("connection") ?? "").toLowerCase();
    const keepAlive = version === "HTTP/1.1"
      ? !conn.includes("close")
      : conn.includes("keep-alive");
    const path = target.split("?")[0] ?? target;
    return { method, path, headers, body, keepAlive };
  }

  async #readLine(): Promise<string | null> {
    let i: number;
    while ((i = indexOfCrlf(this.#buf)) < 0) {
      if (this.#buf.length > 64 * 1024 || !(await this.#more())) return null;
    }
    const line = dec.decode(this.#take(i));
    this.#take(2);
    return line;
  }

  async #readChunked(): Promise<Uint8Array | null> {
    const parts: Uint8Array[] = [];
    while (true) {
      const sizeLine = await this.#readLine();
      if (sizeLine === null) return null;
      const size = parseInt(sizeLine, 16);
      if (Number.isNaN(size) || size < 0) return null;
      if (size === 0) {
        let trailer: string | null;
        do trailer = await this.#readLine(); while (trailer);
        if (trailer === null) return null;
        break;
      }
      while (this.#buf.length < size + 2) {
        if (!(await this.#more())) return null;
      }
      parts.push(this.#take(size));
      this.#take(2);
    }
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  /** Writes all bytes; false when the client is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      let off = 0;
      while (off < bytes.length) {
        off += await this.#conn.write(bytes.subarray(off));
      }
      return true;
    } catch {
      this.gone.abort(new Error("client closed the connection"));
      return false;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** The response side of one request. */
class HttpResponse {
  started = false;
  destroyed = false;
  #hc: HttpConnection;
  #req: HttpRequest;
  #chunked = false;

  constructor(hc: HttpConnection, req: HttpRequest) {
    this.#hc = hc;
    this.#req = req;
  }

  #head(status: number, headers: Record<string, string>): string {
    const lines = [`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Status"}`];
    lines.push(`Date: ${new Date().toUTCString()}`);
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    if (!this.#req.keepAlive) lines.push("Connection: close");
    return lines.join("\r\n") + "\r\n\r\n";
  }

  /** Sends a whole response with Content-Length (no body for HEAD). */
  async send(
    status: number,
    headers: Record<string, string>,
    body: string,
  ): Promise<void> {
    this.started = true;
    const bytes = enc.encode(body);
    const head = this.#head(status, {
      ...headers,
      "Content-Length": String(bytes.length),
    });
    const out = this.#req.method === "HEAD"
      ? enc.encode(head)
      : new Uint8Array([...enc.encode(head), ...bytes]);
    await this.#hc.write(out);
  }

  json(status: number, value: unknown): Promise<void> {
    return this.send(status, {
      "Content-Type": "application/json; charset=utf-8",
    }, goJson(value));
  }

  error(status: number, message: string): Promise<void> {
    return this.json(status, { error: message });
  }

  /** Sends the status line and the first chunk together, as Ollama flushes headers with it. */
  async startChunked(
    status: number,
    contentType: string,
    first: string,
  ): Promise<boolean> {
    this.started = true;
    this.#chunked = true;
    const head = this.#head(status, {
      "Content-Type": contentType,
      "Transfer-Encoding": "chunked",
    });
    return await this.#hc.write(enc.encode(head + this.#frame(first)));
  }

  #frame(text: string): string {
    const n = enc.encode(text).length;
    return n === 0 ? "" : `${n.toString(16)}\r\n${text}\r\n`;
  }

  writeChunk(text: string): Promise<boolean> {
    return this.#hc.write(enc.encode(this.#frame(text)));
  }

  async end(): Promise<void> {
    if (this.#chunked) await this.#hc.write(enc.encode("0\r\n\r\n"));
  }

  /** Drops the connection without (further) bytes. */
  destroy(): void {
    this.destroyed = true;
    this.#hc.close();
  }

  /**
   * Breaks the connection before any valid status line, so fetch rejects with a
   * TypeError. A close with no byte at all is not observable: on a reused
   * keep-alive connection Deno's fetch silently resends the request once.
   */
  async reset(): Promise<void> {
    this.started = true;
    await this.#hc.write(enc.encode("\x15\x03\x01\r\n\r\n"));
    this.destroy();
  }
}

// ---------------------------------------------------------------------------
// Slots (OLLAMA_NUM_PARALLEL) with utilisation accounting

class Slots {
  readonly parallel: number;
  waiting = 0;
  #inUse = 0;
  #queue: Array<() => void> = [];
  #served = 0;
  #busyMs = 0;
  #maxInFlight = 0;
  #maxWaiting = 0;
  #first: number | null = null;
  #last: number | null = null;

  constructor(parallel: number) {
    this.parallel = parallel;
  }

  get free(): boolean {
    return this.#inUse < this.parallel;
  }

  /** Resolves with the start time once a slot is held; rejects on abort. */
  async acquire(signal: AbortSignal): Promise<number> {
    if (signal.aborted) throw signal.reason;
    if (this.#inUse >= this.parallel) {
      this.waiting++;
      this.#maxWaiting = Math.max(this.#maxWaiting, this.waiting);
      try {
        await new Promise<void>((resolve, reject) => {
          const grant = () => {
            signal.removeEventListener("abort", onAbort);
            resolve();
          };
          const onAbort = () => {
            const i = this.#queue.indexOf(grant);
            if (i >= 0) this.#queue.splice(i, 1);
            reject(signal.reason);
          };
          this.#queue.push(grant);
          signal.addEventListener("abort", onAbort, { once: true });
        });
      } finally {
        this.waiting--;
      }
    } else {
      this.#inUse++;
    }
    const now = performance.now();
    this.#first ??= now;
    this.#maxInFlight = Math.max(this.#maxInFlight, this.#inUse);
    return now;
  }

  release(start: number): void {
    const now = performance.now();
    this.#busyMs += now - start;
    this.#served++;
    this.#last = now;
    const next = this.#queue.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.#inUse--;
  }

  stats(): FakeOllamaStats {
    const windowMs = this.#first !== null && this.#last !== null
      ? Math.max(0, this.#last - this.#first)
      : 0;
    return {
      served: this.#served,
      busyMsTotal: this.#busyMs,
      maxInFlight: this.#maxInFlight,
      maxWaiting: this.#maxWaiting,
      windowMs,
      utilisation: windowMs > 0 ? this.#busyMs / (this.parallel * windowMs) : 0,
    };
  }
}

// ---------------------------------------------------------------------------
// Validation tables (api.ChatRequest / api.GenerateRequest / api.Options)

type GoType = "string" | "bool" | "int" | "array" | "object";
const FIELD_TYPES: Record<string, [GoType, string]> = {
  model: ["string", "string"],
  prompt: ["string", "string"],
  suffix: ["string", "string"],
  system: ["string", "string"],
  template: ["string", "string"],
  messages: ["array", "[]api.Message"],
  context: ["array", "[]int"],
  images: ["array", "[]api.ImageData"],
  tools: ["array", "api.Tools"],
  stream: ["bool", "bool"],
  raw: ["bool", "bool"],
  truncate: ["bool", "bool"],
  shift: ["bool", "bool"],
  logprobs: ["bool", "bool"],
  "top_logprobs": ["int", "int"],
  options: ["object", "map[string]interface {}"],
};

const OPTION_TYPES: Record<
  string,
  "integer" | "float32" | "boolean" | "array"
> = {
  "num_keep": "integer",
  seed: "integer",
  "num_predict": "integer",
  "top_k": "integer",
  "repeat_last_n": "integer",
  "num_ctx": "integer",
  "num_batch": "integer",
  "num_gpu": "integer",
  "main_gpu": "integer",
  "num_thread": "integer",
  "draft_num_predict": "integer",
  temperature: "float32",
  "top_p": "float32",
  "min_p": "float32",
  "typical_p": "float32",
  "repeat_penalty": "float32",
  "presence_penalty": "float32",
  "frequency_penalty": "float32",
  "use_mmap": "boolean",
  stop: "array",
};

const THINK_LEVELS = ["high", "medium", "low", "max"];
const DEFAULT_NUM_CTX = 4096;

/** Decode-time checks (Go's json.Unmarshal into the request struct): a 400 message or null. */
function decodeError(
  body: Record<string, unknown>,
  structName: string,
): string | null {
  for (const [field, [want, goName]] of Object.entries(FIELD_TYPES)) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    const got = jsonType(v);
    const ok = want === "int"
      ? typeof v === "number" && Number.isInteger(v)
      : want === "array"
      ? Array.isArray(v)
      : want === "object"
      ? got === "object"
      : got === want;
    if (!ok) {
      const shown = typeof v === "number" ? `number ${v}` : got;
      return `json: cannot unmarshal ${shown} into Go struct field ${structName}.${field} of type ${goName}`;
    }
  }
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      if (m === null) continue;
      if (jsonType(m) !== "object") {
        return `json: cannot unmarshal ${
          jsonType(m)
        } into Go struct field ${structName}.messages of type api.Message`;
      }
      for (const f of ["role", "content", "thinking"]) {
        const v = (m as Record<string, unknown>)[f];
        if (v !== undefined && v !== null && typeof v !== "string") {
          return `json: cannot unmarshal ${
            jsonType(v)
          } into Go struct field Message.messages.${f} of type string`;
        }
      }
    }
  }
  const think = body.think;
  if (think !== undefined && think !== null && typeof think !== "boolean") {
    if (typeof think !== "string") return "think must be a boolean or string";
    if (!THINK_LEVELS.includes(think)) {
      return `invalid think value: "${think}" (must be "high", "medium", "low", "max", true, or false)`;
    }
  }
  const ka = body["keep_alive"];
  if (typeof ka === "string" && parseGoDuration(ka) === null) {
    return `time: invalid duration ${JSON.stringify(ka)}`;
  }
  if (
    ka !== undefined && ka !== null && !["string", "number"].includes(typeof ka)
  ) {
    return `json: cannot unmarshal ${
      jsonType(ka)
    } into Go struct field ${structName}.keep_alive of type *api.Duration`;
  }
  return null;
}

/** api.Options.FromMap type check: a 500 message or null. */
function optionError(options: Record<string, unknown>): string | null {
  for (const [key, v] of Object.entries(options)) {
    const want = OPTION_TYPES[key];
    if (!want || v === null) continue; // unknown keys are ignored (logged upstream)
    if (
      (want === "integer" || want === "float32") && typeof v !== "number"
    ) return `option "${key}" must be of type ${want}`;
    if (want === "boolean" && typeof v !== "boolean") {
      return `option "${key}" must be of type boolean`;
    }
    if (want === "array") {
      if (!Array.isArray(v)) return `option "${key}" must be of type array`;
      if (v.some((s) => typeof s !== "string")) {
        return `option "${key}" must be of type array of strings`;
      }
    }
  }
  return null;
}

/** Keep-alive in ms: Infinity for negative, null when not given. */
function keepAliveMs(v: unknown): number | null {
  if (typeof v === "number") return v < 0 ? Infinity : v * 1000;
  if (typeof v === "string") {
    const d = parseGoDuration(v);
    return d === null ? null : d < 0 ? Infinity : d;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Fake tokens with logprobs

interface Piece {
  kind: "thinking" | "content";
  text: string;
  logprob: number;
  top: Array<{ token: string; logprob: number }> | null;
}

const ALTERNATIVES = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];

function defaultTop(
  token: string,
  logprob: number,
): Array<{ token: string; logprob: number }> {
  const self = token.trim();
  const others = ALTERNATIVES.filter((a) => a !== self);
  const alt = [...others, ...others.map((a) => " " + a)];
  return [
    { token, logprob },
    ...alt.map((t, i) => ({ token: t, logprob: -3 - i * 0.25 })),
  ];
}

function wireLogprob(p: Piece, topN: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    token: p.text,
    logprob: p.logprob,
    bytes: [...enc.encode(p.text)],
  };
  if (topN > 0) {
    const top = [...(p.top ?? defaultTop(p.text, p.logprob))]
      .sort((a, b) => b.logprob - a.logprob)
      .slice(0, topN);
    out["top_logprobs"] = top.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: [...enc.encode(t.token)],
    }));
  }
  return out;
}

// ---------------------------------------------------------------------------
// The server

interface Loaded {
  numCtx: number;
  expiresAt: number;
}

const DEFAULT_MODELS: FakeModel[] = [{ name: "llama3.2:latest" }];
const ROUTES: Record<string, string[]> = {
  "/": ["GET", "HEAD"],
  "/api/version": ["GET", "HEAD"],
  "/api/tags": ["GET", "HEAD"],
  "/api/ps": ["GET"],
  "/api/show": ["POST"],
  "/api/chat": ["POST"],
  "/api/generate": ["POST"],
};

class FakeServer implements FakeOllama {
  readonly url: string;
  readonly requests: FakeRequest[] = [];
  #opts: FakeOllamaOptions;
  #models: Map<string, Required<FakeModel>>;
  #slots: Slots;
  #loaded = new Map<string, Loaded>();
  #attempts = new Map<string, number>();
  #listener: Deno.TcpListener;
  #abort = new AbortController();
  #conns = new Set<HttpConnection>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;
  #closing: Promise<void> | null = null;
  #started = Date.now();

  constructor(opts: FakeOllamaOptions, port: number) {
    this.#opts = opts;
    this.#models = new Map();
    (opts.models ?? DEFAULT_MODELS).forEach((m) => {
      const name = normaliseModelName(m.name);
      this.#models.set(name, {
        name,
        capabilities: m.capabilities ?? ["completion"],
        digest: m.digest ?? fakeDigest(name),
        parameterSize: m.parameterSize ?? "3.2B",
        quantization: m.quantization ?? "Q4_K_M",
        family: m.family ?? "llama",
        contextLength: m.contextLength ?? 131072,
        parameters: m.parameters ?? {},
      });
    });
    const parallel = opts.parallel ?? 1;
    if (!Number.isInteger(parallel) || parallel < 1) {
      throw new RangeError(
        `Cannot start fake Ollama: parallel must be a positive integer, got ${parallel}`,
      );
    }
    this.#slots = new Slots(parallel);
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port });
    this.url = `http://127.0.0.1:${this.#listener.addr.port}`;
    this.#accepting = this.#acceptLoop();
  }

  stats(): FakeOllamaStats {
    return this.#slots.stats();
  }

  removeModel(name: string): void {
    const n = normaliseModelName(name);
    this.#models.delete(n);
    this.#loaded.delete(n);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#abort.abort(new Error("fake Ollama closed"));
      try {
        this.#listener.close();
      } catch {
        // already closed
      }
      await this.#accepting;
      for (const c of this.#conns) c.close();
      while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #track(p: Promise<void>): void {
    this.#tasks.add(p);
    p.finally(() => this.#tasks.delete(p));
  }

  async #acceptLoop(): Promise<void> {
    while (true) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      if (this.#abort.signal.aborted) {
        conn.close();
        return;
      }
      // Without TCP_NODELAY, Nagle plus delayed ACK holds small NDJSON lines ~40 ms.
      conn.setNoDelay(true);
      const hc = new HttpConnection(conn);
      this.#conns.add(hc);
      this.#track(hc.pumped);
      this.#track(this.#serveConnection(hc));
    }
  }

  async #serveConnection(hc: HttpConnection): Promise<void> {
    try {
      while (!this.#abort.signal.aborted) {
        const req = await hc.readRequest();
        if (!req) break;
        const res = new HttpResponse(hc, req);
        const signal = AbortSignal.any([hc.gone.signal, this.#abort.signal]);
        try {
          await this.#route(req, res, signal);
        } catch (e) {
          if (!res.started && !signal.aborted) {
            await res.error(500, `fake Ollama: ${String(e)}`);
          } else res.destroy();
        }
        if (res.destroyed || !req.keepAlive || signal.aborted) break;
      }
    } finally {
      hc.close();
      this.#conns.delete(hc);
    }
  }

  #route(
    req: HttpRequest,
    res: HttpResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const methods = ROUTES[req.path];
    const text = { "Content-Type": "text/plain; charset=utf-8" };
    if (!methods) return res.send(404, text, "404 page not found");
    if (!methods.includes(req.method)) {
      return res.send(405, text, "405 method not allowed");
    }
    switch (req.path) {
      case "/":
        return res.send(200, text, "Ollama is running");
      case "/api/version":
        return res.json(200, { version: this.#opts.version ?? "0.33.0-rc2" });
      case "/api/tags":
        return res.json(200, { models: this.#tagsList() });
      case "/api/ps":
        return res.json(200, { models: this.#psList() });
      case "/api/show":
        return this.#show(req, res);
      default:
        return this.#generate(
          req,
          res,
          signal,
          req.path as FakeRequest["path"],
        );
    }
  }

  #details(m: Required<FakeModel>): Record<string, unknown> {
    return {
      "parent_model": "",
      format: "gguf",
      family: m.family,
      families: [m.family],
      "parameter_size": m.parameterSize,
      "quantization_level": m.quantization,
    };
  }

  #modifiedAt(i: number): string {
    return new Date(this.#started - i * 3_600_000).toISOString();
  }

  #tagsList(): unknown[] {
    return [...this.#models.values()].map((m, i) => ({
      name: m.name,
      model: m.name,
      "modified_at": this.#modifiedAt(i),
      size: 2019393189,
      digest: m.digest,
      details: this.#details(m),
    }));
  }

  #psList(): unknown[] {
    const now = Date.now();
    const out: unknown[] = [];
    for (const [name, l] of this.#loaded) {
      const m = this.#models.get(name);
      if (!m || l.expiresAt <= now) {
        this.#loaded.delete(name);
        continue;
      }
      out.push({
        name,
        model: name,
        size: 3_400_000_000,
        digest: m.digest,
        details: this.#details(m),
        "expires_at": new Date(
          Number.isFinite(l.expiresAt) ? l.expiresAt : 11_000_000_000_000,
        ).toISOString(),
        "size_vram": 3_400_000_000,
        "context_length": l.numCtx,
      });
    }
    return out;
  }

  /** Parses a JSON object body, answering 400 itself when it cannot. */
  async #parseBody(
    req: HttpRequest,
    res: HttpResponse,
    structName: string,
  ): Promise<Record<string, unknown> | null> {
    const raw = dec.decode(req.body);
    if (raw.trim() === "") {
      await res.error(400, "missing request body");
      return null;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      await res.error(400, goJsonSyntaxError(raw, e));
      return null;
    }
    if (jsonType(parsed) !== "object") {
      await res.error(
        400,
        `json: cannot unmarshal ${
          jsonType(parsed)
        } into Go value of type api.${structName}`,
      );
      return null;
    }
    return parsed as Record<string, unknown>;
  }

  async #show(req: HttpRequest, res: HttpResponse): Promise<void> {
    const body = await this.#parseBody(req, res, "ShowRequest");
    if (!body) return;
    const given = typeof body.model === "string" && body.model !== ""
      ? body.model
      : typeof body.name === "string"
      ? body.name
      : "";
    if (given.trim() === "") return res.error(400, "model is required");
    const name = normaliseModelName(given);
    const m = this.#models.get(name);
    if (!m) return res.error(404, `model '${name}' not found`);
    const params = Object.entries(m.parameters).flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((x) =>
        `${k.padEnd(30)} ${typeof x === "string" ? JSON.stringify(x) : x}`
      )
    ).join("\n");
    return res.json(200, {
      license: "",
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${name}\n`,
      parameters: params,
      template: "{{ .Prompt }}",
      details: this.#details(m),
      "model_info": {
        "general.architecture": m.family,
        "general.parameter_count": 3212749888,
        [`${m.family}.context_length`]: m.contextLength,
      },
      capabilities: m.capabilities,
      "modified_at": this.#modifiedAt(
        [...this.#models.keys()].indexOf(name),
      ),
    });
  }

  async #generate(
    req: HttpRequest,
    res: HttpResponse,
    signal: AbortSignal,
    path: FakeRequest["path"],
  ): Promise<void> {
    const t0 = performance.now();
    const isChat = path === "/api/chat";
    const structName = isChat ? "ChatRequest" : "GenerateRequest";
    const body = await this.#parseBody(req, res, structName);
    if (!body) return;
    const fr: FakeRequest = { path, body, text: requestText(body, isChat) };
    if (this.#opts.recordRequests !== false) this.requests.push(fr);

    // §10 validation order, first match wins.
    const decErr = decodeError(body, structName);
    if (decErr) return res.error(400, decErr);
    const topN = typeof body["top_logprobs"] === "number"
      ? body["top_logprobs"]
      : 0;
    if (topN < 0 || topN > 20) {
      return res.error(400, "top_logprobs must be between 0 and 20");
    }
    const modelAsSent = typeof body.model === "string" ? body.model : "";
    if (modelAsSent.trim() === "") {
      return isChat
        ? res.error(400, "model is required")
        : res.error(404, "model '' not found");
    }
    const name = normaliseModelName(modelAsSent);
    const model = this.#models.get(name);
    if (!model) return res.error(404, `model '${modelAsSent}' not found`);
    const canThink = model.capabilities.includes("thinking");
    const think = body.think;
    if (!canThink && (think === true || typeof think === "string")) {
      return res.error(
        400,
        `${JSON.stringify(modelAsSent)} does not support thinking`,
      );
    }
    if (
      Array.isArray(body.tools) && body.tools.length > 0 &&
      !model.capabilities.includes("tools")
    ) {
      return res.error(
        400,
        `registry.ollama.ai/library/${name} does not support tools`,
      );
    }
    if (
      !isChat && body.raw === true &&
      (body.template || body.system ||
        (Array.isArray(body.context) && body.context.length > 0))
    ) {
      return res.error(
        400,
        "raw mode does not support template, system, or context",
      );
    }
    const reqOptions = (body.options ?? {}) as Record<string, unknown>;
    const optErr = optionError(reqOptions);
    if (optErr) return res.error(500, optErr);
    const format = body.format;
    if (
      format !== undefined && format !== null && format !== "" &&
      format !== "json" && jsonType(format) !== "object"
    ) {
      return res.error(
        500,
        `invalid format: ${
          JSON.stringify(goJson(format))
        }; expected "json" or a valid JSON Schema object`,
      );
    }

    // Faults and scheduling.
    const attempt = (this.#attempts.get(fr.text) ?? 0) + 1;
    this.#attempts.set(fr.text, attempt);
    const fault = this.#opts.fault?.(fr, attempt) ?? null;
    if (fault !== null && typeof fault === "object") {
      return res.send(fault.status, {
        "Content-Type": "application/json; charset=utf-8",
        ...fault.headers,
      }, fault.body);
    }
    switch (fault) {
      case "500":
        return res.error(500, RUNNER_STOPPED_MESSAGE);
      case "503":
        return res.error(503, BUSY_MESSAGE);
      case "404_model":
        return res.error(404, `model '${modelAsSent}' not found`);
      case "reset":
        return res.reset();
      case "stall":
        await sleep(this.#opts.stallMs ?? 60_000, signal);
    }
    const ql = this.#opts.queueLimit;
    if (
      ql !== undefined && ql !== null && !this.#slots.free &&
      this.#slots.waiting >= ql
    ) {
      return res.error(503, BUSY_MESSAGE);
    }

    const options = { ...model.parameters, ...reqOptions };
    const numCtx = Math.min(
      typeof options["num_ctx"] === "number"
        ? Math.trunc(options["num_ctx"])
        : DEFAULT_NUM_CTX,
      model.contextLength,
    );
    const ka = keepAliveMs(body["keep_alive"]) ?? 5 * 60_000;
    const isLoadOnly = isChat
      ? !Array.isArray(body.messages) || body.messages.length === 0
      : (body.prompt ?? "") === "" && (body.suffix ?? "") === "";

    const slotStart = await this.#slots.acquire(signal);
    let released = false;
    const release = () => {
      if (!released) this.#slots.release(slotStart);
      released = true;
    };
    try {
      // Cold load: first use, after unload/expiry, or a num_ctx change.
      const loaded = this.#loaded.get(name);
      if (
        !loaded || loaded.numCtx !== numCtx || loaded.expiresAt <= Date.now()
      ) {
        await sleep(this.#opts.loadMs ?? 0, signal);
      }
      const tLoaded = performance.now();
      this.#loaded.set(name, { numCtx, expiresAt: Date.now() + ka });

      if (isLoadOnly) {
        const reason = ka === 0 ? "unload" : "load";
        if (ka === 0) this.#loaded.delete(name);
        release();
        const base = { model: modelAsSent, "created_at": createdAt() };
        return res.json(
          200,
          isChat
            ? {
              ...base,
              message: { role: "assistant", content: "" },
              done: true,
              "done_reason": reason,
            }
            : { ...base, response: "", done: true, "done_reason": reason },
        );
      }

      const reply = await (this.#opts.reply ?? defaultReply)(fr);
      const plan = planReply(reply, {
        thinks: canThink && think !== false,
        numPredict: numPredictBudget(options["num_predict"], numCtx),
        stop: Array.isArray(options.stop) ? options.stop as string[] : [],
      });
      const promptTokens = reply.promptEvalCount ??
        estimatePromptTokens(body, isChat);
      const numKeep = typeof options["num_keep"] === "number"
        ? options["num_keep"]
        : 4;
      if (promptTokens > numCtx - 1 && body.shift === false) {
        return res.error(
          400,
          "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length",
        );
      }
      const promptEvalCount = promptTokens > numCtx - 1
        ? Math.floor(numCtx - (numCtx - numKeep) / 2)
        : promptTokens;

      const svc = this.#opts.serviceMs ?? 0;
      await sleep(typeof svc === "function" ? svc(fr) : svc, signal);
      const tFirst = performance.now();

      const stream = body.stream !== false;
      const wantLogprobs = body.logprobs === true;
      const chunkFor = (p: Piece | null): Record<string, unknown> => {
        const base: Record<string, unknown> = {
          model: modelAsSent,
          "created_at": createdAt(),
        };
        const th = p?.kind === "thinking" ? p.text : "";
        const ct = p?.kind === "content" ? p.text : "";
        if (isChat) {
          base.message = th
            ? { role: "assistant", content: "", thinking: th }
            : { role: "assistant", content: ct };
        } else {
          base.response = ct;
          if (th) base.thinking = th;
        }
        base.done = false;
        if (wantLogprobs && p) base.logprobs = [wireLogprob(p, topN)];
        return base;
      };
      const delay = this.#opts.chunkDelayMs ?? 0;
      const pieces = plan.pieces;
      const finalFor = (
        all: Piece[],
        done: boolean,
      ): Record<string, unknown> => {
        const tEnd = performance.now();
        const content = all.filter((p) => p.kind === "content").map((p) =>
          p.text
        ).join("");
        const thinking = all.filter((p) => p.kind === "thinking").map((p) =>
          p.text
        ).join("");
        const out: Record<string, unknown> = {
          model: modelAsSent,
          "created_at": createdAt(),
        };
        if (isChat) {
          const message: Record<string, unknown> = {
            role: "assistant",
            content,
          };
          if (thinking) message.thinking = thinking;
          out.message = message;
        } else {
          out.response = content;
          if (thinking) out.thinking = thinking;
        }
        out.done = done;
        if (wantLogprobs && all.length > 0) {
          out.logprobs = all.map((p) => wireLogprob(p, topN));
        }
        if (!done) return out;
        out["done_reason"] = plan.doneReason;
        const evalCount = plan.evalCount;
        if (!isChat && body.raw !== true) {
          out.context = [...Array(promptEvalCount + evalCount).keys()].map((
            i,
          ) => 1000 + (i * 7919) % 120000);
        }
        const load = Math.round((tLoaded - slotStart) * MS) + 100_000;
        const promptEval = Math.max(
          Math.round((tFirst - tLoaded) * MS),
          promptEvalCount * 20_000,
        );
        const evalDur = Math.max(
          Math.round((tEnd - tFirst) * MS),
          Math.max(1, evalCount) * 100_000,
        );
        const total = Math.max(
          Math.round((tEnd - t0) * MS),
          load + promptEval + evalDur + 1000,
        );
        const metrics: Record<string, number> = {
          "total_duration": total,
          "load_duration": load,
          "prompt_eval_count": promptEvalCount,
          "prompt_eval_duration": promptEval,
          "eval_count": evalCount,
          "eval_duration": evalDur,
        };
        for (const [k, v] of Object.entries(metrics)) if (v > 0) out[k] = v; // omitempty
        return out;
      };

      if (!stream) {
        for (let i = 0; i < pieces.length; i++) await sleep(delay, signal);
        if (fault === "midstream_error") {
          return res.error(500, MIDSTREAM_MESSAGE);
        }
        const final = finalFor(pieces, fault !== "no_done");
        if (fault === "malformed_json") {
          const text = goJson(final);
          return res.send(200, {
            "Content-Type": "application/json; charset=utf-8",
          }, text.slice(0, Math.floor(text.length / 2)));
        }
        release();
        return res.json(200, final);
      }

      // Streaming: status and headers go out with the first chunk.
      const cut = fault === "midstream_error" || fault === "malformed_json"
        ? Math.max(1, Math.ceil(pieces.length / 2))
        : pieces.length;
      const sendPieces = pieces.length > 0 ? pieces.slice(0, cut) : [];
      const lines = sendPieces.length > 0
        ? sendPieces.map((p) => goJson(chunkFor(p)) + "\n")
        : fault === "midstream_error" || fault === "malformed_json"
        ? [goJson(chunkFor(null)) + "\n"]
        : [];
      const ndjson = "application/x-ndjson";
      let first = true;
      for (const line of lines) {
        if (!first) await sleep(delay, signal);
        const ok = first
          ? await res.startChunked(200, ndjson, line)
          : await res.writeChunk(line);
        first = false;
        if (!ok) return;
      }
      let tail: string | null;
      if (fault === "midstream_error") {
        tail = goJson({ error: MIDSTREAM_MESSAGE }) + "\n";
      } else if (fault === "malformed_json") {
        const t = goJson(chunkFor(pieces[cut] ?? null));
        tail = t.slice(0, Math.floor(t.length / 2)) + "\n";
      } else if (fault === "no_done") tail = null;
      else {
        if (!first) await sleep(delay, signal);
        tail = goJson(finalFor([], true)) + "\n";
      }
      release();
      if (tail !== null) {
        const ok = first
          ? await res.startChunked(200, ndjson, tail)
          : await res.writeChunk(tail);
        first = false;
        if (!ok) return;
      }
      if (first) await res.startChunked(200, ndjson, "");
      await res.end();
    } finally {
      release();
      if (ka === 0) this.#loaded.delete(name);
    }
  }
}

function requestText(body: Record<string, unknown>, isChat: boolean): string {
  if (!isChat) return typeof body.prompt === "string" ? body.prompt : "";
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i] as Record<string, unknown> | null;
    if (m?.role === "user" && typeof m.content === "string") return m.content;
  }
  return "";
}

function defaultReply(req: FakeRequest): FakeReply {
  const f = req.body.format;
  return { content: f !== undefined && f !== null ? '{"answer":"A"}' : "A" };
}

/** num_predict as the runner applies it; null = no cap (0 is dropped upstream). */
function numPredictBudget(v: unknown, numCtx: number): number | null {
  if (typeof v !== "number") return 10 * numCtx;
  const n = Math.trunc(v);
  if (n === 0) return null;
  if (n < 0 || n > 10 * numCtx) return 10 * numCtx;
  return n;
}

function estimatePromptTokens(
  body: Record<string, unknown>,
  isChat: boolean,
): number {
  if (!isChat) {
    const p = typeof body.prompt === "string" ? body.prompt : "";
    const s = typeof body.system === "string" ? body.system : "";
    return fakeTokens(p).length + fakeTokens(s).length +
      (body.raw === true ? 1 : 8);
  }
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  let n = 1;
  for (const m of msgs) {
    const c = (m as Record<string, unknown> | null)?.content;
    n += 4 + (typeof c === "string" ? fakeTokens(c).length : 0);
  }
  return n;
}

interface Plan {
  pieces: Piece[];
  evalCount: number;
  doneReason: "stop" | "length";
}

function planReply(
  reply: FakeReply,
  ctx: { thinks: boolean; numPredict: number | null; stop: string[] },
): Plan {
  let content = reply.content;
  let stopped = false;
  for (const s of ctx.stop) {
    const i = s === "" ? -1 : content.indexOf(s);
    if (i >= 0) {
      content = content.slice(0, i);
      stopped = true;
    }
  }
  let contentPieces: Piece[];
  if (reply.logprobs) {
    const spelled = reply.logprobs.map((l) => l.token).join("");
    if (spelled !== reply.content) {
      throw new Error(
        `reply.logprobs tokens spell ${
          JSON.stringify(spelled)
        }, not the content ${JSON.stringify(reply.content)}`,
      );
    }
    contentPieces = [];
    let used = 0;
    for (const l of reply.logprobs) {
      if (used >= content.length) break;
      const text = l.token.slice(0, content.length - used);
      used += l.token.length;
      contentPieces.push({
        kind: "content",
        text,
        logprob: l.logprob,
        top: l["top_logprobs"] ?? null,
      });
    }
  } else {
    contentPieces = fakeTokens(content).map((text, i) => ({
      kind: "content",
      text,
      logprob: -0.01 - i * 0.001,
      top: null,
    }));
  }
  const thinkingText = ctx.thinks
    ? reply.thinking ?? "Let me think about which option is right."
    : "";
  const thinkingPieces: Piece[] = fakeTokens(thinkingText).map((text) => ({
    kind: "thinking",
    text,
    logprob: -0.5,
    top: null,
  }));
  let pieces = [...thinkingPieces, ...contentPieces];
  let truncated = false;
  if (ctx.numPredict !== null && pieces.length > ctx.numPredict) {
    pieces = pieces.slice(0, ctx.numPredict);
    truncated = true;
  }
  let evalCount = reply.evalCount ?? pieces.length;
  if (ctx.numPredict !== null) evalCount = Math.min(evalCount, ctx.numPredict);
  const doneReason = reply.doneReason ??
    (truncated && !stopped ? "length" : "stop");
  return { pieces, evalCount, doneReason };
}

// ---------------------------------------------------------------------------
// CLI: `deno run --allow-net --allow-read tests/fake_ollama.ts --port 11434`

/** One answer key entry from a dataset file. */
interface KeyEntry {
  question: string;
  answer: string;
  letters: string[];
}

function normaliseText(s: string): string {
  return s.replace(/\uFEFF/g, "").replace(/\s+/g, " ").trim();
}

async function loadAnswerKey(paths: string[]): Promise<KeyEntry[]> {
  const { parse } = await import("csv-parse/sync");
  const out: KeyEntry[] = [];
  const visit = async (p: string): Promise<void> => {
    const st = await Deno.stat(p);
    if (st.isDirectory) {
      for await (const e of Deno.readDir(p)) await visit(`${p}/${e.name}`);
    } else if (p.endsWith(".csv")) {
      const rows = parse(await Deno.readTextFile(p), {
        relaxColumnCount: true,
      }) as string[][];
      for (const r of rows) {
        if (r.length === 6 && r[0] && r[5]) {
          out.push({
            question: normaliseText(r[0]),
            answer: r[5].trim(),
            letters: ["A", "B", "C", "D"],
          });
        }
      }
    } else if (p.endsWith(".jsonl")) {
      for (const line of (await Deno.readTextFile(p)).split("\n")) {
        if (!line.trim()) continue;
        const o = JSON.parse(line) as {
          question?: string;
          answer?: string;
          options?: unknown[];
        };
        if (o.question && o.answer) {
          out.push({
            question: normaliseText(o.question),
            answer: o.answer,
            letters: ALTERNATIVES.slice(0, o.options?.length ?? 4),
          });
        }
      }
    }
  };
  for (const p of paths) await visit(p);
  return out.filter((e) => e.question.length > 0);
}

/** A reply function that answers a known question correctly for a deterministic `rate` of questions. */
function answerKeyReply(key: KeyEntry[], rate: number, counts: {
  correct: number;
  wrong: number;
  unmatched: number;
}): (req: FakeRequest) => FakeReply {
  return (req) => {
    const prompt = normaliseText(
      req.path === "/api/chat"
        ? ((req.body.messages ?? []) as Array<{ content?: unknown }>).map((m) =>
          typeof m.content === "string" ? m.content : ""
        ).join("\n")
        : req.text,
    );
    let best: KeyEntry | null = null;
    let bestAt = -1;
    for (const e of key) {
      const at = prompt.lastIndexOf(e.question);
      if (
        at > bestAt ||
        (at >= 0 && at === bestAt && best &&
          e.question.length > best.question.length)
      ) {
        best = e;
        bestAt = at;
      }
    }
    const letters = best?.letters ?? ["A", "B", "C", "D"];
    const h = hash32(best?.question ?? req.text);
    let letter: string;
    if (!best) {
      counts.unmatched++;
      letter = letters[h % letters.length] ?? "A";
    } else if ((h % 10000) / 10000 < rate) {
      counts.correct++;
      letter = best.answer;
    } else {
      counts.wrong++;
      const others = letters.filter((l) => l !== best.answer);
      letter = others[h % others.length] ?? "A";
    }
    const f = req.body.format;
    return {
      content: f !== undefined && f !== null
        ? `{"answer":"${letter}"}`
        : letter,
    };
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      port: { type: "string", default: "0" },
      parallel: { type: "string", default: "1" },
      "service-ms": { type: "string", default: "0" },
      "chunk-delay-ms": { type: "string", default: "0" },
      "load-ms": { type: "string", default: "0" },
      "queue-limit": { type: "string" },
      "answer-correct-rate": { type: "string" },
      dataset: { type: "string", multiple: true },
      model: { type: "string", multiple: true },
      thinking: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(
      "fake_ollama.ts [--port N] [--parallel N] [--service-ms MS] [--chunk-delay-ms MS] [--load-ms MS]\n" +
        "  [--queue-limit N] [--model NAME]... [--thinking]\n" +
        "  [--answer-correct-rate R --dataset DIR_OR_FILE...]  answer known questions correctly for a\n" +
        "  deterministic fraction R of them (by question hash); unknown questions get a hashed letter",
    );
    Deno.exit(0);
  }
  const counts = { correct: 0, wrong: 0, unmatched: 0 };
  const rate = values["answer-correct-rate"];
  const datasets = values.dataset ?? [];
  const reply = rate !== undefined || datasets.length > 0
    ? answerKeyReply(await loadAnswerKey(datasets), Number(rate ?? 1), counts)
    : undefined;
  const caps = values.thinking ? ["completion", "thinking"] : ["completion"];
  const fake = await startFakeOllama({
    models: (values.model ?? ["llama3.2:latest"]).map((name) => ({
      name,
      capabilities: caps,
    })),
    parallel: Number(values.parallel),
    serviceMs: Number(values["service-ms"]),
    chunkDelayMs: Number(values["chunk-delay-ms"]),
    loadMs: Number(values["load-ms"]),
    queueLimit: values["queue-limit"] === undefined
      ? null
      : Number(values["queue-limit"]),
    reply,
    recordRequests: false,
  }, Number(values.port));
  console.log(fake.url);
  const stop = async () => {
    await fake.close();
    console.log(JSON.stringify({ ...fake.stats(), answers: counts }));
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
