// The Ollama client against the project's fake Ollama server: what it sends,
// what it reads, and how each failure is classified.

import assert from "node:assert/strict";
import {
  normaliseModelName,
  OllamaBackend,
  parseReply,
} from "../src/backend/ollama.ts";
import type { AskRequest } from "../src/backend/backend.ts";
import { BackendError, RunAbortedError } from "../src/errors.ts";
import { startFakeOllama } from "./fake_ollama.ts";

const REQUEST: AskRequest = {
  questionId: "q.csv:1",
  messages: [{ role: "user", content: "Q? A. a B. b" }],
  rawPrompt: null,
  letters: ["A", "B"],
  structured: true,
  maxTokens: 64,
  think: null,
  topLogprobs: 0,
  temperature: 0,
  seed: 1234,
  topK: 1,
  topP: 1,
  numCtx: 2048,
};

const signal = () => AbortSignal.timeout(5000);

Deno.test("OllamaBackend.preflight() reads version, digest, quantization and capabilities", async () => {
  await using fake = await startFakeOllama({
    models: [{
      name: "qwen3:8b",
      capabilities: ["completion", "thinking"],
      quantization: "Q8_0",
    }],
  });
  const info = await new OllamaBackend({ baseUrl: fake.url, model: "qwen3:8b" })
    .preflight(signal());
  assert.equal(info.serverVersion, "0.33.0-rc2");
  assert.equal(info.quantization, "Q8_0");
  assert.ok(info.capabilities.includes("thinking"));
  assert.match(info.digest ?? "", /^[0-9a-f]{64}$/);
});

Deno.test("OllamaBackend.preflight() names the installed models when the model is missing", async () => {
  await using fake = await startFakeOllama({
    models: [{ name: "llama3.2:latest" }],
  });
  await assert.rejects(
    () =>
      new OllamaBackend({ baseUrl: fake.url, model: "mistral" }).preflight(
        signal(),
      ),
    (e: unknown) =>
      e instanceof RunAbortedError && e.exitCode === 2 &&
      /llama3\.2:latest/.test(e.message) &&
      /ollama pull mistral/.test(e.message),
  );
});

Deno.test("OllamaBackend.ask() sends stream false, pinned options, the letter schema and no think", async () => {
  await using fake = await startFakeOllama({
    reply: () => ({ content: '{"answer":"B"}' }),
  });
  const reply = await new OllamaBackend({
    baseUrl: fake.url,
    model: "llama3.2",
  }).ask(REQUEST, signal());
  assert.equal(reply.content, '{"answer":"B"}');
  assert.equal(reply.doneReason, "stop");
  assert.ok(
    reply.evalTokens !== null && reply.evalDurationNs !== null &&
      reply.promptTokens !== null,
  );
  assert.ok(
    reply.serviceNs !== null && reply.serviceNs !== undefined &&
      reply.serviceNs >= 0,
  );
  const body = fake.requests[0]!.body;
  assert.equal(body.stream, false);
  assert.deepEqual(body.options, {
    temperature: 0,
    seed: 1234,
    "top_k": 1,
    "top_p": 1,
    "num_predict": 64,
    "num_ctx": 2048,
  });
  assert.deepEqual(
    (body.format as { properties: { answer: { enum: string[] } } }).properties
      .answer.enum,
    ["A", "B"],
  );
  assert.equal("think" in body, false);
});

Deno.test("OllamaBackend.ask() classifies server failures", async (t) => {
  const cases = [
    ["503", "busy", true],
    ["500", "http_5xx", true],
    ["no_done", "incomplete", true],
    ["malformed_json", "malformed", true],
    ["reset", "network", true],
    ["404_model", "model_not_found", false],
  ] as const;
  for (const [fault, kind, retryable] of cases) {
    await t.step(fault, async () => {
      await using fake = await startFakeOllama({ fault: () => fault });
      const err = await new OllamaBackend({
        baseUrl: fake.url,
        model: "llama3.2",
      }).ask(REQUEST, signal()).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof BackendError, String(err));
      assert.equal(err.kind, kind);
      assert.equal(err.retryable, retryable);
    });
  }
});

