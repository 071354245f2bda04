import assert from "node:assert/strict";
import type {
  AskRequest,
  AskResponse,
  Backend,
  ModelInfo,
} from "../src/backend/backend.ts";
import {
  CachedBackend,
  CacheGate,
  type CacheIdentity,
  cacheKey,
  decodeReply,
  encodeReply,
  type ResponseStore,
} from "../src/backend/cached.ts";
import { openRunCache } from "../src/commands/run_cache.ts";
import { BackendError } from "../src/errors.ts";

const REQUEST: AskRequest = {
  questionId: "a.csv:1",
  messages: [{ role: "user", content: "Question 1?\nA. x\nB. y" }],
  rawPrompt: null,
  letters: ["A", "B"],
  structured: true,
  maxTokens: 64,
  think: false,
  topLogprobs: 0,
  temperature: 0,
  seed: 1234,
  topK: 1,
  topP: 1,
  numCtx: 4096,
};

const INFO: ModelInfo = {
  name: "llama3.2",
  serverVersion: "0.6.0",
  digest: "sha256:aaaa",
  family: "llama",
  parameterSize: "3B",
  quantization: "Q4_K_M",
  capabilities: ["completion"],
  contextLength: 131072,
};

const REPLY: AskResponse = {
  content: '{"answer":"B"}',
  thinking: null,
  doneReason: "stop",
  promptTokens: 30,
  evalTokens: 5,
  evalDurationNs: 50_000_000,
  serviceNs: 70_000_000,
  firstTokenTopLogprobs: [{ token: "B", logprob: -0.1 }],
};

class MapStore implements ResponseStore {
  readonly map = new Map<string, string>();
  failWith: Error | null = null;
  get(key: string): string | null {
    if (this.failWith) throw this.failWith;
    return this.map.get(key) ?? null;
  }
  put(key: string, _meta: unknown, value: string): void {
    if (this.failWith) throw this.failWith;
    this.map.set(key, value);
  }
}

/** A backend that counts calls and answers REPLY (or throws `error`). */
class CountingBackend implements Backend {
  readonly endpoint: string;
  calls = 0;
  error: BackendError | null = null;
  info: ModelInfo;
  constructor(endpoint = "http://a:11434", info: ModelInfo = INFO) {
    this.endpoint = endpoint;
    this.info = info;
  }
  preflight(): Promise<ModelInfo> {
    return Promise.resolve(this.info);
  }
  ask(): Promise<AskResponse> {
    this.calls++;
    if (this.error) return Promise.reject(this.error);
    return Promise.resolve({ ...REPLY });
  }
  unload(): Promise<void> {
    return Promise.resolve();
  }
}

const OLLAMA: CacheIdentity = { kind: "ollama", model: "llama3.2" };
const signal = new AbortController().signal;

async function wrapped(
  store: ResponseStore,
  inner = new CountingBackend(),
  id: CacheIdentity = OLLAMA,
) {
  const warnings: string[] = [];
  const gate = new CacheGate(store, (m) => warnings.push(m));
  const backend = new CachedBackend(inner, gate, id);
  await backend.preflight(signal);
  return { backend, inner, gate, warnings };
}

Deno.test("CachedBackend answers a repeated request from the cache, marked cached", async () => {
  const store = new MapStore();
  const { backend, inner, gate } = await wrapped(store);
  const live = await backend.ask(REQUEST, signal);
  assert.equal(live.cached, undefined);
  const again = await backend.ask(structuredClone(REQUEST), signal);
  assert.equal(inner.calls, 1);
  assert.deepEqual(again, { ...REPLY, cached: true });
  assert.equal(gate.hits, 1);
  assert.equal(gate.misses, 1);
});

Deno.test("CachedBackend never stores an error", async () => {
  const store = new MapStore();
  const { backend, inner } = await wrapped(store);
  inner.error = new BackendError("HTTP 500", {
    kind: "http_5xx",
    retryable: true,
  });
  await assert.rejects(() => backend.ask(REQUEST, signal), BackendError);
  assert.equal(store.map.size, 0);
  inner.error = null;
  await backend.ask(REQUEST, signal);
  assert.equal(inner.calls, 2);
  assert.equal(store.map.size, 1);
});

Deno.test("CachedBackend gives the wrapped backend's advice for a model gone", async () => {
  const inner = new CountingBackend();
  const withAdvice = Object.assign(inner, {
    advice: (e: BackendError) =>
      e.kind === "model_not_found" ? "Run `ollama pull llama3.2`" : null,
  });
  const { backend } = await wrapped(new MapStore(), withAdvice);
  const gone = new BackendError("model not found", {
    kind: "model_not_found",
    retryable: false,
  });
  assert.equal(backend.advice(gone), "Run `ollama pull llama3.2`");
  const other = new BackendError("HTTP 500", {
    kind: "http_5xx",
    retryable: true,
  });
  assert.equal(backend.advice(other), null);
});

