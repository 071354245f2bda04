import assert from "node:assert/strict";
import type {
  AskRequest,
  AskResponse,
  Backend,
  ModelInfo,
} from "../src/backend/backend.ts";
import { EndpointPool } from "../src/backend/pool.ts";
import type { RetryPolicy } from "../src/backend/retry.ts";
import { BackendError } from "../src/errors.ts";
import { type LogFields, type Logger, NULL_LOGGER } from "../src/log.ts";
import {
  type PreparedQuestion,
  type QuestionProtocol,
  type RunDeps,
  type RunOptions,
  runQuestions,
} from "../src/runner/run.ts";
import type { DatasetItem, Question, ResultRecord } from "../src/schema.ts";

// ---------------------------------------------------------------------------
// Fakes

const LETTERS = ["A", "B", "C", "D"];

function makeQuestion(i: number): Question {
  return {
    id: `q.csv:${i + 1}`,
    index: i,
    file: "q.csv",
    line: i + 1,
    subject: "q",
    question: `Question ${i}?`,
    choices: ["a", "b", "c", "d"],
    answer: LETTERS[i % 4]!,
  };
}

function questions(n: number): Question[] {
  return Array.from({ length: n }, (_, i) => makeQuestion(i));
}

async function* itemsOf(
  list: Array<Question | DatasetItem>,
): AsyncGenerator<DatasetItem> {
  for (const x of list) {
    yield "kind" in x ? x : { kind: "question", question: x };
  }
}

/** Builds a request whose single user message is the question id. */
const PROTOCOL: QuestionProtocol = {
  prepare(q: Question): PreparedQuestion {
    const messages = [{ role: "user" as const, content: q.id }];
    return {
      question: q,
      messages,
      prompt: null,
      request: {
        questionId: q.id,
        messages,
        rawPrompt: null,
        letters: LETTERS,
        structured: false,
        maxTokens: 8,
        think: null,
        topLogprobs: 0,
        temperature: 0,
        seed: 0,
        topK: 1,
        topP: 1,
        numCtx: null,
      },
    };
  },
  score(p, r) {
    const letter = LETTERS.includes(r.content) ? r.content : null;
    return {
      predicted: letter,
      status: letter === null
        ? "unparsed"
        : letter === p.question.answer
        ? "correct"
        : "wrong",
      method: letter === null ? null : "exact",
      reason: letter === null ? "no letter" : null,
      letterProbs: null,
    };
  },
};

/** What the scripted backend does for one attempt. */
type Step =
  | { reply: string }
  | { error: BackendError | Error }
  | { hang: true };

/** Decides each attempt from the question id and the attempt number (1-based). */
type Script = (id: string, attempt: number) => Step;

function reply(content: string): AskResponse {
  return {
    content,
    thinking: null,
    doneReason: "stop",
    promptTokens: 10,
    evalTokens: 1,
    evalDurationNs: 1000,
    firstTokenTopLogprobs: null,
  };
}

const err503 = () =>
  new BackendError("HTTP 503", {
    kind: "busy",
    status: 503,
    retryable: true,
  });
const err400 = () =>
  new BackendError("HTTP 400: bad request", {
    kind: "http_4xx",
    status: 400,
    retryable: false,
  });

/** An in-memory backend that follows a script and records every call. */
class ScriptedBackend implements Backend {
  readonly endpoint: string;
  readonly calls: Array<{ id: string; attempt: number }> = [];
  readonly attempts = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  /** Called when an attempt starts (before any await). */
  onCall: ((id: string) => void) | null = null;
  readonly #script: Script;
  readonly #delay: (id: string) => Promise<void>;

  constructor(
    script: Script,
    opts: { endpoint?: string; delay?: (id: string) => Promise<void> } = {},
  ) {
    this.#script = script;
    this.endpoint = opts.endpoint ?? "http://fake:11434";
    this.#delay = opts.delay ??
      (() => new Promise((resolve) => setTimeout(resolve, 0)));
  }

  preflight(): Promise<ModelInfo> {
    return Promise.reject(new Error("not used"));
  }

  unload(): Promise<void> {
    return Promise.resolve();
  }

  async ask(request: AskRequest, signal: AbortSignal): Promise<AskResponse> {
    const id = request.messages![0]!.content;
    const attempt = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, attempt);
    this.calls.push({ id, attempt });
    this.onCall?.(id);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const step = this.#script(id, attempt);
      if ("hang" in step) {
        await new Promise((_, reject) => {
          signal.throwIfAborted();
          signal.addEventListener("abort", () => reject(signal.reason), {
            once: true,
          });
        });
      }
      await this.#delay(id);
      signal.throwIfAborted();
      if ("error" in step) throw step.error;
      if ("reply" in step) return reply(step.reply);
      throw new Error("unreachable");
    } finally {
      this.inFlight--;
    }
  }
}

