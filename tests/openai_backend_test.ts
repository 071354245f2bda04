import assert from "node:assert/strict";
import type { AskRequest } from "../src/backend/backend.ts";
import { OpenAIBackend } from "../src/backend/openai.ts";
import { BackendError, RunAbortedError } from "../src/errors.ts";
import { closedPort, startFakeOpenAI } from "./fake_openai.ts";

const MODEL = "llama3.2:latest";
const KEY = "sk-test-SECRET-0123456789";

function askRequest(overrides: Partial<AskRequest> = {}): AskRequest {
  return {
    questionId: "q.csv:1",
    messages: [{ role: "user", content: "What is 2+2?\nA. 3\nB. 4\nAnswer:" }],
    rawPrompt: null,
    letters: ["A", "B", "C", "D"],
    structured: false,
    maxTokens: 64,
    think: null,
    topLogprobs: 0,
    temperature: 0,
    seed: 42,
    topK: 1,
    topP: 1,
    numCtx: null,
    ...overrides,
  };
}

function signal(): AbortSignal {
  return AbortSignal.timeout(5000);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

Deno.test("OpenAIBackend.ask() sends the chat body with schema, sampling and bearer key", async () => {
  await using fake = startFakeOpenAI({ models: [MODEL], apiKey: KEY });
  const backend = new OpenAIBackend({
    baseUrl: fake.url,
    model: MODEL,
    apiKey: KEY,
  });
  const reply = await backend.ask(
    askRequest({ structured: true, letters: ["A", "B", "C"] }),
    signal(),
  );
  assert.equal(reply.content, '{"answer":"A"}');
  const sent = fake.requests.at(-1);
  assert.equal(sent?.path, "/v1/chat/completions");
  assert.equal(sent?.headers["authorization"], `Bearer ${KEY}`);
  assert.deepEqual(sent?.body, {
    model: MODEL,
    messages: askRequest().messages,
    stream: false,
    "max_tokens": 64,
    temperature: 0,
    seed: 42,
    "top_p": 1,
    "response_format": {
      type: "json_schema",
      "json_schema": {
        name: "answer",
        schema: {
          type: "object",
          properties: { answer: { type: "string", enum: ["A", "B", "C"] } },
          required: ["answer"],
          additionalProperties: false,
        },
        strict: true,
      },
    },
  });
});

Deno.test("OpenAIBackend.ask() sends no authorization header without a key", async () => {
  await using fake = startFakeOpenAI({ models: [MODEL] });
  const backend = new OpenAIBackend({
    baseUrl: fake.url,
    model: MODEL,
    apiKey: null,
  });
  await backend.ask(askRequest({ think: false }), signal());
  const sent = fake.requests.at(-1);
  assert.equal(sent?.headers["authorization"], undefined);
  const body = sent?.body as Record<string, unknown>;
  assert.equal(body["response_format"], undefined);
  assert.equal(body["reasoning_effort"], "none");
  assert.equal(body.logprobs, undefined);
});

Deno.test("OpenAIBackend.ask() keeps reasoning apart and records usage and finish reason", async () => {
  await using fake = startFakeOpenAI({
    models: [MODEL],
    reply: () => ({
      content: "The answer is (B).",
      reasoning: "2+2 is 4, which is option B",
      finishReason: "stop",
    }),
  });
  const backend = new OpenAIBackend({
    baseUrl: fake.url,
    model: MODEL,
    apiKey: null,
  });
  const reply = await backend.ask(askRequest(), signal());
  assert.equal(reply.content, "The answer is (B).");
  assert.equal(reply.thinking, "2+2 is 4, which is option B");
  assert.equal(reply.doneReason, "stop");
  assert.equal(reply.promptTokens, 8);
  // 4 content tokens + 7 reasoning tokens in the fake's tokenizer.
  assert.equal(reply.evalTokens, 11);
  assert.equal(reply.evalDurationNs, null);
  assert.equal(reply.firstTokenTopLogprobs, null);
});

Deno.test("OpenAIBackend.ask() reports a capped reply as length", async () => {
  await using fake = startFakeOpenAI({
    models: [MODEL],
    reply: () => ({ content: "Let me think about this step by step first" }),
  });
  const backend = new OpenAIBackend({
    baseUrl: fake.url,
    model: MODEL,
    apiKey: null,
  });
  const reply = await backend.ask(askRequest({ maxTokens: 3 }), signal());
  assert.equal(reply.content, "Let me think");
  assert.equal(reply.doneReason, "length");
  assert.equal(reply.evalTokens, 3);
});

Deno.test("OpenAIBackend.ask() reads reasoning_content and inline <think> blocks", async (t) => {
  const bodies: [string, Record<string, unknown>, string, string | null][] = [
    [
      "reasoning_content",
      { role: "assistant", content: "B", "reasoning_content": "hmm" },
      "B",
      "hmm",
    ],
    [
      "inline think",
      { role: "assistant", content: "<think>A or B?</think>\n\nB" },
      "B",
      "A or B?",
    ],
    ["null content", { role: "assistant", content: null }, "", null],
  ];
  for (const [name, message, content, thinking] of bodies) {
    await t.step(name, async () => {
      const backend = new OpenAIBackend({
        baseUrl: "http://127.0.0.1:9/v1",
        model: MODEL,
        apiKey: null,
      }, {
        fetch: () =>
          Promise.resolve(
            Response.json({
              choices: [{ index: 0, message, "finish_reason": "stop" }],
            }),
          ),
      });
      const reply = await backend.ask(askRequest(), signal());
      assert.equal(reply.content, content);
      assert.equal(reply.thinking, thinking);
      assert.equal(reply.promptTokens, null);
    });
  }
});

Deno.test("OpenAIBackend.ask() sends a raw prompt as one user message and returns first-token logprobs", async () => {
  await using fake = startFakeOpenAI({
    models: [MODEL],
    reply: () => ({ content: "B" }),
  });
  const backend = new OpenAIBackend({
    baseUrl: fake.url,
    model: MODEL,
    apiKey: null,
  });
  const reply = await backend.ask(
    askRequest({
      messages: null,
      rawPrompt: "Question?\nA. x\nB. y\nAnswer:",
      maxTokens: 1,
      topLogprobs: 5,
    }),
    signal(),
  );
  const body = fake.requests.at(-1)?.body as Record<string, unknown>;
  assert.deepEqual(body.messages, [
    { role: "user", content: "Question?\nA. x\nB. y\nAnswer:" },
  ]);
  assert.equal(body.logprobs, true);
  assert.equal(body["top_logprobs"], 5);
  assert.equal(reply.content, "B");
  assert.deepEqual(reply.firstTokenTopLogprobs, [
    { token: "B", logprob: -0.01 },
    { token: "A", logprob: -4.5 },
    { token: "C", logprob: -5.5 },
    { token: "D", logprob: -6.5 },
    { token: " A", logprob: -7.5 },
  ]);
});

Deno.test("OpenAIBackend.ask() turns failures into classified BackendErrors", async (t) => {
  const cases: {
    fault: "500" | "503" | "429" | "reset" | "malformed" | "no_choices";
    kind: string;
    status: number | null;
    message: RegExp;
    retryAfter: number | null;
  }[] = [
    {
      fault: "500",
      kind: "http_5xx",
      status: 500,
      message: /^model runner has unexpectedly stopped/,
      retryAfter: null,
    },
    {
      fault: "503",
      kind: "busy",
      status: 503,
      message: /^server busy, please try again\. {2}maximum pending/,
      retryAfter: 2,
    },
    {
      fault: "429",
      kind: "rate_limited",
      status: 429,
      message: /^rate limit exceeded$/,
      retryAfter: 2,
    },
    {
      fault: "reset",
      kind: "network",
      status: null,
      message: /^Network error: /,
      retryAfter: null,
    },
    {
      fault: "malformed",
      kind: "malformed",
      status: 200,
      message: /not JSON/,
      retryAfter: null,
    },
    {
      fault: "no_choices",
      kind: "malformed",
      status: 200,
      message: /no choices/,
      retryAfter: null,
    },
  ];
  for (const c of cases) {
    await t.step(c.fault, async () => {
      await using fake = startFakeOpenAI({
        models: [MODEL],
        fault: () => c.fault,
        retryAfter: 2,
      });
      const backend = new OpenAIBackend({
        baseUrl: fake.url,
        model: MODEL,
        apiKey: null,
      });
      const err = await rejection(backend.ask(askRequest(), signal()));
      assert.ok(err instanceof BackendError, String(err));
      assert.equal(err.kind, c.kind);
      assert.equal(err.status, c.status);
      assert.equal(err.retryable, true);
      assert.match(err.message, c.message);
      assert.equal(err.retryAfterSeconds, c.retryAfter);
    });
  }
});

Deno.test("OpenAIBackend.ask() does not retry 4xx and flags a missing model", async (t) => {
  await t.step("unknown model: 404 model_not_found", async () => {
    await using fake = startFakeOpenAI({ models: [MODEL] });
    const backend = new OpenAIBackend({
      baseUrl: fake.url,
      model: "foo",
      apiKey: null,
    });
    const err = await rejection(backend.ask(askRequest(), signal()));
    assert.ok(err instanceof BackendError);
    assert.equal(err.message, "model 'foo' not found");
    assert.equal(err.kind, "model_not_found");
    assert.equal(err.status, 404);
    assert.equal(err.retryable, false);
    // The advice speaks of this server, never of Ollama's commands.
    const advice = backend.advice(err) ?? "";
    assert.match(advice, /serves "foo" again/);
    assert.ok(advice.includes(`${fake.url}/models`), advice);
    assert.doesNotMatch(advice, /ollama/i);
    assert.equal(
      backend.advice(new BackendError("x", { kind: "busy", retryable: true })),
      null,
    );
  });
  await t.step("top_logprobs out of range: 400 http_4xx", async () => {
    await using fake = startFakeOpenAI({ models: [MODEL] });
    const backend = new OpenAIBackend({
      baseUrl: fake.url,
      model: MODEL,
      apiKey: null,
    });
    const err = await rejection(
      backend.ask(askRequest({ topLogprobs: 21 }), signal()),
    );
    assert.ok(err instanceof BackendError);
    assert.equal(err.message, "top_logprobs must be between 0 and 20");
    assert.equal(err.kind, "http_4xx");
    assert.equal(err.retryable, false);
  });
  await t.step("wrong base URL: 404 plain text", async () => {
    await using fake = startFakeOpenAI({ models: [MODEL] });
    const backend = new OpenAIBackend({
      baseUrl: fake.url.replace(/\/v1$/, "/v2"),
      model: MODEL,
      apiKey: null,
    });
    const err = await rejection(backend.ask(askRequest(), signal()));
    assert.ok(err instanceof BackendError);
    assert.equal(err.message, "HTTP 404 Not Found");
    assert.equal(err.kind, "http_4xx");
  });
});

Deno.test("OpenAIBackend.ask() reports a timeout and an interrupted run", async (t) => {
  await using fake = startFakeOpenAI({
    models: [MODEL],
    fault: () => "stall",
  });
  const backend = new OpenAIBackend({
    baseUrl: fake.url,
    model: MODEL,
    apiKey: null,
  });
  await t.step("timeout", async () => {
    const err = await rejection(
      backend.ask(askRequest(), AbortSignal.timeout(50)),
    );
    assert.ok(err instanceof BackendError);
    assert.equal(err.kind, "timeout");
    assert.equal(err.retryable, true);
  });
  await t.step("abort", async () => {
    const controller = new AbortController();
    const pending = rejection(backend.ask(askRequest(), controller.signal));
    setTimeout(() => controller.abort(), 20);
    const err = await pending;
    assert.ok(err instanceof BackendError);
    assert.equal(err.kind, "interrupted");
    assert.equal(err.retryable, false);
  });
});

Deno.test("OpenAIBackend.preflight() returns ModelInfo for a listed model", async () => {
  await using fake = startFakeOpenAI({ models: ["qwen3:8b", MODEL] });
  const backend = new OpenAIBackend({
    baseUrl: `${fake.url}/`,
    model: "llama3.2",
    apiKey: null,
  });
  const info = await backend.preflight(signal());
  assert.deepEqual(info, {
    name: "llama3.2",
    serverVersion: null,
    digest: null,
    family: null,
    parameterSize: null,
    quantization: null,
    capabilities: [],
    contextLength: null,
  });
  assert.equal(fake.requests[0]?.path, "/v1/models");
  assert.equal(fake.requests[0]?.method, "GET");
  assert.equal(backend.endpoint, fake.url);
});

Deno.test("OpenAIBackend.preflight() aborts the run with a message saying what to do", async (t) => {
  await t.step("unreachable server", async () => {
    const url = `http://127.0.0.1:${closedPort()}/v1`;
    const backend = new OpenAIBackend({
      baseUrl: url,
      model: MODEL,
      apiKey: KEY,
    });
    const err = await rejection(backend.preflight(signal()));
    assert.ok(err instanceof RunAbortedError, String(err));
    assert.equal(err.exitCode, 1);
    assert.match(
      err.message,
      new RegExp(
        `^Cannot reach the OpenAI-compatible server at ${url}: .*refused.*\\. Is it running\\?$`,
        "i",
      ),
    );
    // Not the runtime's wrappers, which repeat the URL (a 200-character line).
    assert.doesNotMatch(err.message, /error sending request|os error/);
  });
  await t.step("bad key", async () => {
    await using fake = startFakeOpenAI({ models: [MODEL], apiKey: KEY });
    const backend = new OpenAIBackend({
      baseUrl: fake.url,
      model: MODEL,
      apiKey: "sk-wrong-key-999",
    });
    const err = await rejection(backend.preflight(signal()));
    assert.ok(err instanceof RunAbortedError);
    assert.equal(err.exitCode, 2);
    assert.equal(
      err.message,
      `The OpenAI-compatible server at ${fake.url} rejected the API key (401): set LLM_BENCH_API_KEY`,
    );
    assert.ok(!JSON.stringify([String(err), err.message]).includes("sk-wrong"));
  });
  await t.step("key missing", async () => {
    await using fake = startFakeOpenAI({ models: [MODEL], apiKey: KEY });
    const backend = new OpenAIBackend({
      baseUrl: fake.url,
      model: MODEL,
      apiKey: null,
    });
    const err = await rejection(backend.preflight(signal()));
    assert.ok(err instanceof RunAbortedError);
    assert.match(
      err.message,
      /requires an API key \(401\): set LLM_BENCH_API_KEY$/,
    );
  });
  await t.step("model not listed: lists the first 20", async () => {
    const models = Array.from({ length: 23 }, (_, i) => `m${i}:latest`);
    await using fake = startFakeOpenAI({ models });
    const backend = new OpenAIBackend({
      baseUrl: fake.url,
      model: "foo",
      apiKey: null,
    });
    const err = await rejection(backend.preflight(signal()));
    assert.ok(err instanceof RunAbortedError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /^Cannot use model "foo"/);
    assert.match(err.message, /"m0:latest", "m1:latest", /);
    assert.match(err.message, /"m19:latest" \(and 3 more\)$/);
    assert.ok(!err.message.includes("m20:latest"));
  });
  await t.step("no models at all (data: null)", async () => {
    await using fake = startFakeOpenAI({ models: [] });
    const backend = new OpenAIBackend({
      baseUrl: fake.url,
      model: MODEL,
      apiKey: null,
    });
    const err = await rejection(backend.preflight(signal()));
    assert.ok(err instanceof RunAbortedError);
    assert.match(err.message, /The server lists no models\.$/);
  });
  await t.step("base URL without /v1", async () => {
    await using fake = startFakeOpenAI({ models: [MODEL] });
    const backend = new OpenAIBackend({
      baseUrl: fake.url.replace(/\/v1$/, ""),
      model: MODEL,
      apiKey: null,
    });
    const err = await rejection(backend.preflight(signal()));
    assert.ok(err instanceof RunAbortedError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /HTTP 404.*check the base URL/);
  });
});

/** Everything an error exposes, cause chain included. */
function everything(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 10 && current !== undefined; depth++) {
    parts.push(String(current), JSON.stringify(current) ?? "");
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? "");
      current = current.cause;
    } else {
      break;
    }
  }
  return parts.join("\n");
}

