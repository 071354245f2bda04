// The help texts (--help, `help report`, …) and README's configuration
// table, all rendered from the option table. Help fits the given width.

import {
  DEFAULT_CSV_DIR,
  defaultText,
  OPTION_GROUPS,
  OPTIONS,
  type OptionSpec,
} from "./options.ts";
import type { Subcommand } from "./parse.ts";
import { DEFAULT_COLUMNS } from "../report/format.ts";

/**
 * The width for help: the terminal's, else COLUMNS, else 80.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(helpColumns(null, "60"), 60);
 * assert.equal(helpColumns(null, "wide"), 80);
 * assert.equal(helpColumns(120, "60"), 120);
 * ```
 */
export function helpColumns(
  terminalColumns: number | null,
  columnsEnv: string | undefined,
): number {
  if (terminalColumns !== null && terminalColumns > 0) return terminalColumns;
  const n = Number(columnsEnv);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_COLUMNS;
}

/** Help never gets wider than this, however wide the terminal: lines stay readable. */
const MAX_COLUMNS = 100;

function helpWidth(columns: number): number {
  return Math.min(MAX_COLUMNS, Math.max(20, columns));
}

const INDENT = "      ";

/**
 * Wraps `text` into lines of at most `width` characters, each starting with
 * `indent`; words longer than a line are cut.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(wrap("aa bb cc", 6, "  "), ["  aa", "  bb", "  cc"]);
 * ```
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const room = Math.max(1, width - indent.length);
  const lines: string[] = [];
  let line = "";
  for (let word of text.split(/\s+/).filter((w) => w !== "")) {
    while (word.length > room) {
      if (line !== "") lines.push(line);
      lines.push(word.slice(0, room));
      word = word.slice(room);
      line = "";
    }
    if (line === "") line = word;
    else if (line.length + 1 + word.length <= room) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== "") lines.push(line);
  return lines.map((l) => indent + l);
}

/** Rows of `left  right`, the right column wrapped; a long left gets its own line. */
function twoColumns(
  rows: readonly (readonly [string, string])[],
  width: number,
): string[] {
  const col = width >= 60 ? 36 : 0;
  const out: string[] = [];
  for (const [left, right] of rows) {
    const head = `  ${left}`;
    if (col > 0 && head.length + 2 <= col) {
      const [first = "", ...rest] = wrap(right, width, " ".repeat(col));
      out.push(head.padEnd(col) + first.slice(col), ...rest);
    } else {
      out.push(...wrap(left, width, "  "));
      out.push(...wrap(right, width, " ".repeat(col || 6)));
    }
  }
  return out;
}

function flagNames(o: OptionSpec): string {
  const names = [o.flag, ...(o.aliases ?? [])].map((n) => `--${n}`);
  if (o.boolean) names.push(`--no-${o.flag}`);
  return names.join(", ") + (o.valueName ? ` ${o.valueName}` : "");
}

/** Flags on the left and the environment variable(s) on the right, then the help. */
function optionLines(o: OptionSpec, width: number): string[] {
  const envs = [o.env, ...(o.fallbackEnv ?? [])].filter((e) => e !== null);
  const envText = envs.join(" or ");
  const head = `  ${flagNames(o)}`;
  const envFits = envText !== "" && head.length + 2 + envText.length <= width;
  const def = defaultText(o);
  const text = [
    o.help,
    envText !== "" && !envFits ? `[env ${envText}]` : "",
    def === null ? "" : `(default: ${def})`,
  ].filter((s) => s !== "").join(" ");
  const first = envFits
    ? [head + envText.padStart(width - head.length)]
    : wrap(flagNames(o), width, "  ");
  return [...first, ...wrap(text, width, INDENT)];
}

const USAGE: readonly (readonly [string, string])[] = [
  ["llm-bench [CSV_DIR] [options]", "run a benchmark"],
  ["llm-bench report RUN_DIR...", "rebuild a run's reports"],
  ["llm-bench compare RUN_A RUN_B", "compare two finished runs"],
  ["llm-bench merge RUN_DIR... --output-dir DIR", "combine shard runs"],
  ["llm-bench leaderboard PATH...", "rank every model of many runs"],
  ["llm-bench cache stats|prune|clear", "look after the response cache"],
  ["llm-bench inspect PATH... [--json]", "how each dataset file is read"],
  ["llm-bench help [COMMAND]", "this help, or one command's help"],
  ["llm-bench version", "versions of llm-bench and Deno"],
];

const EXAMPLES: readonly (readonly [string, string])[] = [
  ["llm-bench --backend mock", "Try everything without a server"],
  [
    "llm-bench --model qwen3:8b,llama3.2 --concurrency auto",
    "Benchmark two models and compare them, at the server's full speed",
  ],
  [
    "llm-bench ~/mmlu/data/test --preset mmlu-5shot --limit 20",
    "The original MMLU setup, 20 questions per subject",
  ],
  [
    "llm-bench --backend openai --base-url http://localhost:8000/v1 --model m",
    "An OpenAI-compatible server (API key in LLM_BENCH_API_KEY)",
  ],
  ["llm-bench --resume results/RUN_ID", "Finish an interrupted run"],
  ["llm-bench help report", "The help of a command"],
];