/** The correct answer of a question id. */
function answerOf(id: string): string {
  const line = Number(id.split(":")[1]);
  return LETTERS[(line - 1) % 4]!;
}

const POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 10,
  maxDelayMs: 100,
  maxRetryAfterSeconds: 60,
};

function options(over: Partial<RunOptions> = {}): RunOptions {
  return {
    model: "test-model",
    retry: POLICY,
    rateLimitDelayMs: 0,
    requestTimeoutMs: 5_000,
    firstRequestTimeoutMs: 5_000,
    maxConsecutiveFailures: 0,
    repeats: 1,
    ...over,
  };
}

/** A logger that keeps events in memory. */
function memoryLogger(): Logger & {
  events: Array<{ event: string; fields: LogFields }>;
} {
  const events: Array<{ event: string; fields: LogFields }> = [];
  const add = (event: string, fields?: LogFields) =>
    events.push({ event, fields: fields ?? {} });
  return { events, debug: add, info: add, warn: add, error: add };
}

const noSleep = () => Promise.resolve();

interface Harness {
  results: ResultRecord[];
  pool: EndpointPool;
  stop: AbortController;
  abort: AbortController;
  run: () => ReturnType<typeof runQuestions>;
}

function harness(
  items: Array<Question | DatasetItem>,
  backend: Backend | Backend[],
  opts: { concurrency?: number; run?: Partial<RunOptions> } = {},
  deps: Partial<RunDeps> = {},
): Harness {
  const pool = deps.pool ??
    new EndpointPool(Array.isArray(backend) ? backend : [backend], {
      concurrency: opts.concurrency ?? 4,
    });
  const results: ResultRecord[] = [];
  const stop = new AbortController();
  const abort = new AbortController();
  return {
    results,
    pool,
    stop,
    abort,
    run: () =>
      runQuestions(itemsOf(items), options(opts.run), {
        pool,
        protocol: PROTOCOL,
        sink: (r) => results.push(r),
        log: NULL_LOGGER,
        sleep: noSleep,
        ...deps,
      }, { stop: stop.signal, abort: abort.signal }),
  };
}

function ids(results: ResultRecord[]): string[] {
  return results.map((r) => r.id);
}

function countBy(results: ResultRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) out[r.status] = (out[r.status] ?? 0) + 1;
  return out;
}

/** Seeded generator for repeatable "random" scripts. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A fake clock: `sleep` registers a timer and `advance` jumps to the earliest
 * one. `drive` advances it whenever the program has nothing else to do.
 */
class FakeClock {
  now = 0;
  #timers: Array<{ at: number; resolve: () => void }> = [];

  sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = { at: this.now + ms, resolve };
      this.#timers.push(timer);
      signal?.addEventListener("abort", () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        resolve();
      }, { once: true });
    });
  };

  advance(): void {
    if (this.#timers.length === 0) return;
    this.now = Math.min(...this.#timers.map((t) => t.at));
    const due = this.#timers.filter((t) => t.at <= this.now);
    this.#timers = this.#timers.filter((t) => t.at > this.now);
    for (const t of due) t.resolve();
  }

  async drive<T>(work: Promise<T>): Promise<T> {
    let done = false;
    const settled = work.finally(() => (done = true));
    while (!done) {
      await settle();
      this.advance();
    }
    return await settled;
  }
}

// ---------------------------------------------------------------------------
// Tests

Deno.test("runQuestions() records every question exactly once under random failures", async () => {
  const n = 500;
  const random = lcg(99);
  // Fix each question's fate up front: how many failing attempts, of which
  // kind, and whether the final reply is right.
  const plan = new Map<
    string,
    { failures: number; kinds: Array<"503" | "net">; right: boolean }
  >();
  for (const q of questions(n)) {
    const r = random();
    const failures = r < 0.6 ? 0 : r < 0.8 ? 1 : r < 0.9 ? 2 : r < 0.95 ? 3 : 9;
    const kinds = Array.from(
      { length: Math.min(failures, 4) },
      () => (random() < 0.5 ? "503" as const : "net" as const),
    );
    plan.set(q.id, { failures, kinds, right: random() < 0.7 });
  }
  const backend = new ScriptedBackend((id, attempt) => {
    const p = plan.get(id)!;
    if (attempt <= p.failures) {
      return {
        error: p.kinds[attempt - 1] === "503"
          ? err503()
          : new TypeError("error sending request: connection reset"),
      };
    }
    const right = answerOf(id);
    return { reply: p.right ? right : right === "A" ? "B" : "A" };
  }, {
    // Vary the service time so completions interleave.
    delay: async () => {
      const turns = Math.floor(random() * 3);
      for (let i = 0; i < turns; i++) await settle();
    },
  });
  const h = harness(questions(n), backend, { concurrency: 8 });
  const outcome = await h.run();

  assert.equal(outcome.stopped, null);
  assert.equal(outcome.finished, n);
  assert.equal(outcome.unfinished, 0);
  assert.equal(h.results.length, n);
  assert.equal(new Set(ids(h.results)).size, n, "no duplicates");
  assert.deepEqual(
    [...ids(h.results)].sort(),
    questions(n).map((q) => q.id).sort(),
    "none lost",
  );
  assert.ok(backend.maxInFlight <= 8, `max in flight ${backend.maxInFlight}`);
  assert.ok(backend.maxInFlight >= 4, "the window actually runs in parallel");

  let correct = 0;
  let wrong = 0;
  let errors = 0;
  for (const r of h.results) {
    const p = plan.get(r.id)!;
    assert.equal(r.attempts, backend.attempts.get(r.id), r.id);
    if (p.failures > POLICY.maxRetries) {
      assert.equal(r.status, "error", r.id);
      assert.equal(r.attempts, POLICY.maxRetries + 1);
      const lastKind = p.kinds[POLICY.maxRetries];
      assert.equal(r.error_kind, lastKind === "503" ? "busy" : "network");
      errors++;
    } else {
      assert.equal(r.attempts, p.failures + 1, r.id);
      assert.equal(r.status, p.right ? "correct" : "wrong", r.id);
      if (p.right) correct++;
      else wrong++;
    }
  }
  assert.deepEqual(countBy(h.results), {
    ...(correct ? { correct } : {}),
    ...(wrong ? { wrong } : {}),
    ...(errors ? { error: errors } : {}),
  });
  assert.ok(errors > 0 && correct > 0 && wrong > 0);
  assert.equal(
    backend.calls.length,
    h.results.reduce((s, r) => s + r.attempts, 0),
    "every attempt is counted in some record",
  );
});

Deno.test("runQuestions() fills a correct result record", async () => {
  const q = makeQuestion(2); // answer C
  const backend = new ScriptedBackend(() => ({ reply: "C" }));
  const h = harness([q], backend);
  await h.run();
  const r = h.results[0]!;
  assert.equal(r.id, q.id);
  assert.equal(r.index, 2);
  assert.equal(r.file, "q.csv");
  assert.equal(r.line, 3);
  assert.equal(r.subject, "q");
  assert.equal(r.model, "test-model");
  assert.equal(r.expected, "C");
  assert.equal(r.predicted, "C");
  assert.equal(r.status, "correct");
  assert.equal(r.method, "exact");
  assert.equal(r.raw, "C");
  assert.equal(r.error_kind, null);
  assert.equal(r.attempts, 1);
  assert.equal(r.prompt_tokens, 10);
  assert.equal(r.eval_tokens, 1);
  assert.equal(r.eval_duration_ns, 1000);
  assert.equal(r.done_reason, "stop");
  assert.equal(r.endpoint, "http://fake:11434");
  assert.equal(r.repeat, 0);
  assert.deepEqual(r.messages, [{ role: "user", content: q.id }]);
  assert.equal(typeof r.latency_ms, "number");
});

Deno.test("runQuestions() ends a question that keeps failing as an error and goes on", async () => {
  const bad = makeQuestion(1).id;
  const backend = new ScriptedBackend((id) =>
    id === bad ? { error: err503() } : { reply: answerOf(id) }
  );
  const log = memoryLogger();
  const h = harness(questions(5), backend, {}, { log });
  const outcome = await h.run();
  assert.equal(outcome.stopped, null);
  assert.equal(h.results.length, 5);
  const r = h.results.find((x) => x.id === bad)!;
  assert.equal(r.status, "error");
  assert.equal(r.error_kind, "busy");
  assert.equal(r.attempts, POLICY.maxRetries + 1);
  assert.equal(r.expected, answerOf(bad));
  assert.equal(r.predicted, null);
  assert.equal(r.reason, "HTTP 503");
  assert.equal(backend.attempts.get(bad), POLICY.maxRetries + 1);
  assert.equal(countBy(h.results).correct, 4);
  const retries = log.events.filter((e) => e.event === "request_retry");
  assert.equal(retries.length, POLICY.maxRetries);
  assert.ok(log.events.some((e) => e.event === "question_failed"));
});

Deno.test("runQuestions() does not retry a 4xx error", async () => {
  const backend = new ScriptedBackend((id) =>
    id === "q.csv:1" ? { error: err400() } : { reply: answerOf(id) }
  );
  const h = harness(questions(3), backend);
  const outcome = await h.run();
  assert.equal(outcome.stopped, null);
  const r = h.results.find((x) => x.id === "q.csv:1")!;
  assert.equal(r.status, "error");
  assert.equal(r.error_kind, "http_4xx");
  assert.equal(r.attempts, 1);
  assert.equal(backend.attempts.get("q.csv:1"), 1);
  assert.equal(h.results.length, 3);
});

Deno.test("runQuestions() with maxRetries 0 makes one attempt", async () => {
  const backend = new ScriptedBackend(() => ({ error: err503() }));
  const h = harness(questions(2), backend, {
    run: { retry: { ...POLICY, maxRetries: 0 } },
  });
  await h.run();
  assert.deepEqual(h.results.map((r) => r.attempts), [1, 1]);
  assert.equal(backend.calls.length, 2);
});

Deno.test("runQuestions() stops the run when the model is not found", async () => {
  const backend = new ScriptedBackend((id) =>
    id === "q.csv:4"
      ? {
        error: new BackendError('model "m" not found', {
          kind: "model_not_found",
          status: 404,
          retryable: false,
        }),
      }
      : { reply: answerOf(id) }
  );
  const h = harness(questions(50), backend, { concurrency: 1 });
  const outcome = await h.run();
  assert.equal(outcome.stopped?.kind, "model_not_found");
  // A backend with no advice of its own gets a neutral one: never another
  // server's commands.
  assert.match(
    outcome.stopped!.message,
    /model "m" not found at http:\/\/fake:11434: .*Make "test-model" available at http:\/\/fake:11434 again, then resume/,
  );
  assert.doesNotMatch(outcome.stopped!.message, /ollama/i);
  assert.deepEqual(ids(h.results), ["q.csv:1", "q.csv:2", "q.csv:3"]);
  // Nothing after the missing model was sent to the server.
  assert.deepEqual(
    backend.calls.map((c) => c.id),
    ["q.csv:1", "q.csv:2", "q.csv:3", "q.csv:4"],
  );
  assert.equal(outcome.finished, 3);
  assert.ok(outcome.unfinished >= 1);
});

Deno.test("runQuestions() opens the circuit breaker after N errors in a row", async () => {
  const backend = new ScriptedBackend((id) =>
    Number(id.split(":")[1]) <= 2
      ? { reply: answerOf(id) }
      : { error: err400() }
  );
  const h = harness(questions(100), backend, {
    concurrency: 1,
    run: { maxConsecutiveFailures: 5 },
  });
  const outcome = await h.run();
  assert.equal(outcome.stopped?.kind, "circuit_open");
  assert.match(outcome.stopped!.message, /5 questions in a row failed/);
  assert.equal(countBy(h.results).correct, 2);
  assert.equal(
    countBy(h.results).error,
    5,
    `errors recorded: ${ids(h.results.filter((r) => r.status === "error"))}`,
  );
  assert.equal(
    backend.calls.length,
    7,
    `requests sent: ${backend.calls.map((c) => c.id)}`,
  );
});

Deno.test("runQuestions() resets the breaker count on a success", async () => {
  // Errors come in runs of 3 with a success between: a breaker at 4 never opens.
  const backend = new ScriptedBackend((id) =>
    Number(id.split(":")[1]) % 4 === 0
      ? { reply: answerOf(id) }
      : { error: err400() }
  );
  const h = harness(questions(40), backend, {
    concurrency: 1,
    run: { maxConsecutiveFailures: 4 },
  });
  const outcome = await h.run();
  assert.equal(outcome.stopped, null);
  assert.equal(h.results.length, 40);
});

Deno.test("runQuestions() stops dispatching on the stop signal", async () => {
  let stopAt = -1;
  const h = harness(
    questions(30),
    new ScriptedBackend((id) => ({ reply: answerOf(id) }), {
      delay: () => new Promise<void>((resolve) => setTimeout(resolve, 1)),
    }),
    { concurrency: 2 },
  );
  const sink = h.results;
  // Stop once 5 results are in.
  const watcher = (async () => {
    while (sink.length < 5) await settle();
    stopAt = sink.length;
    h.stop.abort("interrupted");
  })();
  const outcome = await h.run();
  await watcher;
  assert.equal(outcome.stopped?.kind, "interrupted");
  assert.ok(stopAt >= 5);
  // Requests in flight at the stop may finish; nothing new starts.
  assert.ok(
    h.results.length <= stopAt + 2,
    `${h.results.length} results after stopping at ${stopAt}`,
  );
  assert.ok(h.results.length < 30);
  assert.equal(new Set(ids(h.results)).size, h.results.length);
  assert.equal(outcome.finished, h.results.length);
  // Every result is a real answer: an undispatched question gets no record.
  assert.ok(h.results.every((r) => r.status === "correct"));
});

Deno.test("runQuestions() starts no request after the stop signal", async () => {
  let stopped = false;
  const late: string[] = [];
  const stop = new AbortController();
  const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }));
  backend.onCall = (id) => {
    if (stopped) late.push(id);
  };
  const pool = new EndpointPool([backend], { concurrency: 2 });
  const results: ResultRecord[] = [];
  const outcome = await runQuestions(itemsOf(questions(40)), options(), {
    pool,
    protocol: PROTOCOL,
    sink: (r) => {
      results.push(r);
      if (results.length === 6) {
        stopped = true;
        stop.abort("interrupted");
      }
    },
    log: NULL_LOGGER,
    sleep: noSleep,
  }, { stop: stop.signal, abort: new AbortController().signal });
  assert.equal(outcome.stopped?.kind, "interrupted");
  assert.deepEqual(late, [], "requests started after the stop");
});

