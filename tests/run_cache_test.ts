import assert from "node:assert/strict";
import type {
  AskRequest,
  AskResponse,
  Backend,
  ModelInfo,
} from "../src/backend/backend.ts";
import { openRunCache } from "../src/commands/run_cache.ts";

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
  digest: "sha256:" + "a".repeat(64),
  family: "llama",
  parameterSize: "3B",
  quantization: "Q4_K_M",
  capabilities: ["completion"],
  contextLength: 131072,
};

/** A server whose model can be re-pulled (new digest) at any time. */
class Server implements Backend {
  readonly endpoint = "http://127.0.0.1:1";
  info: ModelInfo = { ...INFO };
  calls = 0;
  preflight(): Promise<ModelInfo> {
    return Promise.resolve({ ...this.info });
  }
  ask(): Promise<AskResponse> {
    this.calls++;
    return Promise.resolve({
      content: `{"answer":"${this.info.digest === INFO.digest ? "A" : "B"}"}`,
      thinking: null,
      doneReason: "stop",
      promptTokens: 10,
      evalTokens: 3,
      evalDurationNs: 1000,
      firstTokenTopLogprobs: null,
    });
  }
  unload(): Promise<void> {
    return Promise.resolve();
  }
}

const signal = new AbortController().signal;

function open(dir: string, warnings: string[]) {
  return openRunCache(
    {
      cache: true,
      cacheDir: dir,
      backend: "ollama",
      mockAccuracy: 0.7,
      seed: 1234,
    },
    "llama3.2",
    (m) => warnings.push(m),
  );
}

Deno.test("openRunCache() forgets a run's answers when the model was re-pulled during it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = new Server();
    const warnings: string[] = [];
    const run = open(dir, warnings);
    const [backend] = run.wrap([server], INFO);
    server.info = { ...INFO, digest: "sha256:" + "b".repeat(64) }; // ollama pull
    assert.equal(
      (await backend!.ask(REQUEST, signal)).content,
      '{"answer":"B"}',
    );
    await run.verify([backend!], signal);
    run.close();
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /llama3\.2 changed .* \(version aaaaaaaaaaaa is now bbbbbbbbbbbb\): this run's results may mix two builds/,
    );

    // The old build again: its key must not give the new build's answer.
    server.info = { ...INFO };
    const again = open(dir, []);
    const [old] = again.wrap([server], INFO);
    const reply = await old!.ask(REQUEST, signal);
    again.close();
    assert.equal(reply.cached, undefined, "asked live");
    assert.equal(reply.content, '{"answer":"A"}');
    assert.equal(server.calls, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openRunCache() keeps a run's answers when the model stayed the same", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = new Server();
    const warnings: string[] = [];
    const run = open(dir, warnings);
    const [backend] = run.wrap([server], INFO);
    await backend!.ask(REQUEST, signal);
    await run.verify([backend!], signal);
    run.close();
    assert.deepEqual(warnings, []);
    const again = open(dir, []);
    const [same] = again.wrap([server], INFO);
    assert.equal((await same!.ask(REQUEST, signal)).cached, true);
    again.close();
    assert.equal(server.calls, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openRunCache() sees no re-pull on an endpoint that reports another server version but no digest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const server = new Server();
    server.info = { ...INFO, digest: null, serverVersion: "vllm 0.9" };
    const warnings: string[] = [];
    const run = openRunCache(
      {
        cache: true,
        cacheDir: dir,
        backend: "openai",
        mockAccuracy: 0.7,
        seed: 1234,
      },
      "llama3.2",
      (m) => warnings.push(m),
    );
    // The preflight's info came from another endpoint, on another version.
    const [backend] = run.wrap([server], {
      ...INFO,
      digest: null,
      serverVersion: "vllm 0.8",
    });
    await backend!.ask(REQUEST, signal);
    await run.verify([backend!], signal);
    run.close();
    assert.equal(warnings.filter((w) => /changed/.test(w)).length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
