import assert from "node:assert/strict";
import type { LiveGroup, LiveSnapshot } from "../src/metrics/registry.ts";
import {
  plainProgressText,
  Progress,
  progressLine,
} from "../src/runner/progress.ts";

function group(name: string, over: Partial<LiveGroup> = {}): LiveGroup {
  return {
    name,
    correct: 9,
    wrong: 3,
    unparsed: 0,
    errors: 0,
    skipped: 0,
    accuracy: 0.75,
    ci95: [0.468, 0.911],
    ...over,
  };
}

function snapshot(over: Partial<LiveSnapshot> = {}): LiveSnapshot {
  return {
    model: "llama3.2:latest",
    "model_index": 1,
    "model_count": 1,
    "model_planned": 40,
    "model_done": 12,
    report: false,
    complete: false,
    done: 12,
    planned: 40,
    progress: 0.3,
    qps: 2,
    "eta_seconds": 14,
    "elapsed_seconds": 6,
    overall: group("llama3.2:latest"),
    subjects: [],
    models: [group("llama3.2:latest")],
    latency: { count: 12, p50: 400, p90: 800 },
    "errors_by_kind": {},
    "retries_by_kind": { busy: 1 },
    "total_retries": 1,
    "in_flight": 4,
    "tokens_per_second": null,
    ...over,
  };
}

Deno.test("progressLine() shows counts, rate, ETA, accuracy and failures", () => {
  assert.equal(
    progressLine(snapshot()),
    "12/40 30.0% | acc 75.0% [46.8-91.1] | ETA 14s | 2.0 q/s | errors 0 | retries 1",
  );
});

Deno.test("progressLine() formats the ETA", async (t) => {
  const cases: Array<[number | null, string]> = [
    [null, "?"],
    [Infinity, "?"],
    [0, "0s"],
    [59.4, "59s"],
    [75, "1m15s"],
    [3600, "1h00m"],
    [3725, "1h02m"],
  ];
  for (const [eta, text] of cases) {
    await t.step(`${eta}`, () => {
      assert.ok(
        progressLine(snapshot({ "eta_seconds": eta })).includes(
          `ETA ${text} |`,
        ),
      );
    });
  }
});

Deno.test("progressLine() handles no accuracy yet and nothing planned", () => {
  const line = progressLine(snapshot({
    done: 0,
    planned: 0,
    progress: null,
    overall: group("m", { accuracy: null, ci95: null }),
  }));
  assert.ok(line.startsWith("0/0 | "), line);
  assert.ok(line.includes("acc -"), line);
});

Deno.test("progressLine() names the model and its place whenever several are run", () => {
  for (const index of [1, 2]) {
    const line = progressLine(snapshot({
      model: "qwen3:8b",
      "model_index": index,
      "model_count": 2,
      // While model 1 runs, only it has been seen: the name shows all the same.
      models: index === 1
        ? [group("qwen3:8b")]
        : [group("llama3.2:latest"), group("qwen3:8b")],
      overall: group("qwen3:8b", { errors: 2 }),
    }));
    assert.ok(line.startsWith(`qwen3:8b (${index}/2) 12/40`), line);
    assert.ok(line.includes("errors 2"), line);
  }
});

Deno.test("progressLine() drops whole segments, least important first, to fit", () => {
  const full = progressLine(snapshot());
  assert.equal(progressLine(snapshot(), full.length), full);
  const at60 = progressLine(snapshot(), 60);
  assert.equal(at60, "12/40 30.0% | acc 75.0% [46.8-91.1] | ETA 14s | 2.0 q/s");
  const at30 = progressLine(snapshot(), 30);
  assert.equal(at30, "12/40 30.0%");
  // Too narrow even for the count: cut, never longer than asked.
  assert.equal(progressLine(snapshot(), 5).length, 5);
});

Deno.test("Progress in a terminal redraws one line and clears it on stop", () => {
  const out: string[] = [];
  let snap = snapshot();
  const p = new Progress({ tty: true, write: (t) => out.push(t) }, () => snap);
  p.tick();
  snap = snapshot({ done: 13 });
  p.tick();
  assert.equal(out.length, 2);
  for (const w of out) {
    assert.ok(w.startsWith("\r\x1b[2K"), JSON.stringify(w));
    assert.ok(!w.includes("\n"), JSON.stringify(w));
  }
  assert.ok(out[1]!.includes("13/40"));
  p.stop();
  assert.equal(out.at(-1), "\r\x1b[2K");
  assert.equal(out.length, 3);
  // A second stop does not clear again.
  p.stop();
  assert.equal(out.length, 3);
});

Deno.test("Progress in a terminal fits the line to the width", () => {
  const out: string[] = [];
  const p = new Progress(
    { tty: true, columns: 30, write: (t) => out.push(t) },
    () => snapshot(),
  );
  p.tick();
  // The count and percentage fit in 29 columns; "| acc …" would not.
  assert.equal(out[0], "\r\x1b[2K12/40 30.0%");
  p.stop();
});

