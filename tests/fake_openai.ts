// A fake OpenAI-compatible server on 127.0.0.1 (port 0), faithful to
// Ollama's /v1 (ollama/ollama openai/openai.go, v0.33.0-rc2): chat.completion
// objects, status-typed error envelopes, `/v1/models` with `data: null` when empty.

/** What the fake replies to one chat request. */
export interface FakeReply {
  content: string;
  reasoning?: string;
  finishReason?: "stop" | "length";
}

/** A scripted failure for one chat request. */
export type FakeFault =
  | "500"
  | "503"
  | "429"
  | "reset"
  | "malformed"
  | "no_choices"
  | "stall";

/** A chat request body as the fake sees it (fields it reads). */
export interface FakeChatBody {
  model?: unknown;
  messages?: unknown;
  [key: string]: unknown;
}

/** Options for {@linkcode startFakeOpenAI}. */
export interface FakeOpenAIOptions {
  /** Model ids served. @default ["llama3.2:latest"] */
  models?: string[];
  /** When set, requests need `Authorization: Bearer <key>`, else 401. @default null */
  apiKey?: string | null;
  /** Reply for a valid request. @default `{"answer":"A"}` when structured, else "A" */
  reply?: (body: FakeChatBody) => FakeReply;
  /**
   * Failure to inject; `attempt` is 1 for the first request with these
   * messages, 2 for the next, ... `reset` drops the connection mid-body,
   * `malformed` sends truncated JSON, `no_choices` a 200 without choices,
   * `stall` never answers (until close()).
   */
  fault?: (body: FakeChatBody, attempt: number) => FakeFault | null;
  /** Retry-After seconds sent with 429 and 503 faults. @default none */
  retryAfter?: number;
}

/** One request the fake received. */
export interface FakeRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A running fake; close it (or `await using`) in every test. */
export interface FakeOpenAI {
  /** Base URL, `http://127.0.0.1:PORT/v1`. */
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const BUSY_MESSAGE =
  "server busy, please try again.  maximum pending requests exceeded";
const CRASH_MESSAGE =
  "model runner has unexpectedly stopped, this may be due to resource limitations or an internal error, check ollama server logs for details";

/** Starts the fake on 127.0.0.1 with an OS-assigned port. */
export function startFakeOpenAI(options: FakeOpenAIOptions = {}): FakeOpenAI {
  const models = options.models ?? ["llama3.2:latest"];
  const apiKey = options.apiKey ?? null;
  const requests: FakeRequest[] = [];
  const attempts = new Map<string, number>();
  const stalls = new Set<() => void>();
  const created = 1755800000;

  const handler = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    const text = await request.text();
    let body: unknown = text;
    try {
      body = text === "" ? null : JSON.parse(text);
    } catch {
      // Recorded as the raw text.
    }
    requests.push({
      method: request.method,
      path,
      headers: Object.fromEntries(request.headers),
      body,
    });

    const known = path === "/v1/models" || path === "/v1/chat/completions" ||
      path.startsWith("/v1/models/");
    if (!known) return plain(404, "404 page not found");
    const wantMethod = path === "/v1/chat/completions" ? "POST" : "GET";
    if (request.method !== wantMethod && request.method !== "HEAD") {
      return plain(405, "405 method not allowed");
    }
    if (
      apiKey !== null &&
      request.headers.get("authorization") !== `Bearer ${apiKey}`
    ) {
      return envelope(401, "Incorrect API key provided.", {
        type: "invalid_request_error",
        code: "invalid_api_key",
      });
    }

    if (path === "/v1/models") {
      return json(200, {
        object: "list",
        data: models.length === 0 ? null : models.map(modelObject),
      });
    }
    if (path.startsWith("/v1/models/")) {
      const id = decodeURIComponent(path.slice("/v1/models/".length));
      return models.includes(id)
        ? json(200, modelObject(id))
        : envelope(404, `model '${id}' not found`);
    }

    if (text === "") return envelope(400, "missing request body");
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return envelope(
        400,
        "invalid character 'x' looking for beginning of value",
      );
    }
    const chat = body as FakeChatBody;
    const topLogprobs = chat["top_logprobs"];
    if (
      typeof topLogprobs === "number" && (topLogprobs < 0 || topLogprobs > 20)
    ) {
      return envelope(400, "top_logprobs must be between 0 and 20");
    }
    if (typeof chat.model !== "string" || chat.model === "") {
      return envelope(400, "model is required");
    }
    if (
      !models.includes(chat.model) && !models.includes(`${chat.model}:latest`)
    ) {
      return envelope(404, `model '${chat.model}' not found`);
    }
    if (!Array.isArray(chat.messages) || chat.messages.length === 0) {
      return envelope(400, "[] is too short - 'messages'");
    }