Deno.test("CachedBackend shares answers between servers with the same digest", async () => {
  const store = new MapStore();
  const a = await wrapped(store, new CountingBackend("http://a:11434"));
  const b = await wrapped(store, new CountingBackend("http://b:9999"));
  await a.backend.ask(REQUEST, signal);
  const got = await b.backend.ask(REQUEST, signal);
  assert.equal(b.inner.calls, 0);
  assert.equal(got.cached, true);
});

Deno.test("CachedBackend asks again after a re-pull (new digest)", async () => {
  const store = new MapStore();
  const first = await wrapped(store);
  await first.backend.ask(REQUEST, signal);
  const pulled = await wrapped(
    store,
    new CountingBackend("http://a:11434", { ...INFO, digest: "sha256:bbbb" }),
  );
  const got = await pulled.backend.ask(REQUEST, signal);
  assert.equal(pulled.inner.calls, 1);
  assert.equal(got.cached, undefined);
});

Deno.test("CachedBackend does not cache an Ollama model without a digest, and says so", async () => {
  const store = new MapStore();
  const { backend, inner, warnings } = await wrapped(
    store,
    new CountingBackend("http://a:11434", { ...INFO, digest: null }),
  );
  await backend.ask(REQUEST, signal);
  await backend.ask(REQUEST, signal);
  assert.equal(inner.calls, 2);
  assert.equal(store.map.size, 0);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /no model digest.*not cached/);
});