Deno.test("Progress draws nothing before the first question starts", () => {
  const out: string[] = [];
  for (const tty of [true, false]) {
    const p = new Progress(
      { tty, write: (t) => out.push(t), now: () => 0 },
      () => snapshot({ done: 0, "in_flight": 0, progress: 0 }),
    );
    p.tick();
    p.stop();
  }
  assert.deepEqual(out, []);
});

Deno.test("Progress off a terminal writes plain lines at most every interval", () => {
  const out: string[] = [];
  let clock = 0;
  let done = 0;
  const p = new Progress(
    {
      tty: false,
      plainIntervalMs: 30_000,
      write: (t) => out.push(t),
      now: () => clock,
    },
    // 1000 questions planned, one done per second: 10% takes 100 s.
    () => snapshot({ done, planned: 1000, progress: done / 1000 }),
  );
  const at: number[] = [];
  for (clock = 0; clock <= 300_000; clock += 1_000) {
    done = clock / 1_000;
    const before = out.length;
    p.tick();
    if (out.length > before) at.push(clock);
  }
  p.stop();
  for (const line of out) {
    assert.ok(line.startsWith("progress: "), line);
    assert.ok(line.endsWith("\n"));
    assert.ok(!line.includes("\r"), JSON.stringify(line));
    assert.ok(!line.includes("\x1b"), JSON.stringify(line));
  }
  // Every 30 s, plus the 10% steps at 100 s, 200 s and 300 s.
  assert.deepEqual(at, [
    0,
    30_000,
    60_000,
    90_000,
    100_000,
    130_000,
    160_000,
    190_000,
    200_000,
    230_000,
    260_000,
    290_000,
    300_000,
  ]);
});

Deno.test("Progress off a terminal writes a line at each 10% step", () => {
  const out: string[] = [];
  let clock = 0;
  let done = 0;
  const p = new Progress(
    {
      tty: false,
      plainIntervalMs: 3_600_000,
      write: (t) => out.push(t),
      now: () => clock,
    },
    () => snapshot({ done, planned: 100, progress: done / 100 }),
  );
  for (let n = 1; n <= 100; n++) {
    done = n;
    clock += 100;
    p.tick();
  }
  p.stop();
  // 1% is in step 0; then 10%, 20%, ..., 100%; stop() adds nothing when the
  // last line already shows the final state.
  assert.equal(out.length, 11);
  assert.ok(out.at(-1)!.includes("100/100 100.0%"));
  assert.ok(out.every((l) => !l.includes("\r")));
});

Deno.test("Progress off a terminal writes the final state on stop() for a short run", () => {
  const out: string[] = [];
  let done = 0;
  const p = new Progress(
    {
      tty: false,
      plainIntervalMs: 10_000,
      write: (t) => out.push(t),
      now: () => 0,
    },
    () => snapshot({ done, planned: 100, progress: done / 100 }),
  );
  done = 3;
  p.tick();
  done = 7;
  p.stop();
  assert.equal(out.length, 2);
  assert.ok(out[1]!.startsWith("progress: 7/100 7.0%"), out[1]);
});

Deno.test("Progress.start() draws on a timer until stopped", async () => {
  const out: string[] = [];
  const p = new Progress(
    { tty: true, ttyIntervalMs: 5, write: (t) => out.push(t) },
    () => snapshot(),
  );
  p.start();
  await new Promise((resolve) => setTimeout(resolve, 60));
  p.stop();
  const n = out.length;
  assert.ok(n >= 2, `${n} writes`);
  assert.ok(out[0]!.startsWith("\r\x1b[2K12/40"), JSON.stringify(out[0]));
  assert.equal(out.at(-1), "\r\x1b[2K");
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(out.length, n, "nothing drawn after stop");
});

Deno.test("plainProgressText() keeps every segment within 80 columns on a pipe", () => {
  const s = snapshot({
    model: "qwen2.5:14b-instruct",
    "model_count": 2,
    done: 14042,
    planned: 28084,
    qps: 15307.7,
    "total_retries": 12,
    overall: group("m", { errors: 3 }),
  });
  const text = plainProgressText(s, 80);
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 2, text);
  for (const l of lines) assert.ok(l.length <= 80, `${l.length}: ${l}`);
  assert.match(
    lines[0]!,
    /^progress: qwen2\.5:14b-instruct \(1\/2\) 14042\/28084 /,
  );
  assert.match(lines[1]!, /^ {2}\S/);
  // Nothing is dropped: the same segments as the one-line form, in order.
  assert.equal(
    lines.map((l) => l.replace(/^progress: |^ {2}/, "")).join(" | "),
    progressLine(s),
  );
  // A wide terminal gets one line.
  assert.equal(plainProgressText(s, 200), `progress: ${progressLine(s)}\n`);
});
