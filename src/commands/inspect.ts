// `llm-bench inspect PATH... [--json]`: shows how each dataset file is
// understood (format, shape, questions, skipped rows and why, option counts,
// subjects) and the first question as the model would see it. No server.

import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Config } from "../config.ts";
import { DatasetError, UsageError } from "../errors.ts";
import { discoverFiles } from "../dataset/discover.ts";
import type { DatasetFile } from "../dataset/discover.ts";
import { FewshotSource } from "../dataset/fewshot.ts";
import { type FieldMap, parseFieldMap } from "../dataset/fields.ts";
import { isDevFile } from "../dataset/plan.ts";
import { readFile } from "../dataset/read.ts";
import type { FileInfo } from "../dataset/records.ts";
import { presetByName } from "../protocol/presets.ts";
import {
  buildPrompt,
  type PromptOptions,
  validatePromptOptions,
} from "../protocol/prompt.ts";
import type { Question } from "../schema.ts";

/** Help text of `inspect` (fits 80 columns). */
const INSPECT_HELP = `Usage: llm-bench inspect PATH... [options]

Shows how llm-bench reads each dataset file under PATH (a folder, searched
recursively, or a file): format, shape, questions, skipped rows and why,
option counts, subjects, and the first question exactly as the model sees it
with the current prompt settings. No server is contacted.

Options:
  --json               print {"files": [...]} instead of text
  --csv-pattern GLOB   which files to read (default: every supported format)
  --fields MAP         record paths for an unrecognised shape (see --help)
  --mode M, --preset P, --system TEXT, --template FILE, --shots K,
  --fewshot-dir DIR, --fewshot-as-chat
                       prompt settings, as for a run (also from LLM_BENCH_*)
  -h, --help           this help
`;

/** What `parseInspectArgs` returns. */
export interface InspectArgs {
  paths: string[];
  json: boolean;
  help: boolean;
  /** Run options to pass on (prompt settings, pattern, fields), as argv. */
  runArgs: string[];
}

const PASSED_STRINGS = [
  "csv-pattern",
  "fields",
  "mode",
  "preset",
  "system",
  "template",
  "shots",
  "fewshot-dir",
] as const;

