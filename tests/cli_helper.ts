// Helpers for end-to-end tests: spawn the real CLI with exactly the
// permissions of `deno task cli` (read from deno.json), generate datasets
// whose truth the test knows, and answer like a model would.

import { join } from "node:path";
import type { FakeReply, FakeRequest } from "./fake_ollama.ts";
import type { ResultRecord } from "../src/schema.ts";
import type { Summary } from "../src/report/summary.ts";

const ROOT = new URL("../", import.meta.url);

/** Root folder of the repository. */
export const REPO_ROOT: string = decodeURIComponent(ROOT.pathname);

/** The flags of the `cli` task in deno.json, between `deno run` and `main.ts`. */
export async function cliTaskFlags(): Promise<string[]> {
  const json = JSON.parse(
    await Deno.readTextFile(join(REPO_ROOT, "deno.json")),
  ) as {
    tasks: Record<string, string>;
  };
  const task = json.tasks.cli!;
  const parts = task.split(/\s+/);
  if (
    parts[0] !== "deno" || parts[1] !== "run" ||
    parts[parts.length - 1] !== "main.ts"
  ) {
    throw new Error(`unexpected cli task: ${task}`);
  }
  return parts.slice(2, -1);
}

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of runCli. */
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
  const flags = cliFlagsSync();
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    NO_COLOR: "1",
    ...opts.env,
  };
  const denoDir = Deno.env.get("DENO_DIR");
  if (denoDir) env.DENO_DIR = denoDir;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, join(REPO_ROOT, "main.ts"), ...args],
    cwd: opts.cwd ?? REPO_ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

let cachedFlags: string[] | null = null;
function cliFlagsSync(): string[] {
  if (cachedFlags) return cachedFlags;
  const json = JSON.parse(
    Deno.readTextFileSync(join(REPO_ROOT, "deno.json")),
  ) as {
    tasks: Record<string, string>;
  };
  const parts = json.tasks.cli!.split(/\s+/);
  cachedFlags = parts.slice(2, -1);
  return cachedFlags;
}

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

/** Finds the generated question a request is about (by its marker). */
export function questionFor(
  req: FakeRequest,
  questions: GeneratedQuestion[],
): GeneratedQuestion | undefined {
  const m = /\[([a-z_]+)#(\d+)\]/.exec(req.text);
  if (!m) return undefined;
  return questions.find((q) => q.subject === m[1] && q.n === Number(m[2]));
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
