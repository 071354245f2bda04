// Proves the fake Ollama is faithful to Ollama's HTTP API (v0.33.0-rc2) as a plain
// fetch client sees it: statuses, exact error bodies, NDJSON framing, metrics,
// thinking, truncation, faults and NUM_PARALLEL slot limiting.

import assert from "node:assert/strict";
import {
  BUSY_MESSAGE,
  type FakeOllamaOptions,
  fakeTokens,
  MIDSTREAM_MESSAGE,
  normaliseModelName,
  RUNNER_STOPPED_MESSAGE,
  startFakeOllama,
} from "./fake_ollama.ts";

interface Got {
  status: number;
  type: string | null;
  text: string;
}

async function call(
  url: string,
  path: string,
  body?: unknown,
  init: RequestInit = {},
): Promise<Got> {
  const res = await fetch(url + path, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined
      ? undefined
      : typeof body === "string"
      ? body
      : JSON.stringify(body),
    ...init,
  });
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    text: await res.text(),
  };
}

function lines(text: string): Record<string, unknown>[] {
  assert.ok(text.endsWith("\n"), `NDJSON must end with a newline: ${text}`);
  return text.slice(0, -1).split("\n").map((l) => JSON.parse(l));
}

const METRICS = [
  "total_duration",
  "load_duration",
  "prompt_eval_count",
  "prompt_eval_duration",
  "eval_count",
  "eval_duration",
];

const CHAT = (content: string, extra: Record<string, unknown> = {}) => ({
  model: "llama3.2",
  messages: [{ role: "user", content }],
  ...extra,
});

const QWEN: FakeOllamaOptions = {
  models: [{ name: "llama3.2:latest" }, {
    name: "qwen3:8b",
    capabilities: ["completion", "thinking"],
    family: "qwen3",
    contextLength: 40960,
    parameters: { temperature: 0.6, stop: ["<|im_end|>"] },
  }],
};

Deno.test("fakeTokens() splits text into pieces that join back to it", () => {
  assert.deepEqual(fakeTokens("The answer is B"), [
    "The",
    " answ",
    "er",
    " is",
    " B",
  ]);
  assert.equal(fakeTokens(" a\n\nbc  ").join(""), " a\n\nbc  ");
  assert.equal(normaliseModelName("Llama3.2"), "llama3.2:latest");
  assert.equal(normaliseModelName("qwen3:8b"), "qwen3:8b");
});

