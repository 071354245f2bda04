// The one helper module of the CLI and end-to-end tests: spawn the real CLI
// with exactly the permissions of `deno task cli` (read from deno.json),
// generate datasets whose truth the test knows and answer like a model would,
// copy MMLU fixtures, and read what a run wrote (results, summary, log).

import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import {
  type FakeOllama,
  type FakeOllamaOptions,
  type FakeReply,
  type FakeRequest,
  startFakeOllama,
} from "./fake_ollama.ts";
import type { ChatMessage, ResultRecord } from "../src/schema.ts";
import type { Summary } from "../src/report/summary.ts";

const ROOT = new URL("../", import.meta.url);

/** Root folder of the repository. */
export const REPO_ROOT: string = decodeURIComponent(ROOT.pathname);

/** The MMLU fixture folder (`dev/`, `test/`), inside the repository. */
export const MMLU_FIXTURES: string = join(REPO_ROOT, "tests/fixtures/mmlu");

// ---------------------------------------------------------------------------
// Temporary folders

/** A temporary folder removed when disposed (`await using`). */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

/** Makes a temporary folder that `await using` removes with its contents. */
export async function tempDir(prefix = "llm-bench-e2e-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

// ---------------------------------------------------------------------------
// Spawning the CLI

let cachedFlags: string[] | null = null;

function cliFlags(): string[] {
  if (cachedFlags) return cachedFlags;
  const json = JSON.parse(
    Deno.readTextFileSync(join(REPO_ROOT, "deno.json")),
  ) as { tasks: Record<string, string> };
  const task = json.tasks.cli ?? "";
  const parts = task.split(/\s+/);
  if (
    parts[0] !== "deno" || parts[1] !== "run" ||
    parts[parts.length - 1] !== "main.ts"
  ) {
    throw new Error(`unexpected cli task: ${task}`);
  }
  cachedFlags = parts.slice(2, -1);
  return cachedFlags;
}

/** The flags of the `cli` task in deno.json, between `deno run` and `main.ts`. */
export function cliTaskFlags(): Promise<string[]> {
  return Promise.resolve([...cliFlags()]);
}

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of runCli and spawnCli. */
export interface RunCliOptions {
  /** Extra environment (the child gets only these plus PATH/HOME/DENO_DIR). */
  env?: Record<string, string>;
  /** Working directory. @default REPO_ROOT */
  cwd?: string;
}

/** Spawns the CLI as `deno task cli` would and waits for it. */
export async function runCli(
  args: string[],
  opts: RunCliOptions = {},
): Promise<CliResult> {
  const child = spawnCli(args, opts);
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Spawns the CLI and returns the child process (for signals and kill -9). */
export function spawnCli(
  args: string[],
  opts: RunCliOptions = {},
): Deno.ChildProcess {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    NO_COLOR: "1",
    ...opts.env,
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...cliFlags(), join(REPO_ROOT, "main.ts"), ...args],
    cwd: opts.cwd ?? REPO_ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * The flags every quiet test run over `csvDir` shares: the server, the output
 * folder, a fixed run id, no metrics server, no progress line.
 */
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

/** Flags for a quiet run without metrics (add the data and `--output-dir`, or use runAndRead). */
export function quietFlags(baseUrl: string): string[] {
  return ["--base-url", baseUrl, "--metrics-port", "off", "--quiet"];
}

/** Output of a spawned CLI, read while it runs. */
export interface Collected {
  /** Resolves with stdout and stderr once the child closed them. */
  done: Promise<{ stdout: string; stderr: string }>;
  /** Text of stdout received so far. */
  stdoutSoFar(): string;
  /** Text of stderr received so far. */
  stderrSoFar(): string;
}

/** Reads a spawned child's stdout and stderr concurrently (so pipes never fill). */
export function collectOutput(child: Deno.ChildProcess): Collected {
  let out = "";
  let err = "";
  const read = async (
    s: ReadableStream<Uint8Array>,
    onText: (t: string) => void,
  ) => {
    const dec = new TextDecoder();
    for await (const chunk of s) onText(dec.decode(chunk, { stream: true }));
    onText(dec.decode());
  };
  const done = Promise.all([
    read(child.stdout, (t) => (out += t)),
    read(child.stderr, (t) => (err += t)),
  ]).then(() => ({ stdout: out, stderr: err }));
  return { done, stdoutSoFar: () => out, stderrSoFar: () => err };
}

/** A spawned CLI whose output is collected while it runs; disposing kills it. */
export class LiveCli implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  #output: Collected;
  #result: Promise<CliResult>;
  #finished = false;

  /** Spawns the CLI with the `deno task cli` permissions. */
  constructor(args: string[], opts: RunCliOptions = {}) {
    this.child = spawnCli(args, opts);
    this.#output = collectOutput(this.child);
    this.#result = Promise.all([this.child.status, this.#output.done]).then(
      ([status, { stdout, stderr }]) => {
        this.#finished = true;
        return { code: status.code, stdout, stderr };
      },
    );
  }

  /** Stdout so far. */
  get stdout(): string {
    return this.#output.stdoutSoFar();
  }

  /** Stderr so far. */
  get stderr(): string {
    return this.#output.stderrSoFar();
  }

  /** Waits until stderr matches `re`; throws after `timeoutMs`. */
  async waitForStderr(
    re: RegExp,
    timeoutMs = 10_000,
  ): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    while (true) {
      const m = re.exec(this.stderr);
      if (m) return m;
      if (this.#finished || Date.now() > end) {
        throw new Error(
          `stderr never matched ${re} (finished: ${this.#finished}):\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  /** Waits for the process to end. */
  done(): Promise<CliResult> {
    return this.#result;
  }

  /** Kills the process if still running, then waits for it. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#finished) {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    await this.#result;
  }
}

/** A CLI run spawned against a slow fake Ollama; disposing closes the fake. */
export interface SlowRun extends AsyncDisposable {
  fake: FakeOllama;
  child: Deno.ChildProcess;
  output: Collected;
}

/**
 * Starts a fake Ollama answering `questions` (its replies from jsonReplies)
 * with `parallel` slots of `serviceMs` each, and spawns a quiet run of
 * `data` into `out` (run id `runId`) at `--concurrency concurrency`, its
 * output collected; the caller waits, interrupts and checks.
 */
export async function spawnSlowRun(opts: {
  data: string;
  out: string;
  questions: GeneratedQuestion[];
  parallel: number;
  serviceMs: FakeOllamaOptions["serviceMs"];
  concurrency: number;
  runId?: string;
}): Promise<SlowRun> {
  const fake = await startFakeOllama({
    parallel: opts.parallel,
    serviceMs: opts.serviceMs,
    reply: jsonReplies(opts.questions),
  });
  try {
    const child = spawnCli([
      ...quietArgs(opts.data, fake.url, opts.out, opts.runId),
      "--concurrency",
      String(opts.concurrency),
    ]);
    const output = collectOutput(child);
    return { fake, child, output, [Symbol.asyncDispose]: () => fake.close() };
  } catch (e) {
    await fake.close();
    throw e;
  }
}

/** A finished single-model run: what it printed and what it wrote. */
export interface FinishedRun extends CliResult {
  dir: string;
  results: ResultRecord[];
  summary: Summary;
}

/**
 * Runs the CLI with `args` plus `--output-dir outputDir`, expects exit code
 * `code` (stderr in the message otherwise) and reads the only run folder.
 */
export async function runAndRead(
  args: string[],
  outputDir: string,
  opts: RunCliOptions & { code?: number } = {},
): Promise<FinishedRun> {
  const r = await runCli([...args, "--output-dir", outputDir], opts);
  const want = opts.code ?? 0;
  if (r.code !== want) {
    throw new Error(
      `exit code ${r.code}, expected ${want}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout}`,
    );
  }
  const dir = await onlyRunDir(outputDir);
  return {
    ...r,
    dir,
    results: await readResults(dir),
    summary: await readSummaryFile(dir),
  };
}

/** A stack trace line of a TypeScript or JavaScript file. */
export const STACK_TRACE_REGEXP = /^\s+at .*(?:\.ts|\.js|\.mjs):\d+/m;

// ---------------------------------------------------------------------------
// Datasets whose truth the test knows

/** One generated question and what the fake model will answer. */
export interface GeneratedQuestion {
  subject: string;
  n: number;
  marker: string;
  answer: string;
  /** Letter the fake model gives. */
  reply: string;
}

/**
 * Writes `perSubject` questions for each subject into `dir` as MMLU CSVs
 * (`SUBJECT_test.csv`). Question n of a subject is answered correctly unless
 * `n % wrongEvery === 0`. Returns the questions with their truth.
 */
export async function writeDataset(
  dir: string,
  subjects: string[],
  perSubject: number,
  wrongEvery = 3,
): Promise<GeneratedQuestion[]> {
  await Deno.mkdir(dir, { recursive: true });
  const letters = ["A", "B", "C", "D"];
  const all: GeneratedQuestion[] = [];
  for (const subject of subjects) {
    const lines: string[] = [];
    for (let n = 1; n <= perSubject; n++) {
      const marker = `[${subject}#${n}]`;
      const answer = letters[(n * 7 + subject.length) % 4]!;
      const reply = n % wrongEvery === 0
        ? letters[(letters.indexOf(answer) + 1) % 4]!
        : answer;
      all.push({ subject, n, marker, answer, reply });
      // Quoted fields with commas and a line break, as real MMLU rows have.
      lines.push(
        `"Question ${marker}: which is right, first or second?\nPick one.",alpha,"beta, gamma",delta,epsilon,${answer}`,
      );
    }
    await Deno.writeTextFile(
      join(dir, `${subject}_test.csv`),
      lines.join("\n") + "\n",
    );
  }
  return all;
}

const MARKER_REGEXP = /\[([a-z_]+)#(\d+)\]/;

function findMarked(
  text: string,
  questions: GeneratedQuestion[],
): GeneratedQuestion | undefined {
  const m = MARKER_REGEXP.exec(text);
  if (!m) return undefined;
  return questions.find((q) => q.subject === m[1] && q.n === Number(m[2]));
}

/** Finds the generated question a request is about (by its marker). */
export function questionFor(
  req: FakeRequest,
  questions: GeneratedQuestion[],
): GeneratedQuestion | undefined {
  return findMarked(req.text, questions);
}

/** The marker of the generated question a result line is about; throws if none. */
export function markerOf(
  r: ResultRecord,
  questions: GeneratedQuestion[],
): string {
  const text = (r.messages ?? []).map((m) => m.content).join("\n") +
    (r.prompt ?? "");
  if (!MARKER_REGEXP.test(text)) {
    throw new Error(`result ${r.id} names no generated question`);
  }
  const q = findMarked(text, questions);
  if (!q) throw new Error(`result ${r.id} names an unknown question`);
  return q.marker;
}

/** A reply function answering `{"answer": X}` with the scripted letters. */
export function jsonReplies(
  questions: GeneratedQuestion[],
): (req: FakeRequest) => FakeReply {
  return (req) => {
    const q = questionFor(req, questions);
    return { content: JSON.stringify({ answer: q?.reply ?? "A" }) };
  };
}

/** Expected counts for generated questions. */
export function truth(
  questions: GeneratedQuestion[],
): { correct: number; wrong: number; accuracy: number } {
  const correct = questions.filter((q) => q.reply === q.answer).length;
  return {
    correct,
    wrong: questions.length - correct,
    accuracy: correct / questions.length,
  };
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

/**
 * Copies the MMLU `test/` and `dev/` fixture files of `subjects` into
 * `dir/test` and `dir/dev`, byte for byte.
 */
export async function copyMmluSubjects(
  dir: string,
  subjects: string[],
): Promise<void> {
  for (const split of ["test", "dev"]) {
    await Deno.mkdir(join(dir, split), { recursive: true });
    for (const s of subjects) {
      const name = `${s}_${split}.csv`;
      await Deno.copyFile(
        join(MMLU_FIXTURES, split, name),
        join(dir, split, name),
      );
    }
  }
}

/** Rows of an MMLU CSV file (6 fields each), parsed independently of src/. */
export async function readMmluRows(path: string): Promise<string[][]> {
  return parse(await Deno.readTextFile(path)) as string[][];
}

// ---------------------------------------------------------------------------
// What a run wrote

/** The single run folder under an output dir. */
export async function onlyRunDir(outputDir: string): Promise<string> {
  const dirs: string[] = [];
  for await (const e of Deno.readDir(outputDir)) {
    if (e.isDirectory) dirs.push(join(outputDir, e.name));
  }
  if (dirs.length !== 1) {
    throw new Error(
      `expected one run folder in ${outputDir}, found ${dirs.length}`,
    );
  }
  return dirs[0]!;
}

/** Reads results.jsonl of a run folder. */
export async function readResults(runDir: string): Promise<ResultRecord[]> {
  const text = await Deno.readTextFile(join(runDir, "results.jsonl"));
  return text.split("\n").filter((l) => l.trim() !== "").map((l) =>
    JSON.parse(l) as ResultRecord
  );
}

/** Reads summary.json of a run folder. */
export async function readSummaryFile(runDir: string): Promise<Summary> {
  return JSON.parse(
    await Deno.readTextFile(join(runDir, "summary.json")),
  ) as Summary;
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
 * Checks the partial run folder a graceful stop left: not complete, counts
 * that add up to the result lines, no request cut into an error, fewer
 * results than `planned`, and exactly the `asked` questions recorded.
 */
export async function assertPartialRun(
  runDir: string,
  want: { planned: number; asked: number },
): Promise<void> {
  const results = await readResults(runDir);
  const summary = await readSummaryFile(runDir);
  const c = summary.counts;
  assert.equal(summary.complete, false);
  assert.equal(c.total, results.length);
  assert.equal(
    c.correct + c.wrong + c.unparsed + c.errors + c.skipped,
    results.length,
  );
  assert.equal(
    c.errors,
    0,
    "requests in flight finished, none cut into an error",
  );
  assert.ok(results.length < want.planned, `${results.length} results`);
  assert.equal(
    results.length,
    want.asked,
    "every request in flight at the stop finished and was recorded",
  );
}

/** Whether `path` exists (a file or a folder). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Waits until the run folder `runDir` holds at least `n` complete lines of
 * results.jsonl (a run in progress); throws after `timeoutMs`.
 */
export function waitForResults(
  runDir: string,
  n: number,
  timeoutMs?: number,
): Promise<void> {
  return waitUntil(
    async () => await completeLines(join(runDir, "results.jsonl")) >= n,
    `${n} results`,
    timeoutMs,
  );
}

/** Every file under `dir` (recursively), as sorted paths relative to it. */
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

// ---------------------------------------------------------------------------
// Small helpers

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

/** `s` quoted for a POSIX shell command line. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Runs `tmux -L socket …args`; returns its stdout, throws with its stderr. */
export async function tmux(socket: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", socket, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * A seeded pseudo-random source in [0, 1) (mulberry32), so a random fault
 * pattern is the same on every run.
 *
 * @example
 * ```ts
 * import { seededRandom } from "./cli_helper.ts";
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

/** Counts values by key (items whose key is null are left out). */
export function countBy<T>(
  items: Iterable<T>,
  key: (item: T) => string | null,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** The `messages` of a request or result, as comparable text. */
export function messagesKey(messages: readonly ChatMessage[] | null): string {
  return JSON.stringify((messages ?? []).map((m) => [m.role, m.content]));
}

/** `id|repeat|status|predicted` of each result, sorted: what two runs must agree on. */
export function outcomeSet(results: readonly ResultRecord[]): string[] {
  return results.map((r) => `${r.id}|${r.repeat}|${r.status}|${r.predicted}`)
    .sort();
}

/** Fetches a URL and returns status, content type and text (body always read). */
export async function getText(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    text,
  };
}
