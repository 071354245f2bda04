import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { MetricsRegistry } from "../src/metrics/registry.ts";
import {
  createMetricsApp,
  negotiateMetricsFormat,
  startMetricsServer,
} from "../src/metrics/server.ts";
import { LIVE_PAGE_SCRIPT } from "../src/metrics/live_page.ts";
import type { ResultRecord, Status } from "../src/schema.ts";

const PROMETHEUS_DEFAULT_ACCEPT =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const BROWSER_ACCEPT =
  "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

function result(status: Status, subject = "anatomy"): ResultRecord {
  return {
    id: `${subject}.csv:1`,
    index: 0,
    file: `${subject}.csv`,
    line: 1,
    subject,
    model: "llama3:8b",
    expected: "A",
    predicted: status === "correct" ? "A" : "B",
    status,
    method: "json",
    raw: null,
    thinking: null,
    reason: null,
    "error_kind": status === "error" ? "timeout" : null,
    "latency_ms": 800,
    "prompt_tokens": null,
    "eval_tokens": null,
    "eval_duration_ns": null,
    "done_reason": null,
    attempts: 1,
    messages: null,
    prompt: null,
    "letter_probs": null,
    endpoint: null,
    repeat: 0,
  };
}

function fedRegistry(): MetricsRegistry {
  const r = new MetricsRegistry({ model: "llama3:8b", total: 5 });
  r.result(result("correct"));
  r.result(result("wrong", "virology"));
  r.requestStarted();
  r.requestFinished(800);
  return r;
}

Deno.test("createMetricsApp() GET /metrics negotiates the format from Accept", async (t) => {
  const app = createMetricsApp(fedRegistry());
  const cases: [string, string | null, RegExp][] = [
    ["no Accept", null, /^application\/json/],
    ["application/json", "application/json", /^application\/json/],
    ["curl */*", "*/*", /^application\/json/],
    ["browser", BROWSER_ACCEPT, /^application\/json/],
    [
      "Prometheus default",
      PROMETHEUS_DEFAULT_ACCEPT,
      /^application\/openmetrics-text; version=1\.0\.0/,
    ],
    [
      "Prometheus text-only",
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      /^text\/plain; version=0\.0\.4/,
    ],
    ["plain text", "text/plain", /^text\/plain; version=0\.0\.4/],
    [
      "q-values prefer OpenMetrics",
      "text/plain;q=0.2, application/openmetrics-text;q=0.9",
      /^application\/openmetrics-text/,
    ],
    [
      "q=0 refuses OpenMetrics",
      "application/openmetrics-text;q=0, text/plain",
      /^text\/plain/,
    ],
    ["nothing we serve", "image/png", /^application\/json/],
  ];
  for (const [name, accept, contentType] of cases) {
    await t.step(name, async () => {
      const headers: Record<string, string> = accept === null ? {} : { accept };
      const res = await app.request("/metrics", { headers });
      const body = await res.text();
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", contentType);
      assert.equal(res.headers.get("vary"), "Accept");
      if (contentType.source.includes("openmetrics")) {
        assert.ok(body.endsWith("# EOF\n"));
      } else if (contentType.source.includes("text")) {
        assert.match(body, /^# TYPE llm_bench_questions_total counter$/m);
      } else assert.equal(JSON.parse(body).passed, 1);
    });
  }
});

Deno.test("negotiateMetricsFormat() picks by q-value and specificity", () => {
  assert.equal(
    negotiateMetricsFormat(PROMETHEUS_DEFAULT_ACCEPT),
    "openmetrics",
  );
  assert.equal(negotiateMetricsFormat("text/*;q=0.9, */*;q=0.1"), "text");
  assert.equal(
    negotiateMetricsFormat("*/*;q=0.5, application/json;q=0.1"),
    "openmetrics",
  );
  assert.equal(negotiateMetricsFormat(""), "json");
});

Deno.test("createMetricsApp() GET /metrics?format= overrides Accept", async (t) => {
  const app = createMetricsApp(fedRegistry());
  const cases: [string, number, RegExp][] = [
    ["prometheus", 200, /^text\/plain; version=0\.0\.4/],
    ["openmetrics", 200, /^application\/openmetrics-text/],
    ["json", 200, /^application\/json/],
    ["xml", 400, /^text\/plain/],
  ];
  for (const [format, status, contentType] of cases) {
    await t.step(format, async () => {
      const res = await app.request(`/metrics?format=${format}`, {
        headers: { accept: "application/openmetrics-text" },
      });
      await res.body?.cancel();
      assert.equal(res.status, status);
      assert.match(res.headers.get("content-type") ?? "", contentType);
    });
  }
});

Deno.test("createMetricsApp() GET /metrics answers the no-metrics seed before results", async () => {
  const app = createMetricsApp(new MetricsRegistry({ model: "m", total: 3 }));
  const res = await app.request("/metrics");
  assert.deepEqual(await res.json(), { status: "no metrics available yet" });
});

Deno.test("createMetricsApp() refuses other methods with 405 and Allow", async (t) => {
  const app = createMetricsApp(fedRegistry());
  for (
    const [method, path] of [["POST", "/metrics"], ["PUT", "/"], [
      "DELETE",
      "/healthz",
    ]]
  ) {
    await t.step(`${method} ${path}`, async () => {
      const res = await app.request(path ?? "/", { method });
      await res.body?.cancel();
      assert.equal(res.status, 405);
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    });
  }
});

Deno.test("createMetricsApp() HEAD answers headers without a body", async () => {
  const app = createMetricsApp(fedRegistry());
  const res = await app.request("/metrics", {
    method: "HEAD",
    headers: { accept: PROMETHEUS_DEFAULT_ACCEPT },
  });
  assert.equal(res.status, 200);
  assert.match(
    res.headers.get("content-type") ?? "",
    /^application\/openmetrics-text/,
  );
  assert.equal(await res.text(), "");
});

Deno.test("createMetricsApp() GET / serves a self-contained HTML page with a strict CSP", async () => {
  const app = createMetricsApp(fedRegistry());
  const res = await app.request("/");
  const html = await res.text();
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(html, /^<!doctype html>/i);
  assert.ok(
    !/https?:\/\//i.test(html),
    "page must not reference remote assets",
  );
  assert.ok(html.includes("api/live"));
  assert.ok(
    !LIVE_PAGE_SCRIPT.includes("innerHTML"),
    "data must go in via textContent",
  );
  const csp = res.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /connect-src 'self'/);
  assert.ok(!csp.includes("unsafe"), csp);
  const hash = createHash("sha256").update(LIVE_PAGE_SCRIPT).digest("base64");
  assert.ok(
    csp.includes(`script-src 'sha256-${hash}'`),
    "CSP must allow the inline script",
  );
  assert.ok(html.includes(`<script>${LIVE_PAGE_SCRIPT}</script>`));
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
});