Deno.test("startFakeOllama() serves health and catalogue endpoints", async (t) => {
  await using fake = await startFakeOllama(QWEN);
  await t.step("GET and HEAD / say Ollama is running", async () => {
    assert.deepEqual(await call(fake.url, "/"), {
      status: 200,
      type: "text/plain; charset=utf-8",
      text: "Ollama is running",
    });
    const head = await call(fake.url, "/", undefined, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
  });
  await t.step("/api/version", async () => {
    const got = await call(fake.url, "/api/version");
    assert.equal(got.text, '{"version":"0.33.0-rc2"}');
    assert.equal(got.type, "application/json; charset=utf-8");
  });
  await t.step("/api/tags lists models with details", async () => {
    const got = JSON.parse((await call(fake.url, "/api/tags")).text);
    assert.equal(got.models.length, 2);
    const m = got.models[0];
    assert.equal(m.name, "llama3.2:latest");
    assert.equal(m.model, "llama3.2:latest");
    assert.match(m.digest, /^[0-9a-f]{64}$/);
    assert.deepEqual(m.details, {
      "parent_model": "",
      format: "gguf",
      family: "llama",
      families: ["llama"],
      "parameter_size": "3.2B",
      "quantization_level": "Q4_K_M",
    });
    assert.ok(m["modified_at"] > got.models[1]["modified_at"], "newest first");
  });
  await t.step(
    "/api/show reports capabilities and context length",
    async () => {
      const got = await call(fake.url, "/api/show", { model: "qwen3:8b" });
      assert.equal(got.status, 200);
      const show = JSON.parse(got.text);
      assert.deepEqual(show.capabilities, ["completion", "thinking"]);
      assert.equal(show["model_info"]["general.architecture"], "qwen3");
      assert.equal(show["model_info"]["qwen3.context_length"], 40960);
      assert.match(
        show.parameters,
        /^temperature +0\.6\nstop +"<\|im_end\|>"$/,
      );
      const legacy = await call(fake.url, "/api/show", { name: "llama3.2" });
      assert.equal(legacy.status, 200);
    },
  );
  await t.step("/api/show errors", async () => {
    assert.deepEqual(await call(fake.url, "/api/show", {}), {
      status: 400,
      type: "application/json; charset=utf-8",
      text: '{"error":"model is required"}',
    });
    const missing = await call(fake.url, "/api/show", { model: "nope" });
    assert.equal(missing.status, 404);
    assert.equal(missing.text, `{"error":"model 'nope:latest' not found"}`);
  });
  await t.step(
    "unknown route 404 and wrong method 405 in plain text",
    async () => {
      const nf = await call(fake.url, "/api/nothing");
      assert.equal(nf.status, 404);
      assert.equal(nf.text, "404 page not found");
      const na = await call(fake.url, "/api/chat");
      assert.equal(na.status, 405);
      assert.equal(na.text, "405 method not allowed");
    },
  );
  await t.step("/api/ps is empty until a model is used", async () => {
    assert.equal((await call(fake.url, "/api/ps")).text, '{"models":[]}');
    await call(fake.url, "/api/chat", {
      ...CHAT("q"),
      options: { "num_ctx": 8192 },
    });
    const ps = JSON.parse((await call(fake.url, "/api/ps")).text);
    assert.equal(ps.models.length, 1);
    assert.equal(ps.models[0].name, "llama3.2:latest");
    assert.equal(ps.models[0]["context_length"], 8192);
  });
});

Deno.test("startFakeOllama() validates chat and generate in Ollama's order", async (t) => {
  await using fake = await startFakeOllama(QWEN);
  const cases: Array<[string, string, unknown, number, string]> = [
    ["empty body", "/api/chat", "", 400, "missing request body"],
    [
      "bad JSON",
      "/api/chat",
      "xyz",
      400,
      "invalid character 'x' looking for beginning of value",
    ],
    ["truncated JSON", "/api/generate", '{"model":', 400, "unexpected EOF"],
    [
      "trailing garbage",
      "/api/chat",
      '{"model":"llama3.2"}&',
      400,
      "invalid character '&' after top-level value",
    ],
    [
      "wrong field type",
      "/api/chat",
      { ...CHAT("q"), stream: "no" },
      400,
      "json: cannot unmarshal string into Go struct field ChatRequest.stream of type bool",
    ],
    [
      "top_logprobs before model checks",
      "/api/chat",
      { model: "nope", messages: [], "top_logprobs": 21 },
      400,
      "top_logprobs must be between 0 and 20",
    ],
    [
      "chat without model",
      "/api/chat",
      { messages: [] },
      400,
      "model is required",
    ],
    [
      "generate without model",
      "/api/generate",
      { prompt: "x" },
      404,
      "model '' not found",
    ],
    [
      "unknown model, name as sent",
      "/api/chat",
      { ...CHAT("q"), model: "Mistral" },
      404,
      "model 'Mistral' not found",
    ],
    [
      "think on a non-thinking model",
      "/api/chat",
      { ...CHAT("q"), think: true, options: { stop: "x" } },
      400,
      '"llama3.2" does not support thinking',
    ],
    [
      "invalid think value",
      "/api/chat",
      { ...CHAT("q"), think: "huge" },
      400,
      'invalid think value: "huge" (must be "high", "medium", "low", "max", true, or false)',
    ],
    [
      "stop not an array",
      "/api/chat",
      { ...CHAT("q"), options: { stop: "x" }, format: "yaml" },
      500,
      'option "stop" must be of type array',
    ],
    [
      "temperature not a number",
      "/api/generate",
      { model: "llama3.2", prompt: "q", options: { temperature: "0" } },
      500,
      'option "temperature" must be of type float32',
    ],
    [
      "invalid format",
      "/api/chat",
      { ...CHAT("q"), format: "yaml" },
      500,
      'invalid format: "\\"yaml\\""; expected "json" or a valid JSON Schema object',
    ],
    [
      "raw with system",
      "/api/generate",
      { model: "llama3.2", prompt: "q", raw: true, system: "s" },
      400,
      "raw mode does not support template, system, or context",
    ],
  ];
  for (const [name, path, body, status, message] of cases) {
    await t.step(name, async () => {
      const got = await call(fake.url, path, body);
      assert.equal(got.status, status);
      assert.equal(got.type, "application/json; charset=utf-8");
      assert.deepEqual(JSON.parse(got.text), { error: message });
    });
  }
  await t.step("accepted variants", async () => {
    for (
      const body of [
        { ...CHAT("q"), think: false, stream: false },
        { ...CHAT("q"), model: "LLAMA3.2:latest", stream: false },
        {
          ...CHAT("q"),
          stream: false,
          options: { mirostat: "ignored", "top_k": 2.7 },
        },
      ]
    ) {
      const got = await call(fake.url, "/api/chat", body);
      assert.equal(got.status, 200, got.text);
    }
  });
  // Bodies that parsed as objects are recorded, failing ones included.
  assert.equal(fake.requests.length, cases.length - 4 + 3);
  assert.equal(fake.requests[0]?.body.stream, "no");
});

Deno.test("startFakeOllama() answers empty messages or prompt with a load reply", async (t) => {
  await using fake = await startFakeOllama();
  await t.step("chat load, streaming requested", async () => {
    const got = await call(fake.url, "/api/chat", {
      model: "llama3.2",
      messages: [],
    });
    assert.equal(got.type, "application/json; charset=utf-8");
    const obj = JSON.parse(got.text);
    assert.deepEqual(obj.message, { role: "assistant", content: "" });
    assert.equal(obj.done, true);
    assert.equal(obj["done_reason"], "load");
    for (const k of METRICS) assert.equal(k in obj, false, k);
  });
  await t.step("generate unload with keep_alive 0", async () => {
    const got = await call(fake.url, "/api/generate", {
      model: "llama3.2",
      "keep_alive": 0,
    });
    const obj = JSON.parse(got.text);
    assert.equal(obj.response, "");
    assert.equal(obj["done_reason"], "unload");
    assert.equal((await call(fake.url, "/api/ps")).text, '{"models":[]}');
  });
});

Deno.test("startFakeOllama() streams NDJSON chunks then a final object with ns metrics", async (t) => {
  await using fake = await startFakeOllama({
    reply: () => ({ content: "The answer is B" }),
    chunkDelayMs: 1,
  });
  await t.step("chat", async () => {
    const got = await call(fake.url, "/api/chat", CHAT("q"));
    assert.equal(got.status, 200);
    assert.equal(got.type, "application/x-ndjson");
    const objs = lines(got.text);
    const chunks = objs.slice(0, -1);
    const final = objs.at(-1) ?? {};
    assert.equal(chunks.length, fakeTokens("The answer is B").length);
    for (const c of chunks) {
      assert.equal(c.done, false);
      assert.equal(c.model, "llama3.2");
      assert.equal((c.message as { role: string }).role, "assistant");
      for (const k of [...METRICS, "done_reason"]) assert.equal(k in c, false);
    }
    assert.equal(
      chunks.map((c) => (c.message as { content: string }).content).join(""),
      "The answer is B",
    );
    assert.equal(final.done, true);
    assert.equal(final["done_reason"], "stop");
    assert.deepEqual(final.message, { role: "assistant", content: "" });
    for (const k of METRICS) {
      assert.ok(Number.isInteger(final[k]) && (final[k] as number) > 0, k);
    }
    const n = (k: string) => final[k] as number;
    assert.ok(
      n("total_duration") >=
        n("load_duration") + n("prompt_eval_duration") + n("eval_duration"),
    );
    assert.equal(n("eval_count"), 5);
    assert.match(
      String(final["created_at"]),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/,
    );
  });
  await t.step("generate carries context unless raw", async () => {
    const plain = lines(
      (await call(fake.url, "/api/generate", {
        model: "llama3.2",
        prompt: "q",
      })).text,
    );
    const last = plain.at(-1) ?? {};
    assert.ok(Array.isArray(last.context) && last.context.length > 0);
    assert.equal(plain[0]?.response, "The");
    const raw = lines(
      (await call(fake.url, "/api/generate", {
        model: "llama3.2",
        prompt: "q",
        raw: true,
      })).text,
    );
    assert.equal("context" in (raw.at(-1) ?? {}), false);
  });
  await t.step("stream:false gives one JSON object", async () => {
    const got = await call(fake.url, "/api/chat", CHAT("q", { stream: false }));
    assert.equal(got.type, "application/json; charset=utf-8");
    assert.ok(!got.text.includes("\n"));
    const obj = JSON.parse(got.text);
    assert.equal(obj.message.content, "The answer is B");
    assert.equal(obj.done, true);
  });
});

Deno.test("startFakeOllama() sends thinking first and counts it against num_predict", async (t) => {
  await using fake = await startFakeOllama({
    ...QWEN,
    reply: () => ({ content: "B", thinking: "Option B fits." }),
  });
  await t.step("streamed thinking precedes content", async () => {
    const objs = lines(
      (await call(fake.url, "/api/chat", { ...CHAT("q"), model: "qwen3:8b" }))
        .text,
    );
    const kinds = objs.slice(0, -1).map((o) => {
      const m = o.message as { content: string; thinking?: string };
      return m.thinking ? "t" : "c";
    }).join("");
    assert.match(kinds, /^t+c$/);
  });
  await t.step("think:false turns it off", async () => {
    const obj = JSON.parse(
      (await call(fake.url, "/api/generate", {
        model: "qwen3:8b",
        prompt: "q",
        think: false,
        stream: false,
      })).text,
    );
    assert.equal(obj.response, "B");
    assert.equal("thinking" in obj, false);
  });
  await t.step("num_predict cuts inside thinking", async () => {
    const obj = JSON.parse(
      (await call(fake.url, "/api/chat", {
        ...CHAT("q"),
        model: "qwen3:8b",
        stream: false,
        options: { "num_predict": 2 },
      })).text,
    );
    assert.equal(obj.message.thinking, "Option"); // "Opti" + "on"
    assert.equal(obj.message.content, "");
    assert.equal(obj["eval_count"], 2);
    assert.equal(obj["done_reason"], "length");
  });
});

Deno.test("startFakeOllama() truncates at num_predict and applies stop strings", async () => {
  await using fake = await startFakeOllama({
    reply: () => ({ content: "Let me see. The answer is C. Done" }),
  });
  const capped = JSON.parse(
    (await call(
      fake.url,
      "/api/chat",
      CHAT("q", { stream: false, options: { "num_predict": 3 } }),
    )).text,
  );
  assert.equal(capped.message.content, "Let me see.");
  assert.equal(capped["eval_count"], 3);
  assert.equal(capped["done_reason"], "length");
  const stopped = JSON.parse(
    (await call(
      fake.url,
      "/api/chat",
      CHAT("q", { stream: false, options: { stop: [". Done"] } }),
    )).text,
  );
  assert.equal(stopped.message.content, "Let me see. The answer is C");
  assert.equal(stopped["done_reason"], "stop");
});

Deno.test("startFakeOllama() returns logprobs and valid JSON for format", async (t) => {
  await using fake = await startFakeOllama({
    models: [{ name: "llama3.2" }],
  });
  await t.step("format gives a JSON answer by default", async () => {
    for (const format of ["json", { type: "object" }]) {
      const obj = JSON.parse(
        (await call(
          fake.url,
          "/api/chat",
          CHAT("q", { stream: false, format }),
        ))
          .text,
      );
      assert.deepEqual(JSON.parse(obj.message.content), { answer: "A" });
    }
  });
  await t.step("top_logprobs entries per chunk, descending", async () => {
    const objs = lines(
      (await call(fake.url, "/api/generate", {
        model: "llama3.2",
        prompt: "Answer:",
        raw: true,
        logprobs: true,
        "top_logprobs": 3,
      })).text,
    );
    const lp = (objs[0]?.logprobs as Array<Record<string, unknown>>)[0] ?? {};
    assert.equal(lp.token, "A");
    assert.deepEqual(lp.bytes, [65]);
    assert.ok((lp.logprob as number) <= 0);
    const top = lp["top_logprobs"] as Array<{ token: string; logprob: number }>;
    assert.equal(top.length, 3);
    assert.equal(top[0]?.token, "A");
    assert.ok(top.every((x, i) => i === 0 || x.logprob <= top[i - 1]!.logprob));
    assert.equal("logprobs" in (objs.at(-1) ?? {}), false);
  });
  await t.step("scripted logprobs and no top without the flag", async () => {
    await using scripted = await startFakeOllama({
      reply: () => ({
        content: "C",
        logprobs: [{
          token: "C",
          logprob: -0.2,
          "top_logprobs": [{ token: "D", logprob: -2 }, {
            token: "C",
            logprob: -0.2,
          }],
        }],
      }),
    });
    const obj = JSON.parse(
      (await call(scripted.url, "/api/generate", {
        model: "llama3.2",
        prompt: "q",
        stream: false,
        logprobs: true,
        "top_logprobs": 5,
      })).text,
    );
    assert.deepEqual(
      obj.logprobs[0]["top_logprobs"].map((x: { token: string }) => x.token),
      ["C", "D"],
    );
    const plain = JSON.parse(
      (await call(scripted.url, "/api/generate", {
        model: "llama3.2",
        prompt: "q",
        stream: false,
        "top_logprobs": 5,
      })).text,
    );
    assert.equal("logprobs" in plain, false);
  });
});

Deno.test("startFakeOllama() faults look like Ollama's to a fetch client", async (t) => {
  await using fake = await startFakeOllama({
    reply: () => ({ content: "one two three four" }),
    stallMs: 20,
    fault: (req, attempt) => {
      const [kind, n] = req.text.split("#");
      if (attempt > Number(n ?? 1)) return null;
      if (kind === "custom") {
        return {
          status: 429,
          body: "slow down",
          headers: { "Retry-After": "2" },
        };
      }
      return (kind as "500") || null;
    },
  });
  const chat = (text: string, extra: Record<string, unknown> = {}) =>
    call(fake.url, "/api/chat", CHAT(text, extra));

  await t.step(
    "500 runner stopped, then success on the next attempt",
    async () => {
      const got = await chat("500");
      assert.equal(got.status, 500);
      assert.deepEqual(JSON.parse(got.text), { error: RUNNER_STOPPED_MESSAGE });
      assert.equal((await chat("500")).status, 200);
    },
  );
  await t.step("503 exact busy message", async () => {
    const got = await chat("503");
    assert.equal(got.status, 503);
    assert.equal(got.text, `{"error":"${BUSY_MESSAGE}"}`);
    assert.ok(got.text.includes("again.  maximum"));
  });
  await t.step("404_model", async () => {
    const got = await chat("404_model");
    assert.equal(got.status, 404);
    assert.equal(got.text, `{"error":"model 'llama3.2' not found"}`);
  });
  await t.step(
    "reset rejects fetch with a TypeError, even on a reused connection",
    async () => {
      await chat("warm up the pool");
      await assert.rejects(chat("reset"), TypeError);
      assert.equal((await chat("after reset")).status, 200);
    },
  );
  await t.step("stall sends nothing until stallMs", async () => {
    const start = performance.now();
    const got = await chat("stall");
    assert.equal(got.status, 200);
    assert.ok(performance.now() - start >= 15);
  });
  await t.step("stall is ended by a client abort", async () => {
    await assert.rejects(
      fetch(fake.url + "/api/chat", {
        method: "POST",
        body: JSON.stringify(CHAT("stall#9")),
        signal: AbortSignal.timeout(5),
      }),
      (e: unknown) => e instanceof DOMException && e.name === "TimeoutError",
    );
  });
  await t.step(
    "midstream_error: 200, chunks, error line, no done",
    async () => {
      const got = await chat("midstream_error#2");
      assert.equal(got.status, 200);
      const objs = lines(got.text);
      assert.deepEqual(objs.at(-1), { error: MIDSTREAM_MESSAGE });
      assert.ok(objs.length >= 2);
      assert.ok(objs.every((o) => o.done !== true));
      const whole = await chat("midstream_error#2", { stream: false });
      assert.equal(whole.status, 500);
      assert.deepEqual(JSON.parse(whole.text), { error: MIDSTREAM_MESSAGE });
    },
  );
  await t.step("no_done: the stream just ends", async () => {
    const objs = lines((await chat("no_done#2")).text);
    assert.equal(objs.length, fakeTokens("one two three four").length);
    assert.ok(objs.every((o) => o.done === false));
    const whole = JSON.parse((await chat("no_done#2", { stream: false })).text);
    assert.equal(whole.done, false);
    assert.equal(whole.message.content, "one two three four");
    for (const k of [...METRICS, "done_reason"]) {
      assert.equal(k in whole, false);
    }
  });
  await t.step(
    "malformed_json: 200 with an unparsable line or body",
    async () => {
      const got = await chat("malformed_json#2");
      assert.equal(got.status, 200);
      const last = got.text.trimEnd().split("\n").at(-1) ?? "";
      assert.throws(() => JSON.parse(last), SyntaxError);
      const whole = await chat("malformed_json#2", { stream: false });
      assert.equal(whole.status, 200);
      assert.throws(() => JSON.parse(whole.text), SyntaxError);
    },
  );
  await t.step("custom status, body and headers", async () => {
    const res = await fetch(fake.url + "/api/chat", {
      method: "POST",
      body: JSON.stringify(CHAT("custom")),
    });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "2");
    assert.equal(await res.text(), "slow down");
  });
});