Deno.test("CachedBackend caches an OpenAI-compatible model and warns it cannot see re-pulls", async () => {
  const store = new MapStore();
  const { backend, inner, warnings } = await wrapped(
    store,
    new CountingBackend("http://a:8000/v1", {
      ...INFO,
      digest: null,
      serverVersion: null,
    }),
    { kind: "openai", model: "llama3.2" },
  );
  await backend.ask(REQUEST, signal);
  assert.equal((await backend.ask(REQUEST, signal)).cached, true);
  assert.equal(inner.calls, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /cannot tell when the model's weights change/);
});

Deno.test("CachedBackend goes on uncached after one warning when the store fails", async () => {
  const store = new MapStore();
  const { backend, inner, gate, warnings } = await wrapped(store);
  store.failWith = new Error("Cannot read the cache: database is locked");
  const a = await backend.ask(REQUEST, signal);
  const b = await backend.ask(REQUEST, signal);
  assert.deepEqual([a.content, b.content], [REPLY.content, REPLY.content]);
  assert.equal(inner.calls, 2);
  assert.equal(gate.enabled, false);
  assert.deepEqual(warnings, [
    "Cannot read the cache: database is locked; the run goes on without the cache",
  ]);
});

Deno.test("CachedBackend asks live when a stored value does not decode", async () => {
  const store = new MapStore();
  const { backend, inner } = await wrapped(store);
  await backend.ask(REQUEST, signal);
  const [key] = [...store.map.keys()];
  store.map.set(key!, '{"content": 5}');
  const got = await backend.ask(REQUEST, signal);
  assert.equal(inner.calls, 2);
  assert.equal(got.cached, undefined);
  assert.deepEqual(decodeReply(store.map.get(key!)!), REPLY);
});

Deno.test("cacheKey() changes with every request field and the model version", async (t) => {
  const base = cacheKey(OLLAMA, "sha256:aa", REQUEST, 0);
  const variants: Record<string, Partial<AskRequest>> = {
    messages: { messages: [{ role: "user", content: "Question 2?" }] },
    rawPrompt: { messages: null, rawPrompt: "Question 1? Answer:" },
    letters: { letters: ["A", "B", "C"] },
    structured: { structured: false },
    maxTokens: { maxTokens: 65 },
    think: { think: true },
    topLogprobs: { topLogprobs: 20 },
    temperature: { temperature: 0.7 },
    seed: { seed: 1 },
    topK: { topK: 40 },
    topP: { topP: 0.95 },
    numCtx: { numCtx: null },
  };
  assert.deepEqual(
    Object.keys(variants).sort(),
    Object.keys(REQUEST).filter((k) => k !== "questionId").sort(),
    "every AskRequest field sent to a server has a case",
  );
  for (const [name, change] of Object.entries(variants)) {
    await t.step(name, () => {
      assert.notEqual(
        cacheKey(OLLAMA, "sha256:aa", { ...REQUEST, ...change }, 0),
        base,
      );
    });
  }
  await t.step("not the question id, which no server sees", () => {
    assert.equal(
      cacheKey(OLLAMA, "sha256:aa", { ...REQUEST, questionId: "b.csv:9" }, 0),
      base,
    );
  });
  await t.step("model version", () => {
    assert.notEqual(cacheKey(OLLAMA, "sha256:bb", REQUEST, 0), base);
  });
  await t.step("backend kind", () => {
    assert.notEqual(
      cacheKey({ kind: "openai", model: "llama3.2" }, "sha256:aa", REQUEST, 0),
      base,
    );
  });
  await t.step("not the key order of the request object", () => {
    const reversed = Object.fromEntries(
      Object.entries(REQUEST).reverse(),
    ) as unknown as AskRequest;
    assert.equal(cacheKey(OLLAMA, "sha256:aa", reversed, 0), base);
  });
});

Deno.test("cacheKey() holds the repeat number only above temperature 0", () => {
  const warm = { ...REQUEST, temperature: 0.8 };
  assert.equal(
    cacheKey(OLLAMA, "d", REQUEST, 0),
    cacheKey(OLLAMA, "d", REQUEST, 2),
  );
  assert.notEqual(
    cacheKey(OLLAMA, "d", warm, 0),
    cacheKey(OLLAMA, "d", warm, 2),
  );
});

Deno.test("decodeReply() reads back what encodeReply() wrote and rejects other shapes", () => {
  assert.deepEqual(decodeReply(encodeReply(REPLY)), REPLY);
  assert.deepEqual(
    decodeReply(encodeReply({ ...REPLY, cached: true })),
    REPLY,
  );
  for (
    const bad of [
      "not json",
      "[]",
      "null",
      '{"content":"x"}',
      encodeReply(REPLY).replace('"stop"', "7"),
    ]
  ) {
    assert.equal(decodeReply(bad), null, bad);
  }
});

function openCache(
  dir: string,
  warnings: string[],
  backend: "ollama" | "openai" = "ollama",
) {
  return openRunCache(
    {
      cache: true,
      cacheDir: dir,
      backend,
      mockAccuracy: 0.7,
      seed: 1234,
    },
    "llama3.2",
    (m) => warnings.push(m),
  );
}

/** One run through a run cache in `dir`: REQUEST asked once, then verified. */
async function askInOneRun(
  dir: string,
  server: Backend,
  opts: {
    backend?: "ollama" | "openai";
    /** What the preflight saw; INFO unless given. */
    preflight?: ModelInfo;
    /** Called after the cache was opened, before REQUEST is asked. */
    beforeAsk?: () => void;
  } = {},
): Promise<{ reply: AskResponse; warnings: string[] }> {
  const warnings: string[] = [];
  const run = openCache(dir, warnings, opts.backend);
  try {
    const [backend] = run.wrap([server], opts.preflight ?? INFO);
    opts.beforeAsk?.();
    const reply = await backend!.ask(REQUEST, signal);
    await run.verify([backend!], signal);
    return { reply, warnings };
  } finally {
    run.close();
  }
}

/** REQUEST asked through a new run's cache, the model as `preflight` says. */
async function askInNextRun(
  dir: string,
  server: Backend,
  backend: "ollama" | "openai" = "ollama",
  preflight: ModelInfo = INFO,
): Promise<AskResponse> {
  const run = openCache(dir, [], backend);
  const [wrapped] = run.wrap([server], preflight);
  try {
    return await wrapped!.ask(REQUEST, signal);
  } finally {
    run.close();
  }
}

Deno.test("openRunCache() forgets a run's answers when the model was re-pulled during it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = new CountingBackend();
    const { reply: first, warnings } = await askInOneRun(dir, server, {
      beforeAsk: () => {
        server.info = { ...INFO, digest: "sha256:" + "b".repeat(64) }; // ollama pull
      },
    });
    assert.equal(first.content, '{"answer":"B"}');
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /llama3\.2 changed .* \(version aaaa is now bbbbbbbbbbbb\): this run's results may mix two builds/,
    );

    // The old build again: its key must not give the new build's answer.
    server.info = { ...INFO };
    const reply = await askInNextRun(dir, server);
    assert.equal(reply.cached, undefined, "asked live");
    assert.equal(server.calls, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openRunCache() keeps a run's answers when the model stayed the same", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = new CountingBackend();
    const { warnings } = await askInOneRun(dir, server);
    assert.deepEqual(warnings, []);
    assert.equal((await askInNextRun(dir, server)).cached, true);
    assert.equal(server.calls, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openRunCache() sees no re-pull on an endpoint that reports another server version but no digest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = new CountingBackend();
    server.info = { ...INFO, digest: null, serverVersion: "vllm 0.9" };
    // The preflight's info came from another endpoint, on another version.
    const preflight = { ...INFO, digest: null, serverVersion: "vllm 0.8" };
    const { warnings } = await askInOneRun(dir, server, {
      backend: "openai",
      preflight,
    });
    assert.equal(warnings.filter((w) => /changed/.test(w)).length, 0);
    // Nothing was forgotten: the next run gets the answer from the cache.
    const again = await askInNextRun(dir, server, "openai", preflight);
    assert.equal(again.cached, true);
    assert.equal(server.calls, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
