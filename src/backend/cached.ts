// A Backend wrapper that answers from the response cache: look up before
// asking, store after a successful reply. Owns what a cache key contains and
// the rule that a cache problem only ever costs the cache, never the run.

import { createHash } from "node:crypto";
import type {
  AskRequest,
  AskResponse,
  Backend,
  ModelInfo,
  TokenLogprob,
} from "./backend.ts";
import type { BackendError } from "../errors.ts";

/** Version of the key recipe; bump it when what goes into a key changes. */
const KEY_FORMAT = "llm-bench response cache key 1";

/** What the wrapper needs from a store (src/store/cache.ts). Methods may throw. */
export interface ResponseStore {
  get(key: string): string | null;
  put(
    key: string,
    meta: { backend: string; model: string; digest: string },
    value: string,
  ): void;
  /** Deletes the entries under `keys` (optional: a store without it keeps them). */
  forget?(keys: Iterable<string>): void;
}

/**
 * One run's access to a store, shared by every wrapped backend. The first
 * failure (corrupt file, lock held too long, disk full) gives one warning and
 * turns the cache off for the rest of the run: the run goes on uncached.
 */
export class CacheGate {
  #store: ResponseStore | null;
  readonly #warn: (message: string) => void;
  readonly #warned = new Set<string>();
  readonly #saved = new Set<string>();
  /** Answers served from the cache. */
  hits = 0;
  /** Lookups that found nothing usable. */
  misses = 0;

  /** `store` null means a cache that could not be opened (already warned about). */
  constructor(store: ResponseStore | null, warn: (message: string) => void) {
    this.#store = store;
    this.#warn = warn;
  }

  /** Whether lookups and stores still happen. */
  get enabled(): boolean {
    return this.#store !== null;
  }

  /** Warns once per distinct message. */
  warnOnce(message: string): void {
    if (this.#warned.has(message)) return;
    this.#warned.add(message);
    this.#warn(message);
  }

  #fail(e: unknown): void {
    this.#store = null;
    const detail = e instanceof Error ? e.message : String(e);
    this.warnOnce(`${detail}; the run goes on without the cache`);
  }