Deno.test("runQuestions() with a stop signal already aborted asks nothing", async () => {
  const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }));
  const h = harness(questions(10), backend);
  h.stop.abort("interrupted");
  const outcome = await h.run();
  assert.equal(outcome.stopped?.kind, "interrupted");
  assert.equal(h.results.length, 0);
  assert.equal(backend.calls.length, 0);
});

Deno.test("runQuestions() abort ends requests in flight without a result", async () => {
  const backend = new ScriptedBackend((id) =>
    id === "q.csv:1" || id === "q.csv:2" ? { reply: answerOf(id) } : {
      hang: true,
    }
  );
  const h = harness(questions(20), backend, { concurrency: 3 });
  const running = h.run();
  // Wait until q1 and q2 are answered and hanging requests hold every permit.
  while (h.results.length < 2 || backend.inFlight < 3) await settle();
  h.stop.abort("interrupted");
  h.abort.abort("interrupted");
  const outcome = await running;
  assert.equal(outcome.stopped?.kind, "interrupted");
  assert.deepEqual(ids(h.results).sort(), ["q.csv:1", "q.csv:2"]);
  assert.equal(outcome.finished, 2);
  assert.ok(outcome.unfinished >= 3, `unfinished ${outcome.unfinished}`);
  assert.equal(backend.inFlight, 0);
});

