// More helpers for the end-to-end tests (beside cli_helper.ts): the common
// quiet flags, byte-for-byte copies of shared MMLU files, a live CLI process
// whose stderr can be awaited, and small counting helpers.

import { join } from "node:path";
import { parse } from "csv-parse/sync";
import {
  type CliResult,
  onlyRunDir,
  readResults,
  readSummaryFile,
  runCli,
  type RunCliOptions,
  spawnCli,
} from "./cli_helper.ts";
import type { ChatMessage, ResultRecord } from "../src/schema.ts";
import type { Summary } from "../src/report/summary.ts";
import {
  listFiles as listRelative,
  type TempDir,
  tempDir as makeTempDir,
} from "./e2e_util.ts";

/** The shared datasets folder, located relative to the repository. */
export const SHARED_DATASETS: string = decodeURIComponent(
  new URL("../../shared/datasets/", import.meta.url).pathname,
);

/** Flags every quiet test run uses: server, output folder, no metrics, no progress. */
export function quietArgs(baseUrl: string, outputDir: string): string[] {
  return [
    "--base-url",
    baseUrl,
    "--output-dir",
    outputDir,
    "--metrics-port",
    "off",
    "--quiet",
  ];
}

/**
 * Copies the MMLU `test/` and `dev/` files of `subjects` from the shared
 * sample into `dir/test` and `dir/dev`, byte for byte.
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
        join(SHARED_DATASETS, "mmlu-sample", split, name),
        join(dir, split, name),
      );
    }
  }
}

/** Rows of an MMLU CSV file (6 fields each), parsed independently of src/. */
export async function readMmluRows(path: string): Promise<string[][]> {
  return parse(await Deno.readTextFile(path)) as string[][];
}

/** Counts values by key. */
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

/** Every file under `dir`, recursively, as full paths. */
export async function listFiles(dir: string): Promise<string[]> {
  return (await listRelative(dir)).map((rel) => join(dir, rel));
}

/** The `messages` of a request or result, as comparable text. */
export function messagesKey(messages: readonly ChatMessage[] | null): string {
  return JSON.stringify((messages ?? []).map((m) => [m.role, m.content]));
}

/** `id|status|predicted` of each result, sorted: what two runs must agree on. */
export function outcomeSet(results: readonly ResultRecord[]): string[] {
  return results.map((r) => `${r.id}|${r.repeat}|${r.status}|${r.predicted}`)
    .sort();
}

/** A spawned CLI whose output is collected while it runs. */
export class LiveCli implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  #stdout = "";
  #stderr = "";
  #result: Promise<CliResult>;
  #finished = false;

  /** Spawns the CLI with the `deno task cli` permissions. */
  constructor(args: string[], opts: RunCliOptions = {}) {
    const child = spawnCli(args, opts);
    this.child = child;
    const pump = async (
      stream: ReadableStream<Uint8Array>,
      add: (t: string) => void,
    ) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        add(decoder.decode(chunk, { stream: true }));
      }
      add(decoder.decode());
    };
    const outDone = pump(child.stdout, (t) => (this.#stdout += t));
    const errDone = pump(child.stderr, (t) => (this.#stderr += t));
    this.#result = (async () => {
      const [status] = await Promise.all([
        child.status,
        outDone,
        errDone,
      ]);
      this.#finished = true;
      return { code: status.code, stdout: this.#stdout, stderr: this.#stderr };
    })();
  }

  /** Stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Waits until stderr matches `re`; throws after `timeoutMs`. */
  async waitForStderr(
    re: RegExp,
    timeoutMs = 10_000,
  ): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    while (true) {
      const m = re.exec(this.#stderr);
      if (m) return m;
      if (this.#finished || Date.now() > end) {
        throw new Error(
          `stderr never matched ${re} (finished: ${this.#finished}):\n${this.#stderr}`,
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

/** Flags for a quiet run without metrics (add `--output-dir` yourself or use runAndRead). */
export function quietFlags(baseUrl: string): string[] {
  return ["--base-url", baseUrl, "--metrics-port", "off", "--quiet"];
}

/** A temporary folder removed (with its contents) when disposed. */
export const tempDir: () => Promise<TempDir> = () => makeTempDir();