  /** The stored text for `key`, or null (also when the store fails). */
  lookup(key: string): string | null {
    if (this.#store === null) return null;
    try {
      return this.#store.get(key);
    } catch (e) {
      this.#fail(e);
      return null;
    }
  }

  /** Stores `value`; a failure turns the cache off with a warning. */
  save(
    key: string,
    meta: { backend: string; model: string; digest: string },
    value: string,
  ): void {
    if (this.#store === null) return;
    try {
      this.#store.put(key, meta, value);
      this.#saved.add(key);
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Live answers stored through this gate so far. */
  get saved(): number {
    return this.#saved.size;
  }

  /**
   * Deletes every entry stored through this gate (the model changed during
   * the run, so they may hold another build's answers under this key).
   */
  forgetSaved(): void {
    if (this.#store === null || this.#saved.size === 0) return;
    try {
      this.#store.forget?.(this.#saved);
      this.#saved.clear();
    } catch (e) {
      this.#fail(e);
    }
  }
}

/** Who answers: the parts of a key that name the model. */
export interface CacheIdentity {
  /** Backend kind: ollama, openai or mock. */
  kind: "ollama" | "openai" | "mock";
  /** Model name as the user gave it. */
  model: string;
  /** Settings that change a simulated model's answers (mock only), e.g. `accuracy=0.7`. */
  extra?: string;
}

/**
 * The model version a key is made with, from the preflight: the Ollama
 * digest (a re-pull changes it), or for an OpenAI-compatible server the model
 * id plus whatever version it reports. Null when there is none to trust.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelVersion } from "./cached.ts";
 * const info = { name: "m", serverVersion: null, digest: "sha256:ab", family: null,
 *   parameterSize: null, quantization: null, capabilities: [], contextLength: null };
 * assert.equal(modelVersion({ kind: "ollama", model: "m" }, info), "sha256:ab");
 * assert.equal(modelVersion({ kind: "ollama", model: "m" }, { ...info, digest: null }), null);
 * ```
 */
export function modelVersion(
  id: CacheIdentity,
  info: ModelInfo,
): string | null {
  if (id.kind === "ollama") return info.digest;
  if (id.kind === "mock") return `mock;${id.extra ?? ""}`;
  const parts = [`id=${info.name}`];
  if (info.digest !== null) parts.push(`digest=${info.digest}`);
  if (info.serverVersion !== null) parts.push(`server=${info.serverVersion}`);
  return parts.join(";");
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      sorted[k] = (v as Record<string, unknown>)[k];
    }
    return sorted;
  });
}

/**
 * The cache key of one request: SHA-256 of a canonical JSON of the key
 * format, backend kind, model version, every field of the request (prompt or
 * messages, letters and structured output, sampling options, budget,
 * num_ctx, think, logprobs) and, above temperature 0, the repeat number.
 * Not the question id (it is never sent: the same prompt is the same
 * request wherever it sits), never the base URL or the API key. Ollama keys use the digest, not the
 * name, so the same weights under two tags share answers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheKey } from "./cached.ts";
 * const req = { questionId: "a.csv:1", messages: null, rawPrompt: "Q", letters: ["A", "B"], structured: false,
 *   maxTokens: 1, think: null, topLogprobs: 20, temperature: 0, seed: 1, topK: 1,
 *   topP: 1, numCtx: null };
 * const id = { kind: "ollama" as const, model: "m" };
 * assert.equal(cacheKey(id, "sha256:ab", req, 0), cacheKey(id, "sha256:ab", req, 3));
 * assert.notEqual(cacheKey(id, "sha256:ab", req, 0), cacheKey(id, "sha256:cd", req, 0));
 * ```
 */
export function cacheKey(
  id: CacheIdentity,
  version: string,
  request: AskRequest,
  repeat: number,
): string {
  const { questionId: _notSent, ...sent } = request;
  const material = canonicalJson([
    KEY_FORMAT,
    id.kind,
    id.kind === "ollama" ? null : id.model,
    version,
    sent,
    // At temperature 0 every repeat gives the same answer; above it, each
    // repeat is its own sample.
    request.temperature > 0 ? repeat : null,
  ]);
  return createHash("sha256").update(material).digest("hex");
}

/** The stored form of a reply (everything but the `cached` mark). */
export function encodeReply(r: AskResponse): string {
  return JSON.stringify({
    content: r.content,
    thinking: r.thinking,
    doneReason: r.doneReason,
    promptTokens: r.promptTokens,
    evalTokens: r.evalTokens,
    evalDurationNs: r.evalDurationNs,
    serviceNs: r.serviceNs ?? null,
    firstTokenTopLogprobs: r.firstTokenTopLogprobs,
  });
}

function isStringOrNull(v: unknown): v is string | null {
  return v === null || typeof v === "string";
}

function isNumberOrNull(v: unknown): v is number | null {
  return v === null || (typeof v === "number" && Number.isFinite(v));
}

function isLogprobs(v: unknown): v is TokenLogprob[] | null {
  if (v === null) return true;
  if (!Array.isArray(v)) return false;
  return v.every((e) =>
    typeof e === "object" && e !== null &&
    typeof (e as Record<string, unknown>).token === "string" &&
    typeof (e as Record<string, unknown>).logprob === "number"
  );
}

/** A stored reply read back, validated field by field; null when it does not fit. */
export function decodeReply(text: string): AskResponse | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const {
    content,
    thinking,
    doneReason,
    promptTokens,
    evalTokens,
    evalDurationNs,
    serviceNs,
    firstTokenTopLogprobs,
  } = o;
  if (
    typeof content !== "string" || !isStringOrNull(thinking) ||
    !isStringOrNull(doneReason) || !isNumberOrNull(promptTokens) ||
    !isNumberOrNull(evalTokens) || !isNumberOrNull(evalDurationNs) ||
    !isNumberOrNull(serviceNs) || !isLogprobs(firstTokenTopLogprobs)
  ) {
    return null;
  }
  return {
    content,
    thinking,
    doneReason,
    promptTokens,
    evalTokens,
    evalDurationNs,
    serviceNs,
    firstTokenTopLogprobs,
  };
}

/**
 * A backend that answers from the cache when the same model version was
 * asked the same request before, and stores every successful live reply.
 * Errors are never stored. A cached reply carries `cached: true`.
 */
export class CachedBackend implements Backend {
  /** The wrapped backend's endpoint. */
  readonly endpoint: string;
  readonly #inner: Backend;
  readonly #gate: CacheGate;
  readonly #id: CacheIdentity;
  #version: string | null = null;
  #digest: string | null = null;