Deno.test("createMetricsApp() GET /api/live and /healthz answer, unknown paths 404", async () => {
  const app = createMetricsApp(fedRegistry());
  const live = await app.request("/api/live");
  const snap = await live.json();
  assert.equal(snap.done, 2);
  assert.equal(snap.planned, 5);
  assert.equal(snap.model, "llama3:8b");
  assert.deepEqual(snap.subjects.map((g: { name: string }) => g.name), [
    "anatomy",
    "virology",
  ]);
  const health = await app.request("/healthz");
  assert.equal(health.status, 200);
  assert.equal(await health.text(), "ok");
  const missing = await app.request("/nope");
  await missing.body?.cancel();
  assert.equal(missing.status, 404);
  assert.equal(missing.headers.get("x-content-type-options"), "nosniff");
});

Deno.test("createMetricsApp() scraping has no side effects", async () => {
  const registry = fedRegistry();
  const app = createMetricsApp(registry);
  const before = JSON.stringify(registry.json());
  for (
    const path of ["/metrics", "/metrics?format=prometheus", "/", "/api/live"]
  ) {
    const res = await app.request(path);
    await res.body?.cancel();
  }
  assert.equal(JSON.stringify(registry.json()), before);
});

Deno.test("startMetricsServer() listens on a free port and shuts down cleanly", async () => {
  const registry = fedRegistry();
  let announced: { hostname: string; port: number } | null = null;
  const server = await startMetricsServer({
    hostname: "127.0.0.1",
    port: 0,
    registry,
    onListen: (addr) => {
      announced = addr;
    },
  });
  try {
    assert.ok(server.addr.port > 0);
    assert.deepEqual(announced, server.addr);
    const base = `http://127.0.0.1:${server.addr.port}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(await health.text(), "ok");
    const metrics = await fetch(`${base}/metrics`, {
      headers: { accept: PROMETHEUS_DEFAULT_ACCEPT },
    });
    assert.match(
      await metrics.text(),
      /llm_bench_questions_total\{model="llama3:8b",status="correct"\} 1/,
    );
  } finally {
    await server.shutdown();
    await server.shutdown();
  }
  await assert.rejects(fetch(`http://127.0.0.1:${server.addr.port}/healthz`));
});

Deno.test("startMetricsServer() stops when its signal aborts", async () => {
  const controller = new AbortController();
  const server = await startMetricsServer({
    hostname: "127.0.0.1",
    port: 0,
    registry: fedRegistry(),
    signal: controller.signal,
  });
  const res = await fetch(`http://127.0.0.1:${server.addr.port}/healthz`);
  await res.body?.cancel();
  controller.abort();
  await server.shutdown();
  await assert.rejects(fetch(`http://127.0.0.1:${server.addr.port}/healthz`));
});

Deno.test("createMetricsApp() GET /report.html serves the finished run's report, 404 before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-report-" });
  try {
    const registry = fedRegistry();
    const app = createMetricsApp(registry);
    const before = await app.request("/report.html");
    assert.equal(before.status, 404);
    assert.match(await before.text(), /not finished/);
    const path = `${dir}/report.html`;
    await Deno.writeTextFile(
      path,
      "<!doctype html><title>r</title><style>p{}</style>",
    );
    registry.finish(path);
    const res = await app.request("/report.html");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    assert.match(await res.text(), /<title>r<\/title>/);
    // The report's inline style may run; the live page's hashes do not apply.
    assert.match(
      res.headers.get("content-security-policy") ?? "",
      /^default-src 'none'; style-src 'unsafe-inline'/,
    );
    assert.equal(res.headers.get("x-frame-options"), "DENY");
    const live = await (await app.request("/api/live")).json();
    assert.equal(live.report, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