const NOTES: readonly string[] = [
  `CSV_DIR is a folder, searched recursively for files matching --csv-pattern, or one file (default ${DEFAULT_CSV_DIR}; env LLM_BENCH_CSV_DIR).`,
  "API key for --backend openai: env LLM_BENCH_API_KEY (or OPENAI_API_KEY); never a flag.",
  "Hugging Face Hub datasets: CSV_DIR hf:OWNER/NAME[:CONFIG[:SPLIT]], e.g. hf:cais/mmlu:all:test (env HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE; cached in $XDG_CACHE_HOME/llm-bench or ~/.cache/llm-bench).",
  "Relative paths mean the folder you run in (under deno task, INIT_CWD, when the path exists there). From source, `deno task cli` stands for llm-bench.",
  "This help fits the terminal, or COLUMNS when not printed to one (default 80).",
  "Exit codes: 0 complete, 1 questions ended in error / run aborted / --fail-under not met, 2 usage or input error, 130 interrupted.",
];

/**
 * The --help text: usage, options grouped by topic with their environment
 * variables and defaults, examples and exit codes; no line wider than
 * `columns`.
 */
export function helpText(
  version: string,
  columns: number = DEFAULT_COLUMNS,
): string {
  const width = helpWidth(columns);
  const lines = [
    ...wrap(
      `llm-bench ${version}: benchmark LLMs on multiple-choice question files`,
      width,
    ),
    "",
    "Usage:",
    ...twoColumns(USAGE, width),
    "",
    ...wrap(
      "Options of a run. Each flag overrides its environment variable (on the right), which overrides the default.",
      width,
    ),
  ];
  for (const group of OPTION_GROUPS) {
    lines.push("", `${group}:`);
    for (const o of OPTIONS.filter((x) => x.group === group)) {
      lines.push(...optionLines(o, width));
    }
  }
  lines.push(
    "",
    "General:",
    "  -h, --help",
    ...wrap("show this help", width, INDENT),
  );
  lines.push(
    "  -V, --version",
    ...wrap("show the versions of llm-bench and Deno", width, INDENT),
  );
  lines.push("", "Examples:");
  for (const [command, what] of EXAMPLES) {
    lines.push(...wrap(`${what}:`, width, "  "));
    lines.push(...wrap(command, width, "    "));
  }
  lines.push("", "Notes:");
  for (const note of NOTES) {
    const [first = "", ...rest] = wrap(note, width, "    ");
    lines.push(`  - ${first.slice(4)}`, ...rest);
  }
  return lines.join("\n");
}

const SUBCOMMAND_HELP: Readonly<
  Record<
    Subcommand,
    { usage: string; about: string; options: string[][]; example: string }
  >
> = {
  report: {
    usage: "llm-bench report RUN_DIR...",
    about:
      "Rebuilds summary.json, summary.md and report.html of each run folder from its results.jsonl (after --resume, a merge, or with a newer llm-bench), keeping the run facts of the old summary. A folder of several model runs also gets its comparison rebuilt.",
    options: [],
    example: "llm-bench report results/RUN_ID",
  },
  compare: {
    usage: "llm-bench compare RUN_A RUN_B [--output-dir DIR]",
    about:
      "Compares two finished runs on the same questions, paired by file:line (McNemar's test): prints the table, or writes comparison.json, comparison.md and report.html into DIR.",
    options: [["--output-dir DIR", "write the comparison files into DIR"]],
    example: "llm-bench compare results/run-a/llama3.2 results/run-b/qwen3",
  },
  merge: {
    usage: "llm-bench merge RUN_DIR... --output-dir DIR",
    about:
      "Combines the run folders of --shard I/N runs into one run folder, refusing shards of different models, datasets or options and naming missing or overlapping shards.",
    options: [["--output-dir DIR", "the merged run folder (required)"]],
    example: "llm-bench merge shards/* --output-dir results/merged",
  },
};

/** The help of `llm-bench report|compare|merge`, no line wider than `columns`. */
export function subcommandHelp(
  sub: Subcommand,
  columns: number = DEFAULT_COLUMNS,
): string {
  const width = helpWidth(columns);
  const h = SUBCOMMAND_HELP[sub];
  const options = [...h.options, ["-h, --help", "show this help"]];
  return [
    ...wrap(`Usage: ${h.usage}`, width),
    "",
    ...wrap(h.about, width),
    "",
    "Options:",
    ...options.flatMap(([flag = "", text = ""]) => [
      `  ${flag}`,
      ...wrap(text, width, INDENT),
    ]),
    "",
    "Example:",
    ...wrap(h.example, width, "  "),
  ].join("\n");
}

/** A Markdown table cell: `|` escaped so that GitHub keeps the columns. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|");
}

/**
 * README's configuration table, one row per option, rendered from the
 * option table (tests/readme_test.ts checks that README has it verbatim).
 */
export function optionsMarkdown(): string {
  const rows = OPTIONS.map((o) => {
    const envs = [o.env, ...(o.fallbackEnv ?? [])].filter((e) => e !== null);
    const flags = [o.flag, ...(o.aliases ?? [])].map((n) =>
      `\`--${n}${o.valueName ? ` ${o.valueName}` : ""}\``
    );
    const def = o.defaultText ??
      (defaultText(o) === null
        ? (o.boolean ? "false" : "-")
        : `\`${defaultText(o)}\``);
    return [
      envs.length > 0 ? envs.map((e) => `\`${e}\``).join(", ") : "-",
      flags.join(", "),
      def,
      o.help,
    ].map(cell);
  });
  const header = ["Env var", "Flag", "Default", "Meaning"];
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}
