// Small helpers for the end-to-end reliability tests (faults, resume,
// interrupts, bad input, security): temporary folders, the run log, which
// questions a fake saw, polling a growing file, and a seeded random source.

import { join } from "node:path";
import type { FakeRequest } from "./fake_ollama.ts";
import { type GeneratedQuestion, questionFor } from "./cli_helper.ts";
import type { ResultRecord } from "../src/schema.ts";

/** A temporary folder removed when disposed (`await using`). */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

/** Makes a temporary folder that `await using` removes. */
export async function tempDir(prefix = "llm-bench-e2e-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** The flags every quiet test run shares. */
export function quietArgs(
  csvDir: string,
  baseUrl: string,
  outputDir: string,
  runId = "run",
): string[] {
  return [
    csvDir,
    "--base-url",
    baseUrl,
    "--output-dir",
    outputDir,
    "--run-id",
    runId,
    "--metrics-port",
    "off",
    "--quiet",
  ];
}

/** One parsed line of a run's JSON log. */
export type LogLine = Record<string, unknown> & { event: string };

/** Every line of every `log-*.jsonl` in a run folder, in file order. */
export async function readLog(runDir: string): Promise<LogLine[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(runDir)) {
    if (e.isFile && /^log-.*\.jsonl$/.test(e.name)) names.push(e.name);
  }
  names.sort();
  const out: LogLine[] = [];
  for (const name of names) {
    const text = await Deno.readTextFile(join(runDir, name));
    for (const l of text.split("\n")) {
      if (l.trim() !== "") out.push(JSON.parse(l) as LogLine);
    }
  }
  return out;
}

/** How many requests the fake received per generated question marker. */
export function askedCounts(
  requests: readonly FakeRequest[],
  questions: GeneratedQuestion[],
): Map<string, number> {
  const asked = new Map<string, number>();
  for (const req of requests) {
    const q = questionFor(req, questions);
    if (q) asked.set(q.marker, (asked.get(q.marker) ?? 0) + 1);
  }
  return asked;
}

/** The generated question a result line is about (matched on file and line). */
export function markerOf(
  r: ResultRecord,
  questions: GeneratedQuestion[],
): string {
  const text = (r.messages ?? []).map((m) => m.content).join("\n") +
    (r.prompt ?? "");
  const m = /\[([a-z_]+)#(\d+)\]/.exec(text);
  if (!m) throw new Error(`result ${r.id} names no generated question`);
  const q = questions.find((x) => x.subject === m[1] && x.n === Number(m[2]));
  if (!q) throw new Error(`result ${r.id} names an unknown question`);
  return q.marker;
}

/** Complete lines (ending in a newline) of a file; 0 when it does not exist. */
export async function completeLines(path: string): Promise<number> {
  try {
    const text = await Deno.readTextFile(path);
    return text.split("\n").length - 1;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return 0;
    throw e;
  }
}

/**
 * Polls `check` every `everyMs` until it returns true; throws after
 * `timeoutMs` with `what` in the message.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 10,
): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Output of a spawned CLI, read while it runs. */
export interface Collected {
  /** Resolves with stdout and stderr once the child closed them. */
  done: Promise<{ stdout: string; stderr: string }>;
  /** Text of stderr received so far. */
  stderrSoFar(): string;
}

/** Reads a spawned child's stdout and stderr concurrently (so pipes never fill). */
export function collect(child: Deno.ChildProcess): Collected {
  let err = "";
  const read = async (
    s: ReadableStream<Uint8Array>,
    onText?: (t: string) => void,
  ) => {
    const dec = new TextDecoder();
    let all = "";
    for await (const chunk of s) {
      const t = dec.decode(chunk, { stream: true });
      all += t;
      onText?.(t);
    }
    return all + dec.decode();
  };
  const done = Promise.all([
    read(child.stdout),
    read(child.stderr, (t) => (err += t)),
  ]).then(([stdout, stderr]) => ({ stdout, stderr }));
  return { done, stderrSoFar: () => err };
}

/**
 * A seeded pseudo-random source in [0, 1) (mulberry32), so a random fault
 * pattern is the same on every run.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./e2e_util.ts";
 * const r = seededRandom(7);
 * const x = r();
 * if (!(x >= 0 && x < 1)) throw new Error("out of range");
 * ```
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every file under `dir` (recursively), as paths relative to it. */
export async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix + e.name;
    if (e.isDirectory) {
      out.push(...await listFiles(join(dir, e.name), rel + "/"));
    } else out.push(rel);
  }
  return out.sort();
}

/** A stack trace line of a TypeScript or JavaScript file. */
export const STACK_TRACE_REGEXP = /^\s+at .*(?:\.ts|\.js|\.mjs):\d+/m;
