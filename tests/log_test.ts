import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import {
  arraySink,
  fileSink,
  formatJsonLine,
  setupLogging,
  teardownLogging,
} from "../src/log.ts";

function logRecord(over: Partial<LogRecord> = {}): LogRecord {
  return {
    category: ["llm-bench"],
    level: "info",
    message: ["run_started"],
    rawMessage: "run_started",
    timestamp: Date.UTC(2024, 0, 2, 3, 4, 5, 6),
    properties: { model: "m", "latency_ms": 12.5 },
    ...over,
  };
}

Deno.test("formatJsonLine() writes one flat JSON object per line", () => {
  const line = formatJsonLine(logRecord());
  assert.ok(line.endsWith("\n"));
  assert.equal(line.indexOf("\n"), line.length - 1);
  assert.deepEqual(JSON.parse(line), {
    timestamp: "2024-01-02T03:04:05.006Z",
    level: "info",
    event: "run_started",
    model: "m",
    "latency_ms": 12.5,
  });
  // timestamp, level and event come first.
  assert.ok(
    line.startsWith(
      '{"timestamp":"2024-01-02T03:04:05.006Z","level":"info","event":"run_started"',
    ),
  );
});

Deno.test("formatJsonLine() names LogTape's levels", async (t) => {
  const cases = [
    ["debug", "debug"],
    ["info", "info"],
    ["warning", "warn"],
    ["error", "error"],
    ["fatal", "fatal"],
  ] as const;
  for (const [level, name] of cases) {
    await t.step(level, () => {
      assert.equal(
        JSON.parse(formatJsonLine(logRecord({ level }))).level,
        name,
      );
    });
  }
});

Deno.test("formatJsonLine() joins a message that is not a plain string", () => {
  const line = formatJsonLine(logRecord({
    rawMessage: ["question ", ""] as unknown as TemplateStringsArray,
    message: ["question ", 7, ""],
  }));
  assert.equal(JSON.parse(line).event, "question 7");
});

Deno.test("formatJsonLine() keeps newlines in fields escaped", () => {
  const line = formatJsonLine(logRecord({
    properties: { reason: "line 1\nline 2" },
  }));
  assert.equal(line.split("\n").length, 2);
  assert.equal(JSON.parse(line).reason, "line 1\nline 2");
});

Deno.test("setupLogging() sends one JSON line per event to each sink", async () => {
  const a: string[] = [];
  const b: string[] = [];
  const log = await setupLogging([arraySink(a), arraySink(b)]);
  try {
    const before = Date.now();
    log.info("run_started", { model: "m", questions: 3 });
    log.warn("request_retry", { id: "x.csv:2", "wait_ms": 250 });
    log.error("run_failed");
    log.debug("detail", { n: 1 });
    assert.equal(a.length, 4);
    assert.deepEqual(b, a);
    const parsed = a.map((l) => JSON.parse(l));
    assert.deepEqual(
      parsed.map((p) => [p.level, p.event]),
      [["info", "run_started"], ["warn", "request_retry"], [
        "error",
        "run_failed",
      ], ["debug", "detail"]],
    );
    assert.equal(parsed[0].model, "m");
    assert.equal(parsed[0].questions, 3);
    assert.equal(parsed[1]["wait_ms"], 250);
    assert.deepEqual(Object.keys(parsed[2]), ["timestamp", "level", "event"]);
    const ts = Date.parse(parsed[0].timestamp);
    assert.ok(ts >= before - 1000 && ts <= Date.now() + 1000);
    for (const line of a) assert.equal(line.indexOf("\n"), line.length - 1);
  } finally {
    await teardownLogging();
  }
});

Deno.test("setupLogging() drops events below the lowest level", async () => {
  const lines: string[] = [];
  const log = await setupLogging([arraySink(lines)], "info");
  try {
    log.debug("noise");
    log.info("kept");
    assert.deepEqual(lines.map((l) => JSON.parse(l).event), ["kept"]);
  } finally {
    await teardownLogging();
  }
});

Deno.test("teardownLogging() stops delivery to the sinks", async () => {
  const lines: string[] = [];
  const log = await setupLogging([arraySink(lines)]);
  log.info("before");
  await teardownLogging();
  log.info("after");
  assert.deepEqual(lines.map((l) => JSON.parse(l).event), ["before"]);
});

Deno.test("setupLogging() again replaces the previous sinks", async () => {
  const first: string[] = [];
  const second: string[] = [];
  await setupLogging([arraySink(first)]);
  const log = await setupLogging([arraySink(second)]);
  try {
    log.info("x");
    assert.equal(first.length, 0);
    assert.equal(second.length, 1);
  } finally {
    await teardownLogging();
  }
});

Deno.test("fileSink() writes every byte even with short writes", () => {
  const chunks: Uint8Array[] = [];
  // A file that accepts at most 7 bytes per call.
  const file = {
    writeSync(p: Uint8Array): number {
      const n = Math.min(7, p.length);
      chunks.push(p.slice(0, n));
      return n;
    },
  };
  const sink = fileSink(file);
  sink(logRecord({ properties: { text: "ünïcödé ".repeat(10) } }));
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  const text = new TextDecoder().decode(all);
  assert.equal(
    text,
    formatJsonLine(logRecord({
      properties: { text: "ünïcödé ".repeat(10) },
    })),
  );
});