    const key = JSON.stringify(chat.messages);
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    const fault = options.fault?.(chat, attempt) ?? null;
    const retryHeaders: Record<string, string> =
      options.retryAfter === undefined
        ? {}
        : { "retry-after": String(options.retryAfter) };
    switch (fault) {
      case "500":
        return envelope(500, CRASH_MESSAGE);
      case "503":
        return envelope(503, BUSY_MESSAGE, {}, retryHeaders);
      case "429":
        return envelope(429, "rate limit exceeded", {}, retryHeaders);
      case "reset":
        return resetMidBody();
      case "malformed":
        return new Response('{"id":"chatcmpl-1","object":"chat.comp', {
          status: 200,
          headers: { "content-type": "application/json" },
        });
      case "no_choices":
        return json(200, {
          id: "chatcmpl-1",
          object: "chat.completion",
          created,
          model: chat.model,
          "system_fingerprint": "fp_ollama",
        });
      case "stall":
        await new Promise<void>((resolve) => {
          const done = () => {
            stalls.delete(done);
            resolve();
          };
          // Held until close(): request.signal is avoided (Deno's legacy
          // abort behaviour prints a warning when it is touched).
          stalls.add(done);
        });
        return plain(500, "stalled");
      case null:
        break;
    }
    return json(200, completion(chat, options.reply ?? defaultReply, created));
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    onError: () => plain(500, "internal error"),
  }, handler);

  const close = async () => {
    for (const release of [...stalls]) release();
    await server.shutdown();
  };
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A free port on 127.0.0.1 that nothing listens on (for "unreachable" tests). */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

function defaultReply(body: FakeChatBody): FakeReply {
  return { content: isStructured(body) ? '{"answer":"A"}' : "A" };
}

function isStructured(body: FakeChatBody): boolean {
  const format = body["response_format"];
  return typeof format === "object" && format !== null &&
    (format as Record<string, unknown>).type === "json_schema";
}

/** Splits text into word-ish tokens (leading whitespace kept). */
function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

function completion(
  body: FakeChatBody,
  reply: (body: FakeChatBody) => FakeReply,
  created: number,
): Record<string, unknown> {
  const answer = reply(body);
  let tokens = tokenize(answer.content);
  let finishReason = answer.finishReason ?? "stop";
  const maxTokens = body["max_tokens"];
  if (typeof maxTokens === "number" && tokens.length > maxTokens) {
    tokens = tokens.slice(0, Math.max(maxTokens, 0));
    finishReason = "length";
  }
  const content = tokens.join("");
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const promptChars = messages.reduce(
    (n: number, m: unknown) =>
      n + String((m as Record<string, unknown>)?.content ?? "").length,
    0,
  );
  const promptTokens = Math.max(1, Math.ceil(promptChars / 4));
  const completionTokens = tokens.length +
    tokenize(answer.reasoning ?? "").length;
  const message: Record<string, unknown> = { role: "assistant", content };
  if (answer.reasoning !== undefined) message.reasoning = answer.reasoning;
  const choice: Record<string, unknown> = {
    index: 0,
    message,
    "finish_reason": finishReason,
  };
  if (body.logprobs === true) {
    const top = typeof body["top_logprobs"] === "number"
      ? body["top_logprobs"]
      : 0;
    choice.logprobs = {
      content: tokens.map((token, i) => logprobEntry(token, i === 0 ? top : 0)),
    };
  }
  return {
    id: `chatcmpl-${Math.floor(Math.random() * 999)}`,
    object: "chat.completion",
    created,
    model: body.model,
    "system_fingerprint": "fp_ollama",
    choices: [choice],
    usage: {
      "prompt_tokens": promptTokens,
      "completion_tokens": completionTokens,
      "total_tokens": promptTokens + completionTokens,
    },
  };
}

function logprobEntry(token: string, top: number): Record<string, unknown> {
  const bytes = (t: string) => [...new TextEncoder().encode(t)];
  const entry: Record<string, unknown> = {
    token,
    logprob: -0.01,
    bytes: bytes(token),
  };
  if (top > 0) {
    const alternatives = ["A", "B", "C", "D", " A", " B", " C", " D"]
      .filter((t) => t !== token);
    entry["top_logprobs"] = [
      { token, logprob: -0.01, bytes: bytes(token) },
      ...alternatives.map((t, i) => ({
        token: t,
        logprob: -4.5 - i,
        bytes: bytes(t),
      })),
    ].slice(0, top);
  }
  return entry;
}

function modelObject(id: string): Record<string, unknown> {
  return { id, object: "model", created: 1746405464, "owned_by": "library" };
}

function envelope(
  status: number,
  message: string,
  extra: { type?: string; code?: string } = {},
  headers: Record<string, string> = {},
): Response {
  const type = extra.type ??
    (status === 400
      ? "invalid_request_error"
      : status === 404
      ? "not_found_error"
      : "api_error");
  return json(status, {
    error: { message, type, param: null, code: extra.code ?? null },
  }, headers);
}

function json(
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

function plain(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/** 200 headers, part of a body, then the connection drops. */
function resetMidBody(): Response {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"id":"chatcmpl-1",'));
      controller.error(new Error("connection reset by fake"));
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "application/json" },
  });
}