Deno.test("runQuestions() times out an attempt and retries it", async (t) => {
  await t.step("the retry succeeds", async () => {
    const backend = new ScriptedBackend((id, attempt) =>
      attempt === 1 ? { hang: true } : { reply: answerOf(id) }
    );
    const log = memoryLogger();
    const h = harness([makeQuestion(0)], backend, {
      run: { requestTimeoutMs: 20, firstRequestTimeoutMs: 20 },
    }, { log });
    const t0 = performance.now();
    await h.run();
    assert.ok(performance.now() - t0 < 2_000);
    assert.equal(h.results[0]!.status, "correct");
    assert.equal(h.results[0]!.attempts, 2);
    const retry = log.events.find((e) => e.event === "request_retry");
    assert.equal(retry?.fields.kind, "timeout");
  });
  await t.step("every attempt times out", async () => {
    const backend = new ScriptedBackend(() => ({ hang: true }));
    const h = harness([makeQuestion(0)], backend, {
      run: {
        requestTimeoutMs: 20,
        firstRequestTimeoutMs: 20,
        retry: { ...POLICY, maxRetries: 1 },
      },
    });
    await h.run();
    const r = h.results[0]!;
    assert.equal(r.status, "error");
    assert.equal(r.error_kind, "timeout");
    assert.equal(r.attempts, 2);
    assert.equal(backend.inFlight, 0);
  });
  await t.step("the first request gets the longer timeout", async () => {
    // 60 ms replies: too slow for requestTimeoutMs, fine for the first one.
    const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }), {
      delay: () => new Promise((resolve) => setTimeout(resolve, 60)),
    });
    const h = harness([makeQuestion(0), makeQuestion(1)], backend, {
      concurrency: 1,
      run: {
        requestTimeoutMs: 20,
        firstRequestTimeoutMs: 2_000,
        retry: { ...POLICY, maxRetries: 0 },
      },
    });
    await h.run();
    assert.equal(h.results[0]!.status, "correct");
    assert.equal(h.results[1]!.error_kind, "timeout");
  });
});

