// The fake Ollama server: accepts connections, routes Ollama's endpoints
// (/, /api/version, /api/tags, /api/ps, /api/show, /api/chat, /api/generate)
// with its exact statuses and bodies, loads models, holds NUM_PARALLEL slots
// and streams scripted replies with scripted faults.

import {
  BUSY_MESSAGE,
  type FakeModel,
  type FakeOllama,
  type FakeOllamaOptions,
  type FakeOllamaStats,
  type FakeRequest,
  normaliseModelName,
} from "./api.ts";
import { answerEarlyFault } from "./faults.ts";
import { HttpConnection, type HttpRequest, HttpResponse } from "./http.ts";
import {
  type FinalFacts,
  type ReplyShape,
  sendStream,
  sendWhole,
} from "./reply.ts";
import {
  defaultReply,
  estimatePromptTokens,
  numPredictBudget,
  planReply,
  requestText,
} from "./scenarios.ts";
import { Slots } from "./slots.ts";
import {
  DEFAULT_NUM_CTX,
  generateRequestError,
  keepAliveMs,
} from "./validate.ts";
import {
  createdAt,
  dec,
  fakeDigest,
  goJsonSyntaxError,
  jsonType,
  sleep,
} from "./wire.ts";

/** Starts a fake Ollama on 127.0.0.1 (port 0 unless `port` is given). */
export async function startFakeOllama(
  opts: FakeOllamaOptions = {},
  port = 0,
): Promise<FakeOllama> {
  const server = new FakeServer(opts, port);
  await Promise.resolve();
  return server;
}

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

  repull(name: string, digest: string): void {
    const m = this.#models.get(normaliseModelName(name));
    if (m === undefined) throw new Error(`fake Ollama: no model "${name}"`);
    m.digest = digest;
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
    const body = await this.#parseBody(
      req,
      res,
      isChat ? "ChatRequest" : "GenerateRequest",
    );
    if (!body) return;
    const fr: FakeRequest = { path, body, text: requestText(body, isChat) };
    if (this.#opts.recordRequests !== false) this.requests.push(fr);

    // Ollama's validation order, first match wins.
    const invalid = generateRequestError(
      body,
      isChat,
      (m) => this.#models.get(normaliseModelName(m)),
    );
    if (invalid) return res.error(invalid.status, invalid.message);
    const modelAsSent = body.model as string;
    const name = normaliseModelName(modelAsSent);
    const model = this.#models.get(name)!;

    // Faults and scheduling.
    const attempt = (this.#attempts.get(fr.text) ?? 0) + 1;
    this.#attempts.set(fr.text, attempt);
    const fault = this.#opts.fault?.(fr, attempt) ?? null;
    const stallMs = this.#opts.stallMs ?? 60_000;
    if (await answerEarlyFault(fault, res, modelAsSent, stallMs, signal)) {
      return;
    }
    const ql = this.#opts.queueLimit;
    if (
      ql !== undefined && ql !== null && !this.#slots.free &&
      this.#slots.waiting >= ql
    ) {
      return res.error(503, BUSY_MESSAGE);
    }

    const options = {
      ...model.parameters,
      ...(body.options ?? {}) as Record<string, unknown>,
    };
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
      const tLoaded = await this.#load(name, numCtx, ka, signal);
      if (isLoadOnly) {
        release();
        return this.#answerLoad(res, isChat, modelAsSent, name, ka);
      }
      const reply = await (this.#opts.reply ?? defaultReply)(fr);
      const plan = planReply(reply, {
        thinks: model.capabilities.includes("thinking") && body.think !== false,
        numPredict: numPredictBudget(options["num_predict"], numCtx),
        stop: Array.isArray(options.stop) ? options.stop as string[] : [],
      });
      const promptTokens = reply.promptEvalCount ??
        estimatePromptTokens(body, isChat);
      if (promptTokens > numCtx - 1 && body.shift === false) {
        return res.error(400, PROMPT_TOO_LONG_MESSAGE);
      }
      const numKeep = typeof options["num_keep"] === "number"
        ? options["num_keep"]
        : 4;
      const promptEvalCount = promptTokens > numCtx - 1
        ? Math.floor(numCtx - (numCtx - numKeep) / 2)
        : promptTokens;

      const svc = this.#opts.serviceMs ?? 0;
      await sleep(typeof svc === "function" ? svc(fr) : svc, signal);
      const shape: ReplyShape = {
        isChat,
        modelAsSent,
        wantLogprobs: body.logprobs === true,
        topN: typeof body["top_logprobs"] === "number"
          ? body["top_logprobs"]
          : 0,
      };
      const facts: FinalFacts = {
        plan,
        promptEvalCount,
        times: { t0, slotStart, tLoaded, tFirst: performance.now() },
        withContext: !isChat && body.raw !== true,
      };
      const send = body.stream === false ? sendWhole : sendStream;
      await send(res, {
        shape,
        facts,
        fault,
        delayMs: this.#opts.chunkDelayMs ?? 0,
        release,
        signal,
      });
    } finally {
      release();
      if (ka === 0) this.#loaded.delete(name);
    }
  }

  /** Cold load (first use, after unload or expiry, or a num_ctx change); returns when loaded. */
  async #load(
    name: string,
    numCtx: number,
    keepAliveMs: number,
    signal: AbortSignal,
  ): Promise<number> {
    const loaded = this.#loaded.get(name);
    if (
      !loaded || loaded.numCtx !== numCtx || loaded.expiresAt <= Date.now()
    ) {
      await sleep(this.#opts.loadMs ?? 0, signal);
    }
    const tLoaded = performance.now();
    this.#loaded.set(name, { numCtx, expiresAt: Date.now() + keepAliveMs });
    return tLoaded;
  }

  /** The reply to a request with no prompt: load (or unload with keep_alive 0). */
  #answerLoad(
    res: HttpResponse,
    isChat: boolean,
    modelAsSent: string,
    name: string,
    keepAliveMs: number,
  ): Promise<void> {
    const reason = keepAliveMs === 0 ? "unload" : "load";
    if (keepAliveMs === 0) this.#loaded.delete(name);
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
}

/** Ollama's message when the prompt does not fit and `shift` is false. */
const PROMPT_TOO_LONG_MESSAGE =
  "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length";
