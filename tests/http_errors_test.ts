import assert from "node:assert/strict";
import {
  classifyStatus,
  describeFailure,
  errorFromFetchFailure,
  errorFromResponse,
  errorMessageFromBody,
  parseRetryAfter,
  redactText,
  redactUrl,
} from "../src/backend/http_errors.ts";
import { BackendError } from "../src/errors.ts";

Deno.test("classifyStatus() maps statuses to kind and retryability", async (t) => {
  const cases: [number, string, string, boolean][] = [
    [400, "bad", "http_4xx", false],
    [401, "", "http_4xx", false],
    [403, "", "http_4xx", false],
    [404, "404 page not found", "http_4xx", false],
    [404, "model 'foo' not found", "model_not_found", false],
    [404, "The model `foo` does not exist.", "model_not_found", false],
    [405, "", "http_4xx", false],
    [408, "", "timeout", true],
    [422, "", "http_4xx", false],
    [429, "", "rate_limited", true],
    [500, "", "http_5xx", true],
    [502, "", "http_5xx", true],
    [503, "", "busy", true],
    [504, "", "http_5xx", true],
  ];
  for (const [status, message, kind, retryable] of cases) {
    await t.step(`${status} ${message}`.trim(), () => {
      assert.deepEqual(classifyStatus(status, message), { kind, retryable });
    });
  }
});

Deno.test("parseRetryAfter() reads seconds and HTTP dates", async (t) => {
  const now = Date.UTC(2015, 9, 21, 7, 28, 0);
  const cases: [string | null, number | null][] = [
    ["7", 7],
    [" 120 ", 120],
    ["0", 0],
    ["1.5", 1.5],
    ["Wed, 21 Oct 2015 07:28:10 GMT", 10],
    ["Wed, 21 Oct 2015 07:27:00 GMT", 0],
    ["-5", null],
    ["soon", null],
    ["", null],
    [null, null],
  ];
  for (const [value, expected] of cases) {
    await t.step(JSON.stringify(value), () => {
      assert.equal(parseRetryAfter(value, now), expected);
    });
  }
});

Deno.test("redactUrl() removes userinfo and sensitive query values", async (t) => {
  const cases: [string, string][] = [
    ["http://user:pass@host:8000/v1", "http://host:8000/v1"],
    ["https://tok@host/v1", "https://host/v1"],
    [
      "http://host/v1?key=abc&x=1",
      "http://host/v1?key=REDACTED&x=1",
    ],
    ["http://host/v1?api_key=abc", "http://host/v1?api_key=REDACTED"],
    ["http://host/v1?TOKEN=abc", "http://host/v1?TOKEN=REDACTED"],
    ["http://host:11434", "http://host:11434"],
    ["http://host/v1?keyword=ok", "http://host/v1?keyword=ok"],
    ["not a url ?token=abc", "not a url ?token=REDACTED"],
  ];
  for (const [input, expected] of cases) {
    await t.step(input, () => {
      const out = redactUrl(input);
      assert.equal(out, expected);
      for (const secret of ["pass", "abc"]) assert.ok(!out.includes(secret));
    });
  }
});

Deno.test("redactText() scrubs secrets, userinfo and key params", () => {
  assert.equal(
    redactText("bad key sk-123 at http://a:b@h/v1?token=x&y=2", ["sk-123"]),
    "bad key *** at http://h/v1?token=REDACTED&y=2",
  );
});

Deno.test("errorMessageFromBody() reads OpenAI, Ollama and plain envelopes", () => {
  assert.equal(
    errorMessageFromBody(
      '{"error":{"message":"m1","type":"api_error","param":null,"code":null}}',
    ),
    "m1",
  );
  assert.equal(errorMessageFromBody('{"error":"m2"}'), "m2");
  assert.equal(errorMessageFromBody('{"object":"error","message":"m3"}'), "m3");
  assert.equal(errorMessageFromBody('{"detail":"m4"}'), "m4");
  assert.equal(errorMessageFromBody("404 page not found"), null);
  assert.equal(errorMessageFromBody("[1]"), null);
});

Deno.test("errorFromResponse() uses the envelope message, status and Retry-After", async () => {
  const err = await errorFromResponse(
    new Response(
      JSON.stringify({
        error: { message: "slow down, key sk-9", type: "api_error" },
      }),
      {
        status: 429,
        statusText: "Too Many Requests",
        headers: { "retry-after": "3" },
      },
    ),
    { secrets: ["sk-9"] },
  );
  assert.ok(err instanceof BackendError);
  assert.equal(err.message, "slow down, key ***");
  assert.equal(err.kind, "rate_limited");
  assert.equal(err.status, 429);
  assert.equal(err.retryable, true);
  assert.equal(err.retryAfterSeconds, 3);
});

Deno.test("errorFromResponse() falls back to the status line for non-JSON bodies", async () => {
  const err = await errorFromResponse(
    new Response("<html>bad gateway</html>", {
      status: 502,
      statusText: "Bad Gateway",
    }),
  );
  assert.equal(err.message, "HTTP 502 Bad Gateway");
  assert.equal(err.kind, "http_5xx");
  assert.equal(err.retryAfterSeconds, null);
});

Deno.test("errorFromFetchFailure() classifies timeouts, aborts and network errors", async (t) => {
  await t.step("TimeoutError", () => {
    const err = errorFromFetchFailure(
      new DOMException(
        "The operation was aborted due to timeout",
        "TimeoutError",
      ),
    );
    assert.equal(err.kind, "timeout");
    assert.equal(err.retryable, true);
  });
  await t.step("AbortError", () => {
    const err = errorFromFetchFailure(
      new DOMException("The signal has been aborted", "AbortError"),
    );
    assert.equal(err.kind, "interrupted");
    assert.equal(err.retryable, false);
  });
  await t.step("TypeError with the URL in its cause", () => {
    const err = errorFromFetchFailure(
      new TypeError("fetch failed", {
        cause: new Error(
          "error sending request for url (http://h/v1?key=sk-1): Connection refused",
        ),
      }),
      { secrets: ["sk-1"] },
    );
    assert.equal(err.kind, "network");
    assert.equal(err.retryable, true);
    assert.match(err.message, /Connection refused/);
    assert.ok(
      !JSON.stringify([err.message, String(err.cause)]).includes("sk-1"),
    );
  });
  await t.step("a dropped connection: the runtime's wrappers go", () => {
    const err = errorFromFetchFailure(
      new TypeError(
        "error sending request from 127.0.0.1:43072 for http://127.0.0.1:40887/api/tags (127.0.0.1:40887): client error (SendRequest): connection closed before message completed",
      ),
      { url: "http://127.0.0.1:40887/api/tags" },
    );
    assert.equal(err.kind, "network");
    assert.equal(
      err.message,
      "Network error: cannot reach http://127.0.0.1:40887/api/tags: connection closed before message completed",
    );
  });
  await t.step("BackendError passes through", () => {
    const original = new BackendError("x", { kind: "busy", retryable: true });
    assert.equal(errorFromFetchFailure(original), original);
  });
});

Deno.test("errorFromFetchFailure() classifies a real refused connection as network", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const err = await fetch(`http://127.0.0.1:${port}/`).then(
    () => null,
    (e: unknown) => errorFromFetchFailure(e),
  );
  assert.equal(err?.kind, "network");
  assert.match(describeFailure(err?.cause), /refused|connect/i);
});