/** Parses `inspect`'s arguments (after the word `inspect`). */
export function parseInspectArgs(argv: string[]): InspectArgs {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string }
  > = {
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
    "fewshot-as-chat": { type: "boolean" },
  };
  for (const name of PASSED_STRINGS) options[name] = { type: "string" };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true });
  } catch (e) {
    throw new UsageError(
      `Invalid arguments: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const runArgs: string[] = [];
  for (const name of PASSED_STRINGS) {
    const v = values[name];
    if (typeof v === "string") runArgs.push(`--${name}`, v);
  }
  if (values["fewshot-as-chat"] === true) runArgs.push("--fewshot-as-chat");
  const help = values.help === true;
  if (!help && parsed.positionals.length === 0) {
    throw new UsageError(
      "Invalid arguments: inspect needs at least one PATH (a folder or a file)",
    );
  }
  return {
    paths: parsed.positionals,
    json: values.json === true,
    help,
    runArgs,
  };
}

/** One file as `inspect --json` reports it. */
export interface InspectedFile {
  path: string;
  format: string;
  shape: string | null;
  /** `questions`, or `few-shot` for a dev file kept apart as examples. */
  role: "questions" | "few-shot";
  questions: number;
  skipped: number;
  subjects: Record<string, number>;
  /** Option count -> questions. */
  options: Record<string, number>;
  /** The first skipped rows: `file:line: reason`. */
  "first_skipped": string[];
  problems: string[];
  /** The first question as sent (chat messages or raw prompt), or null. */
  "first_question": string | null;
}

/** Skipped-row reasons kept per file. */
const FIRST_SKIPPED = 5;

async function inspectFile(
  file: DatasetFile,
  shownPath: string,
  role: InspectedFile["role"],
  fields: FieldMap | null,
): Promise<{ report: InspectedFile; first: Question | null }> {
  const info: FileInfo = { format: "", shape: null };
  const report: InspectedFile = {
    path: shownPath,
    format: "",
    shape: null,
    role,
    questions: 0,
    skipped: 0,
    subjects: {},
    options: {},
    "first_skipped": [],
    problems: [],
    "first_question": null,
  };
  let first: Question | null = null;
  for await (const item of readFile(file, 0, { fields, info })) {
    if (item.kind === "problem") {
      report.problems.push(item.problem.message);
    } else if (item.kind === "skipped") {
      report.skipped++;
      if (report.first_skipped.length < FIRST_SKIPPED) {
        report.first_skipped.push(`${item.row.id}: ${item.row.reason}`);
      }
    } else {
      const q = item.question;
      first ??= q;
      report.questions++;
      report.subjects[q.subject] = (report.subjects[q.subject] ?? 0) + 1;
      const n = String(q.choices.length);
      report.options[n] = (report.options[n] ?? 0) + 1;
    }
  }
  report.format = info.format;
  report.shape = info.shape;
  return { report, first };
}

/** The prompt settings of a run, as `runBench` derives them. */
async function promptOptions(config: Config): Promise<
  { prompt: PromptOptions; shots: number }
> {
  const asUsage = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
  };
  const preset = config.preset
    ? asUsage(() => presetByName(config.preset!))
    : null;
  let template: string | null = null;
  if (config.templateFile) {
    try {
      template = await Deno.readTextFile(config.templateFile);
    } catch (e) {
      throw new DatasetError(
        `Cannot read template "${config.templateFile}": ${
          e instanceof Error ? e.message : String(e)
        }`,
        { file: config.templateFile },
      );
    }
  }
  const prompt: PromptOptions = {
    mode: preset ? preset.mode : config.mode,
    shots: [],
    fewshotAsChat: config.fewshotAsChat,
    system: config.system,
    template,
    preset: config.preset,
  };
  asUsage(() => validatePromptOptions(prompt));
  const shots = preset && config.shots === 0 ? preset.shots : config.shots;
  return { prompt, shots };
}

/** A built prompt as text: chat turns under `[role]` lines, or the raw prompt. */
function renderPrompt(q: Question, opts: PromptOptions): string {
  const built = buildPrompt(q, opts);
  if (built.rawPrompt !== null) return built.rawPrompt;
  return (built.messages ?? []).map((m) => `[${m.role}]\n${m.content}`)
    .join("\n");
}

async function inspectPath(
  path: string,
  config: Config,
  fields: FieldMap | null,
  prompt: { prompt: PromptOptions; shots: number },
): Promise<InspectedFile[]> {
  const found = await discoverFiles(path, config.csvPattern);
  const allDev = found.files.every((f) => isDevFile(f.relative));
  const fewshot = new FewshotSource({
    fewshotDir: config.fewshotDir,
    fields,
    devFiles: allDev ? [] : found.files.filter((f) => isDevFile(f.relative)),
  });
  const out: InspectedFile[] = [];
  for (const file of found.files) {
    const role = !allDev && isDevFile(file.relative) ? "few-shot" : "questions";
    const shown = found.files.length === 1 && file.path.endsWith(path)
      ? path
      : join(path, file.relative);
    const { report, first } = await inspectFile(file, shown, role, fields);
    if (first !== null) {
      const got = await fewshot.examples(file, first.subject, prompt.shots);
      const opts = { ...prompt.prompt, shots: got.examples };
      report.first_question = renderPrompt(first, opts);
      if (got.reason !== null) report.problems.push(`few-shot: ${got.reason}`);
    }
    out.push(report);
  }
  for (const problem of found.problems) {
    out.push({
      path: join(path, problem.file),
      format: "",
      shape: null,
      role: "questions",
      questions: 0,
      skipped: 0,
      subjects: {},
      options: {},
      "first_skipped": [],
      problems: [problem.message],
      "first_question": null,
    });
  }
  return out;
}

/** Collaborators of `inspectCommand`. */
export interface InspectDeps {
  /**
   * The run configuration for run options given as argv (flags, then the
   * environment), as the option parser builds it.
   */
  runConfig: (argv: string[]) => Config;
  /**
   * A PATH as the user meant it (under `deno task`, against their folder).
   * @default the path unchanged
   */
  userPath?: (path: string) => string;
}

/**
 * Runs `inspect` and returns what to print. Prompt settings and `--fields`
 * are read as a run reads them (flags, then `LLM_BENCH_*` variables).
 */
export async function inspectCommand(
  argv: string[],
  deps: InspectDeps,
): Promise<string> {
  const args = parseInspectArgs(argv);
  if (args.help) return INSPECT_HELP;
  const config = deps.runConfig(args.runArgs);
  const fields = config.fields === null ? null : parseFieldMap(config.fields);
  const fieldMap = typeof fields === "string" ? null : fields;
  const prompt = await promptOptions(config);
  const files: InspectedFile[] = [];
  for (const given of args.paths) {
    const path = deps.userPath?.(given) ?? given;
    files.push(...await inspectPath(path, config, fieldMap, prompt));
  }
  if (args.json) return JSON.stringify({ files }, null, 2);
  return files.map(renderFile).join("\n");
}

function counts(record: Record<string, number>, unit = ""): string {
  return Object.entries(record).map(([k, n]) => `${k}${unit} ${n}`).join(
    ", ",
  );
}

/**
 * A prompt line as `    | text`, wrapped at spaces to 80 columns; a wrapped
 * line goes on after `    : ` so the prompt's own line breaks stay visible.
 */
function previewLine(line: string, columns = 80): string[] {
  const room = columns - 6;
  const out: string[] = [];
  let rest = line;
  while ([...rest].length > room) {
    const cut = rest.lastIndexOf(" ", room);
    if (cut <= 0) break;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut + 1);
  }
  out.push(rest);
  return out.map((l, i) => `    ${i === 0 ? "|" : ":"} ${l}`);
}

/** One file's report as text. */
export function renderFile(f: InspectedFile): string {
  const lines = [
    `${f.path}`,
    `  format ${f.format || "?"}, shape ${f.shape ?? "not recognised"}${
      f.role === "few-shot" ? " (few-shot source, not asked)" : ""
    }`,
    `  ${f.questions} question(s), ${f.skipped} skipped row(s)`,
  ];
  if (f.questions > 0) {
    lines.push(`  options: ${counts(f.options, " options:")}`);
    const subjects = Object.entries(f.subjects);
    const shown = subjects.slice(0, 10).map(([s, n]) => `${s} ${n}`);
    if (subjects.length > 10) shown.push(`... ${subjects.length - 10} more`);
    lines.push(`  subjects (${subjects.length}): ${shown.join(", ")}`);
  }
  for (const s of f.first_skipped) lines.push(`  skipped ${s}`);
  for (const p of f.problems) lines.push(`  problem: ${p}`);
  if (f.first_question !== null) {
    lines.push("  first question, as the model sees it:");
    for (const l of f.first_question.split("\n")) lines.push(...previewLine(l));
  }
  return lines.join("\n") + "\n";
}