Deno.test("runQuestions() sleeps between retries outside the permit", async (t) => {
  await t.step("no permit is held during the backoff sleep", async () => {
    const backend = new ScriptedBackend((id, attempt) =>
      attempt === 1 ? { error: err503() } : { reply: answerOf(id) }
    );
    const pool = new EndpointPool([backend], { concurrency: 1 });
    const inFlightDuringSleep: number[] = [];
    const h = harness([makeQuestion(0)], backend, { concurrency: 1 }, {
      pool,
      sleep: () => {
        inFlightDuringSleep.push(pool.inFlight);
        return Promise.resolve();
      },
    });
    await h.run();
    assert.deepEqual(inFlightDuringSleep, [0]);
    assert.equal(h.results[0]!.attempts, 2);
  });
  await t.step("other questions use the permit meanwhile", async () => {
    const backend = new ScriptedBackend((id, attempt) =>
      id === "q.csv:1" && attempt === 1 ? { error: err503() } : {
        reply: answerOf(id),
      }
    );
    const pool = new EndpointPool([backend], { concurrency: 1 });
    const results: ResultRecord[] = [];
    let answeredDuringSleep = -1;
    const sleep = async () => {
      // Sleep until the other questions are answered through the only
      // permit (bounded, so a held permit fails instead of hanging).
      for (let i = 0; i < 200 && results.length < 3; i++) await settle();
      answeredDuringSleep = results.length;
    };
    const h = harness(questions(4), backend, { concurrency: 1 }, {
      pool,
      sleep,
      sink: (r) => results.push(r),
    });
    const outcome = await h.run();
    assert.equal(outcome.stopped, null);
    assert.equal(answeredDuringSleep, 3);
    assert.equal(results.length, 4);
    assert.equal(results[3]!.id, "q.csv:1");
    assert.equal(results[3]!.attempts, 2);
  });
});

Deno.test("runQuestions() waits Retry-After before retrying", async () => {
  const backend = new ScriptedBackend((id, attempt) =>
    attempt === 1
      ? {
        error: new BackendError("HTTP 429", {
          kind: "rate_limited",
          status: 429,
          retryable: true,
          retryAfterSeconds: 3,
        }),
      }
      : { reply: answerOf(id) }
  );
  const slept: number[] = [];
  const h = harness([makeQuestion(0)], backend, {}, {
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  await h.run();
  assert.deepEqual(slept, [3_000]);
  assert.equal(h.results[0]!.attempts, 2);
});

Deno.test("runQuestions() backs off exponentially with the injected random", async () => {
  const backend = new ScriptedBackend(() => ({ error: err503() }));
  const slept: number[] = [];
  const h = harness([makeQuestion(0)], backend, {}, {
    random: () => 0.5,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  });
  await h.run();
  // base 10, cap 100: ceilings 10, 20, 40 for the three retries.
  assert.deepEqual(slept, [5, 10, 20]);
});

Deno.test("runQuestions() spaces request starts by rateLimitDelayMs", async (t) => {
  const gaps = (starts: number[]) => {
    const sorted = [...starts].sort((a, b) => a - b);
    return sorted.slice(1).map((x, i) => x - sorted[i]!);
  };
  await t.step("with permits to spare", async () => {
    const clock = new FakeClock();
    const starts: number[] = [];
    const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }), {
      delay: () => clock.sleep(10),
    });
    backend.onCall = () => starts.push(clock.now);
    const h = harness(questions(6), backend, {
      concurrency: 4,
      run: { rateLimitDelayMs: 100 },
    }, { now: () => clock.now, sleep: clock.sleep });
    await clock.drive(h.run());
    assert.equal(h.results.length, 6);
    assert.deepEqual(starts, [0, 100, 200, 300, 400, 500]);
  });
  await t.step("when the requests wait for permits", async () => {
    // Two permits; the first two requests are slow and end together, with
    // two more questions waiting. Their starts must still be 100 ms apart.
    const clock = new FakeClock();
    const starts: number[] = [];
    const took: Record<string, number> = { "q.csv:1": 350, "q.csv:2": 250 };
    const slow = new ScriptedBackend((id) => ({ reply: answerOf(id) }), {
      delay: (id) => clock.sleep(took[id] ?? 10),
    });
    slow.onCall = () => starts.push(clock.now);
    const h = harness(questions(5), slow, {
      concurrency: 2,
      run: { rateLimitDelayMs: 100 },
    }, { now: () => clock.now, sleep: clock.sleep });
    await clock.drive(h.run());
    assert.equal(h.results.length, 5);
    const g = gaps(starts);
    assert.ok(g.every((x) => x >= 100), `starts ${starts.join(",")}`);
  });
});