  /** Wraps `inner`; keys are made once its preflight reported the model version. */
  constructor(inner: Backend, gate: CacheGate, id: CacheIdentity) {
    this.#inner = inner;
    this.#gate = gate;
    this.#id = id;
    this.endpoint = inner.endpoint;
  }

  /** Preflights the wrapped backend and learns the model version from it. */
  async preflight(signal: AbortSignal): Promise<ModelInfo> {
    const info = await this.#inner.preflight(signal);
    this.learn(info);
    return info;
  }

  /**
   * Takes the model version from a preflight made elsewhere (the benchmark
   * preflights every model once, before any run folder exists).
   */
  learn(info: ModelInfo): void {
    this.#version = modelVersion(this.#id, info);
    this.#digest = info.digest;
    if (this.#version === null) {
      this.#gate.warnOnce(
        `${this.#id.model}: the server reports no model digest, so its answers are not cached`,
      );
    } else if (this.#id.kind === "openai") {
      this.#gate.warnOnce(
        `${this.#id.model}: an OpenAI-compatible server reports no model digest; the cache cannot tell when the model's weights change (run \`llm-bench cache clear\` after updating it)`,
      );
    }
  }

  /**
   * Preflights the wrapped backend again; the model digests before and
   * after when they differ (the model was re-pulled during the run), else
   * null. Without a digest (most OpenAI-compatible servers) there is
   * nothing to compare.
   */
  async versionChange(
    signal: AbortSignal,
  ): Promise<{ before: string; after: string | null } | null> {
    const before = this.#digest;
    if (before === null || this.#version === null) return null;
    const after = (await this.#inner.preflight(signal)).digest;
    return after === before ? null : { before, after };
  }

  /** The stored reply to `request`, marked cached (a hit); null when none. */
  cachedReply(request: AskRequest, repeat = 0): AskResponse | null {
    const version = this.#version;
    if (version === null || !this.#gate.enabled) return null;
    return this.#hit(cacheKey(this.#id, version, request, repeat));
  }

  #hit(key: string): AskResponse | null {
    const stored = this.#gate.lookup(key);
    const hit = stored === null ? null : decodeReply(stored);
    if (hit === null) return null;
    this.#gate.hits++;
    return { ...hit, cached: true };
  }

  /** One attempt: the cached reply when there is one, else the wrapped backend's. */
  async ask(
    request: AskRequest,
    signal: AbortSignal,
    repeat = 0,
  ): Promise<AskResponse> {
    const version = this.#version;
    if (version === null || !this.#gate.enabled) {
      return this.#inner.ask(request, signal, repeat);
    }
    // One key per request: hashing it is the costly part of a lookup.
    const key = cacheKey(this.#id, version, request, repeat);
    const hit = this.#hit(key);
    if (hit !== null) {
      signal.throwIfAborted();
      return hit;
    }
    this.#gate.misses++;
    const reply = await this.#inner.ask(request, signal, repeat);
    this.#gate.save(
      key,
      { backend: this.#id.kind, model: this.#id.model, digest: version },
      encodeReply(reply),
    );
    return reply;
  }

  /** Unloads through the wrapped backend. */
  unload(signal: AbortSignal): Promise<void> {
    return this.#inner.unload(signal);
  }

  /** The wrapped backend's advice (e.g. `ollama pull` for a model gone). */
  advice(error: BackendError): string | null {
    return this.#inner.advice?.(error) ?? null;
  }
}