Deno.test("startFakeOllama() serves at most `parallel` requests at once", async () => {
  await using fake = await startFakeOllama({ parallel: 2, serviceMs: 30 });
  const start = performance.now();
  const all = await Promise.all(
    [...Array(6).keys()].map((i) =>
      call(fake.url, "/api/chat", CHAT(`q${i}`, { stream: false }))
    ),
  );
  const elapsed = performance.now() - start;
  assert.ok(all.every((g) => g.status === 200));
  const s = fake.stats();
  assert.equal(s.served, 6);
  assert.equal(s.maxInFlight, 2);
  assert.equal(s.maxWaiting, 4);
  assert.ok(elapsed >= 85, `three waves of 30 ms took ${elapsed} ms`);
  assert.ok(s.busyMsTotal >= 175, `busy ${s.busyMsTotal}`);
  assert.ok(s.utilisation > 0.8 && s.utilisation <= 1.0001, `${s.utilisation}`);
  // Waiting counts in total_duration, not load_duration.
  const last = JSON.parse(all.at(-1)?.text ?? "{}");
  assert.ok(last["total_duration"] > 60 * 1e6);
  assert.ok(last["load_duration"] < 20 * 1e6);
});

Deno.test("startFakeOllama() answers 503 beyond queueLimit", async () => {
  await using fake = await startFakeOllama({ serviceMs: 30, queueLimit: 1 });
  const all = await Promise.all(
    [...Array(3).keys()].map((i) => call(fake.url, "/api/chat", CHAT(`q${i}`))),
  );
  assert.deepEqual(all.map((g) => g.status).sort(), [200, 200, 503]);
});