Deno.test("runQuestions() answers from the response cache without the rate limit", async () => {
  const clock = new FakeClock();
  const slept: number[] = [];
  const live = new ScriptedBackend((id) => ({ reply: answerOf(id) }));
  const cached: Backend = {
    endpoint: live.endpoint,
    preflight: () => live.preflight(),
    unload: () => live.unload(),
    ask: (request, signal) => live.ask(request, signal),
    cachedReply: (request) => {
      const id = request.messages![0]!.content;
      return id === "q.csv:3" ? null : { ...reply(answerOf(id)), cached: true };
    },
  };
  const h = harness(questions(5), cached, {
    concurrency: 1,
    run: { rateLimitDelayMs: 100 },
  }, {
    now: () => clock.now,
    sleep: (ms, signal) => {
      slept.push(ms);
      return clock.sleep(ms, signal);
    },
  });
  await clock.drive(h.run());
  assert.equal(h.results.length, 5);
  assert.deepEqual(live.calls.map((c) => c.id), ["q.csv:3"]);
  assert.equal(h.results.filter((r) => r.cached === true).length, 4);
  assert.ok(h.results.every((r) => r.status === "correct"));
  assert.deepEqual(slept, [], "only one request: nothing to space");
});

Deno.test("runQuestions() records skipped rows at once", async () => {
  const skipped: DatasetItem = {
    kind: "skipped",
    row: {
      id: "q.csv:9",
      index: 8,
      file: "q.csv",
      line: 9,
      subject: "q",
      reason: 'answer "E" is not one of A-D',
    },
  };
  const backend = new ScriptedBackend(() => ({ hang: true }));
  const h = harness([skipped, makeQuestion(0)], backend);
  const running = h.run();
  // The skipped row is recorded while the question still hangs.
  while (backend.inFlight < 1) await settle();
  assert.equal(h.results.length, 1);
  const r = h.results[0]!;
  assert.equal(r.status, "skipped");
  assert.equal(r.id, "q.csv:9");
  assert.equal(r.reason, 'answer "E" is not one of A-D');
  assert.equal(r.attempts, 0);
  assert.equal(r.expected, null);
  assert.equal(r.model, "test-model");
  h.stop.abort("interrupted");
  h.abort.abort("interrupted");
  await running;
  assert.equal(backend.calls.length, 1);
});

Deno.test("runQuestions() with repeats records one result per repeat", async () => {
  const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }));
  const h = harness(questions(5), backend, { run: { repeats: 3 } });
  const outcome = await h.run();
  assert.equal(outcome.finished, 15);
  assert.equal(h.results.length, 15);
  const keys = new Set(h.results.map((r) => `${r.id}#${r.repeat}`));
  assert.equal(keys.size, 15);
  for (const q of questions(5)) {
    for (const rep of [0, 1, 2]) assert.ok(keys.has(`${q.id}#${rep}`));
  }
});

Deno.test("runQuestions() turns a prepare failure into that question's error", async () => {
  const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }));
  const protocol: QuestionProtocol = {
    prepare(q) {
      if (q.id === "q.csv:2") throw new Error("template has no {question}");
      return PROTOCOL.prepare(q);
    },
    score: PROTOCOL.score,
  };
  const h = harness(questions(3), backend, {}, { protocol });
  const outcome = await h.run();
  assert.equal(outcome.stopped, null);
  assert.equal(h.results.length, 3);
  const r = h.results.find((x) => x.id === "q.csv:2")!;
  assert.equal(r.status, "error");
  assert.equal(r.error_kind, "malformed");
  assert.match(r.reason!, /template has no \{question\}/);
});

Deno.test("runQuestions() spreads questions over several endpoints", async () => {
  const a = new ScriptedBackend((id) => ({ reply: answerOf(id) }), {
    endpoint: "http://a",
  });
  const b = new ScriptedBackend((id) => ({ reply: answerOf(id) }), {
    endpoint: "http://b",
  });
  const h = harness(questions(40), [a, b], { concurrency: 2 });
  await h.run();
  assert.equal(h.results.length, 40);
  assert.ok(a.calls.length > 5 && b.calls.length > 5);
  assert.equal(
    h.results.filter((r) => r.endpoint === "http://a").length,
    a.calls.length,
  );
});