Deno.test("parseReply() folds NDJSON, and rejects error lines and bodies without done", async (t) => {
  await t.step("NDJSON chunks are joined like stream:false", () => {
    const r = parseReply(
      '{"message":{"content":"The answer"},"done":false}\n' +
        '{"message":{"content":" is B","thinking":"hm"},"done":false}\n' +
        '{"message":{"content":""},"done":true,"done_reason":"stop","eval_count":4,"eval_duration":2000,"prompt_eval_duration":3000,"total_duration":9000,"load_duration":1000}\n',
    );
    assert.equal(r.content, "The answer is B");
    assert.equal(r.thinking, "hm");
    assert.equal(r.evalTokens, 4);
    assert.equal(r.serviceNs, 5000);
  });
  await t.step("an error line is a retryable stream error", () => {
    assert.throws(
      () =>
        parseReply(
          '{"message":{"content":"x"},"done":false}\n{"error":"runner died"}\n',
        ),
      (e: unknown) =>
        e instanceof BackendError && e.kind === "stream_error" && e.retryable,
    );
  });
  await t.step("no done:true is incomplete", () => {
    assert.throws(
      () => parseReply('{"message":{"content":"B"},"done":false}'),
      (e: unknown) => e instanceof BackendError && e.kind === "incomplete",
    );
  });
  await t.step("an empty body is malformed", () => {
    assert.throws(
      () => parseReply(""),
      (e: unknown) => e instanceof BackendError && e.kind === "malformed",
    );
  });
});

Deno.test("normaliseModelName() adds :latest only when there is no tag", () => {
  assert.equal(normaliseModelName("llama3.2"), "llama3.2:latest");
  assert.equal(normaliseModelName("qwen3:8b"), "qwen3:8b");
  assert.equal(
    normaliseModelName("host:5000/ns/model"),
    "host:5000/ns/model:latest",
  );
});

Deno.test("OllamaBackend keeps a base URL's query string after the API path, and never prints it", async () => {
  await using fake = await startFakeOllama({
    reply: () => ({ content: '{"answer":"A"}' }),
  });
  const backend = new OllamaBackend({
    baseUrl: `${fake.url}/?token=s3cret`,
    model: "llama3.2",
  });
  await backend.preflight(signal());
  await backend.ask(REQUEST, signal());
  assert.equal(fake.requests[0]!.path, "/api/chat");
  assert.ok(!backend.endpoint.includes("s3cret"));

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const err = await new OllamaBackend({
    baseUrl: `http://127.0.0.1:${port}/?token=s3cret`,
    model: "m",
  })
    .preflight(signal()).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof RunAbortedError);
  assert.doesNotMatch(err.message, /s3cret/);
  assert.match(err.message, /Is `ollama serve` running\?/);
});

Deno.test("OllamaBackend.advice() says to pull a missing model, nothing for other failures", () => {
  const backend = new OllamaBackend({
    baseUrl: "http://127.0.0.1:1",
    model: "mistral",
  });
  const gone = new BackendError('model "mistral" not found', {
    kind: "model_not_found",
    status: 404,
    retryable: false,
  });
  assert.equal(backend.advice(gone), "Run `ollama pull mistral`");
  assert.equal(
    backend.advice(new BackendError("x", { kind: "busy", retryable: true })),
    null,
  );
});

/**
 * A server that answers GET /api/version and then drops every other
 * connection without a reply, as an Ollama that dies mid-preflight does.
 */
function droppingServer(): AsyncDisposable & { url: string; paths: string[] } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const paths: string[] = [];
  const conns = new Set<Deno.Conn>();
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      const buf = new Uint8Array(4096);
      const n = await conn.read(buf);
      const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
      const path = /^[A-Z]+ (\S+)/.exec(head)?.[1] ?? "";
      paths.push(path);
      if (path.split("?")[0] === "/api/version") {
        const body = '{"version":"0.12.6"}';
        await conn.write(new TextEncoder().encode(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        ));
      }
    } catch {
      // the client went away first
    } finally {
      conns.delete(conn);
      conn.close();
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) serve(conn);
    } catch {
      // listener closed
    }
  })();
  const { port } = listener.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    paths,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const c of conns) c.close();
      await accepting;
    },
  };
}

Deno.test("OllamaBackend.preflight() turns a server that drops after /api/version into a BackendError naming the URL", async () => {
  await using server = droppingServer();
  // A token in the query string must not reach the message.
  const backend = new OllamaBackend({
    baseUrl: `${server.url}/?token=SECRET-123`,
    model: "mistral",
  });
  const err = await backend.preflight(signal()).then(
    () => assert.fail("preflight should fail"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof BackendError, String(err));
  assert.equal(err.kind, "network");
  assert.match(
    err.message,
    new RegExp(`^Network error: cannot reach ${server.url}/api/tags\\?token=`),
  );
  assert.doesNotMatch(err.message, /SECRET-123/);
  assert.doesNotMatch(String(err.cause), /SECRET-123/);
  assert.deepEqual(server.paths.slice(0, 2), [
    "/api/version?token=SECRET-123",
    "/api/tags?token=SECRET-123",
  ]);
});