Deno.test("startFakeOllama() reports a large load_duration on cold loads only", async () => {
  await using fake = await startFakeOllama({ loadMs: 30 });
  const load = async (ctx: number) =>
    JSON.parse(
      (await call(
        fake.url,
        "/api/chat",
        CHAT("q", { stream: false, options: { "num_ctx": ctx } }),
      )).text,
    )["load_duration"] as number;
  assert.ok(await load(2048) >= 30e6);
  assert.ok(await load(2048) < 20e6);
  assert.ok(await load(4096) >= 30e6, "num_ctx change reloads");
});

Deno.test("FakeOllama.removeModel() makes later requests 404", async () => {
  await using fake = await startFakeOllama();
  assert.equal((await call(fake.url, "/api/chat", CHAT("q"))).status, 200);
  fake.removeModel("llama3.2");
  const got = await call(fake.url, "/api/chat", CHAT("q"));
  assert.equal(got.status, 404);
  assert.equal(got.text, `{"error":"model 'llama3.2' not found"}`);
  assert.equal((await call(fake.url, "/api/tags")).text, '{"models":[]}');
});

Deno.test("FakeOllama.close() ends stalled and waiting requests", async () => {
  const fake = await startFakeOllama({
    serviceMs: 10_000,
    fault: (req) => req.text === "stall" ? "stall" : null,
  });
  const pending = [
    call(fake.url, "/api/chat", CHAT("busy")),
    call(fake.url, "/api/chat", CHAT("waiting")),
    call(fake.url, "/api/chat", CHAT("stall")),
  ];
  while (fake.requests.length < 3) {
    await new Promise((r) => setTimeout(r, 1));
  }
  const start = performance.now();
  await fake.close();
  const settled = await Promise.allSettled(pending);
  assert.ok(settled.every((s) => s.status === "rejected"));
  assert.ok(performance.now() - start < 1000);
});

Deno.test("startFakeOllama() reads chunked request bodies and keeps connections alive", async () => {
  await using fake = await startFakeOllama();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      const text = JSON.stringify(CHAT("chunked", { stream: false }));
      c.enqueue(new TextEncoder().encode(text.slice(0, 10)));
      c.enqueue(new TextEncoder().encode(text.slice(10)));
      c.close();
    },
  });
  const res = await fetch(fake.url + "/api/chat", { method: "POST", body });
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(await res.text()).message.content, "A");
  assert.equal(fake.requests.at(-1)?.text, "chunked");
});