Deno.test("runQuestions() reports events for live metrics", async () => {
  const backend = new ScriptedBackend((id, attempt) =>
    attempt === 1 && id === "q.csv:1" ? { error: err503() } : {
      reply: answerOf(id),
    }
  );
  const seen = { started: 0, finished: 0, failed: 0, retries: 0 };
  const h = harness(questions(3), backend, {}, {
    events: {
      requestStarted: () => seen.started++,
      requestFinished: (_ms, ok) => {
        seen.finished++;
        if (!ok) seen.failed++;
      },
      retry: () => seen.retries++,
    },
  });
  await h.run();
  assert.deepEqual(seen, {
    started: 4,
    finished: 4,
    failed: 1,
    retries: 1,
  });
});

Deno.test("runQuestions() skips the repeats isDone() reports, asking only the rest", async () => {
  const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }));
  const done = new Set(["q.csv:1#0", "q.csv:1#1", "q.csv:2#1"]);
  const h = harness(questions(2), backend, { run: { repeats: 2 } }, {
    isDone: (id, repeat) => done.has(`${id}#${repeat}`),
  });
  await h.run();
  assert.deepEqual(
    h.results.map((r) => `${r.id}#${r.repeat}`).sort(),
    ["q.csv:2#0"],
  );
  assert.equal(backend.calls.length, 1);
});

Deno.test("runQuestions() ends the run when a result cannot be recorded, and counts nothing twice", async () => {
  const backend = new ScriptedBackend((id) => ({ reply: answerOf(id) }));
  const written: ResultRecord[] = [];
  let failed = false;
  const pool = new EndpointPool([backend], { concurrency: 2 });
  const stop = new AbortController();
  const abort = new AbortController();
  const run = runQuestions(itemsOf(questions(20)), options(), {
    pool,
    protocol: PROTOCOL,
    log: NULL_LOGGER,
    sleep: noSleep,
    sink: (r) => {
      if (written.length === 3 && !failed) {
        failed = true;
        throw new Error("No space left on device (os error 28)");
      }
      written.push(r);
    },
  }, { stop: stop.signal, abort: abort.signal });
  await assert.rejects(run, /No space left on device/);
  assert.equal(new Set(written.map((r) => r.id)).size, written.length);
  assert.ok(written.every((r) => r.status === "correct"));
  // Nothing is written after the failed write.
  assert.equal(written.length, 3);
});

Deno.test("runQuestions() waits the long first-request timeout only on a question's first attempt", async () => {
  // The endpoint never answers: every attempt hangs until its timeout.
  const backend = new ScriptedBackend(() => ({ hang: true }));
  const t0 = performance.now();
  const h = harness(questions(1), backend, { concurrency: 1 }, {});
  const out = await runQuestions(
    itemsOf(questions(1)),
    options({
      retry: { ...POLICY, maxRetries: 2 },
      requestTimeoutMs: 20,
      firstRequestTimeoutMs: 200,
    }),
    {
      pool: h.pool,
      protocol: PROTOCOL,
      log: NULL_LOGGER,
      sleep: noSleep,
      sink: (r) => h.results.push(r),
    },
    { stop: h.stop.signal, abort: h.abort.signal },
  );
  const elapsed = performance.now() - t0;
  assert.equal(out.finished, 1);
  assert.equal(h.results[0]!.status, "error");
  assert.equal(h.results[0]!.error_kind, "timeout");
  assert.equal(h.results[0]!.attempts, 3);
  // 200 ms for the first attempt, then 2 × 20 ms: not 3 × 200 ms.
  assert.ok(elapsed < 450, `took ${Math.round(elapsed)} ms`);
});

Deno.test("runQuestions() takes the advice for a missing model from the backend", async () => {
  const backend = new ScriptedBackend((id) =>
    id === "q.csv:2"
      ? {
        error: new BackendError('model "m" not found', {
          kind: "model_not_found",
          status: 404,
          retryable: false,
        }),
      }
      : { reply: answerOf(id) }
  );
  const seen: BackendError[] = [];
  const advising = Object.assign(backend, {
    advice: (e: BackendError) => {
      seen.push(e);
      return "Run `fakectl fetch m`";
    },
  });
  const h = harness(questions(5), advising, { concurrency: 1 });
  const outcome = await h.run();
  assert.equal(outcome.stopped?.kind, "model_not_found");
  assert.match(outcome.stopped!.message, /Run `fakectl fetch m`, then resume$/);
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.kind, "model_not_found");
});