Deno.test("OpenAIBackend never puts the API key in errors or the endpoint", async (t) => {
  await using fake = startFakeOpenAI({
    models: [MODEL],
    apiKey: KEY,
    fault: (body) => {
      const content = JSON.stringify(body.messages);
      const faults = [
        "500",
        "503",
        "429",
        "reset",
        "malformed",
        "stall",
      ] as const;
      for (const f of faults) {
        if (content.includes(`fault:${f}`)) return f;
      }
      return null;
    },
  });
  const secretUrl = `${fake.url}?api_key=${KEY}`;
  const backend = new OpenAIBackend({
    baseUrl: secretUrl,
    model: MODEL,
    apiKey: KEY,
  });
  assert.ok(!backend.endpoint.includes(KEY));
  const failures: [string, () => Promise<unknown>][] = [
    ...["500", "503", "429", "reset", "malformed"].map((
      f,
    ): [string, () => Promise<unknown>] => [
      f,
      () =>
        backend.ask(
          askRequest({ messages: [{ role: "user", content: `fault:${f}` }] }),
          signal(),
        ),
    ]),
    [
      "unknown model",
      () =>
        new OpenAIBackend({ baseUrl: secretUrl, model: "nope", apiKey: KEY })
          .ask(askRequest(), signal()),
    ],
    [
      "missing model at preflight",
      () =>
        new OpenAIBackend({ baseUrl: secretUrl, model: "nope", apiKey: KEY })
          .preflight(signal()),
    ],
    [
      "timeout",
      () =>
        backend.ask(
          askRequest({ messages: [{ role: "user", content: "fault:stall" }] }),
          AbortSignal.timeout(30),
        ),
    ],
    [
      "unreachable, key in the URL too",
      () =>
        new OpenAIBackend({
          baseUrl: `http://u:${KEY}@127.0.0.1:${closedPort()}/v1?token=${KEY}`,
          model: MODEL,
          apiKey: KEY,
        }).preflight(signal()),
    ],
    [
      "unreachable at ask",
      () =>
        new OpenAIBackend({
          baseUrl: `http://127.0.0.1:${closedPort()}/v1?key=${KEY}`,
          model: MODEL,
          apiKey: KEY,
        }).ask(askRequest(), signal()),
    ],
    [
      "server echoes the key in its error",
      () =>
        new OpenAIBackend({ baseUrl: fake.url, model: MODEL, apiKey: KEY }, {
          fetch: (_input, init) =>
            Promise.resolve(
              Response.json({
                error: {
                  message: `bad header ${
                    new Headers(init?.headers).get("authorization")
                  }`,
                },
              }, { status: 401 }),
            ),
        }).ask(askRequest(), signal()),
    ],
    [
      "fetch throws with the key in its message",
      () =>
        new OpenAIBackend({ baseUrl: fake.url, model: MODEL, apiKey: KEY }, {
          fetch: () =>
            Promise.reject(
              new TypeError("fetch failed", {
                cause: new Error(`proxy refused Bearer ${KEY}`),
              }),
            ),
        }).preflight(signal()),
    ],
  ];
  for (const [name, run] of failures) {
    await t.step(name, async () => {
      const err = await rejection(run());
      assert.ok(
        err instanceof BackendError || err instanceof RunAbortedError,
        String(err),
      );
      const exposed = everything(err);
      assert.ok(!exposed.includes(KEY), `key leaked in: ${exposed}`);
    });
  }
});

Deno.test("new OpenAIBackend() rejects a non-http base URL", () => {
  assert.throws(
    () =>
      new OpenAIBackend({ baseUrl: "ftp://h/v1", model: MODEL, apiKey: null }),
    TypeError,
  );
});
