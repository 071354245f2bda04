// `llm-bench inspect`: accounts for every file and question of a folder of
// mixed formats, names the first reasons of skipped rows, and shows the
// first question as the prompt builder renders it.

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseCommand } from "../src/cli/parse.ts";
import {
  inspectCommand,
  type InspectedFile,
  parseInspectArgs,
  renderFile,
} from "../src/commands/inspect.ts";
import { UsageError } from "../src/errors.ts";
import { runCli } from "./cli_helper.ts";

const SHAPES = decodeURIComponent(
  new URL("./fixtures/shapes/", import.meta.url).pathname,
);

function deps(env: Record<string, string> = {}) {
  return {
    runConfig: (argv: string[]) => {
      const c = parseCommand(argv, (n) => env[n]);
      assert.equal(c.kind, "run");
      return c.kind === "run" ? c.config : assert.fail();
    },
  };
}

async function inspectJson(
  argv: string[],
  env: Record<string, string> = {},
): Promise<InspectedFile[]> {
  const out = await inspectCommand([...argv, "--json"], deps(env));
  return (JSON.parse(out) as { files: InspectedFile[] }).files;
}

Deno.test("inspect --json accounts for every file of a mixed folder and every question in it", async () => {
  const files = await inspectJson([SHAPES]);
  const byName = new Map(
    files.map((f) => [f.path.slice(SHAPES.length).replace(/^\//, ""), f]),
  );
  const expected: Record<string, [string, string | null, number, number]> = {
    "ARC-Challenge-Dev.jsonl": ["jsonl", "arc", 299, 0],
    "arc_hub_test.parquet": ["parquet", "arc", 4, 1],
    "commonsenseqa_validation.jsonl": ["jsonl", "arc", 2, 1],
    "company_quiz.json": ["json", "flat", 4, 2],
    "company_quiz.tsv": ["tsv", "flat", 2, 0],
    "custom_shape.jsonl": ["jsonl", null, 0, 0],
    "gpqa_main.csv": ["csv", "gpqa", 3, 0],
    "hellaswag_val.jsonl": ["jsonl", "hellaswag", 1, 1],
    "hellaswag_validation.parquet": ["parquet", "hellaswag", 4, 0],
    "hf_mmlu_test.parquet": ["parquet", "hf-mmlu", 12, 0],
    "medqa_test.jsonl": ["jsonl", "flat", 2, 0],
    "mmlu_mixed_test.csv": ["csv", "mmlu-csv", 5, 2],
    "mmmlu_FR_FR.csv": ["csv", "flat", 3, 1],
    "openbookqa_test.jsonl": ["jsonl", "arc", 2, 0],
  };
  assert.deepEqual([...byName.keys()].sort(), Object.keys(expected).sort());
  for (
    const [name, [format, shape, questions, skipped]] of Object.entries(
      expected,
    )
  ) {
    const f = byName.get(name)!;
    assert.deepEqual([f.format, f.shape, f.questions, f.skipped], [
      format,
      shape,
      questions,
      skipped,
    ], name);
    const subjectTotal = Object.values(f.subjects).reduce((a, b) => a + b, 0);
    const optionTotal = Object.values(f.options).reduce((a, b) => a + b, 0);
    assert.equal(subjectTotal, questions, name);
    assert.equal(optionTotal, questions, name);
    assert.equal(f.first_skipped.length, Math.min(skipped, 5), name);
  }
  assert.deepEqual(byName.get("hf_mmlu_test.parquet")!.subjects, {
    astronomy: 8,
    virology: 4,
  });
  assert.deepEqual(byName.get("ARC-Challenge-Dev.jsonl")!.options, {
    "3": 3,
    "4": 295,
    "5": 1,
  });
  assert.match(
    byName.get("custom_shape.jsonl")!.problems[0]!,
    /no known question shape \(keys "uid", "q", "opts", "gold", "area"\); name the fields with --fields/,
  );
  assert.deepEqual(byName.get("mmmlu_FR_FR.csv")!.first_skipped, [
    'mmmlu_FR_FR.csv:5: answer "E" is not one of A-D',
  ]);
});

Deno.test("inspect shows the first question as the prompt settings render it", async (t) => {
  const file = join(SHAPES, "mmmlu_FR_FR.csv");
  await t.step("default chat prompt", async () => {
    const text = await inspectCommand([file], deps());
    assert.match(text, /format csv, shape flat/);
    assert.match(text, /3 question\(s\), 1 skipped row\(s\)/);
    assert.ok(
      text.includes(
        "    | Quelle est la capitale de la France ?\n    | A. Lyon\n    | B. Paris\n    | C. Nice\n    | D. Lille\n    | Answer:",
      ),
      text,
    );
  });
  await t.step(
    "logprobs mode and a system prompt from the environment",
    async () => {
      const [f] = await inspectJson([file], {
        "LLM_BENCH_MODE": "logprobs",
        "LLM_BENCH_SYSTEM_PROMPT": "Be brief.",
      });
      assert.ok(f!.first_question!.startsWith("Be brief.\n\n"));
      assert.ok(f!.first_question!.endsWith("D. Lille\nAnswer:"));
    },
  );
  await t.step("--fields reads a shape no rule knows", async () => {
    const [f] = await inspectJson([
      join(SHAPES, "custom_shape.jsonl"),
      "--fields",
      "question=q.body,choices=opts[].t,labels=opts[].k,answer=gold",
    ]);
    assert.deepEqual([f!.shape, f!.questions, f!.problems], ["fields", 2, []]);
  });
});

Deno.test("parseInspectArgs() needs a path and rejects unknown flags", () => {
  assert.throws(() => parseInspectArgs([]), UsageError);
  assert.throws(() => parseInspectArgs(["x", "--model", "m"]), UsageError);
  assert.deepEqual(parseInspectArgs(["a", "b", "--json"]).paths, ["a", "b"]);
});

Deno.test("llm-bench inspect runs with no server and exits 0; a bad --fields is a usage error", async () => {
  const ok = await runCli(["inspect", join(SHAPES, "gpqa_main.csv"), "--json"]);
  assert.equal(ok.code, 0, ok.stderr);
  const files = (JSON.parse(ok.stdout) as { files: InspectedFile[] }).files;
  assert.deepEqual(files.map((f) => [f.shape, f.questions]), [["gpqa", 3]]);
  const bad = await runCli(["inspect", SHAPES, "--fields", "question=q"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--fields/);
  assert.ok(!bad.stderr.includes("    at "), bad.stderr);
});

Deno.test("llm-bench inspect under deno task reads PATH, --template and --fewshot-dir from the user's folder (INIT_CWD)", async () => {
  const home = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(home, "quiz"));
    await Deno.mkdir(join(home, "examples"));
    await Deno.copyFile(
      join(SHAPES, "gpqa_main.csv"),
      join(home, "quiz", "gpqa_main.csv"),
    );
    await Deno.copyFile(
      join(SHAPES, "gpqa_main.csv"),
      join(home, "examples", "gpqa_main_dev.csv"),
    );
    await Deno.writeTextFile(
      join(home, "my_template.txt"),
      "MY TEMPLATE {question}\n{choices}\n",
    );
    const r = await runCli([
      "inspect",
      "quiz",
      "--json",
      "--template",
      "my_template.txt",
      "--fewshot-dir",
      "examples",
      "--shots",
      "1",
    ], { env: { INIT_CWD: home } });
    assert.equal(r.code, 0, r.stderr);
    const files = (JSON.parse(r.stdout) as { files: InspectedFile[] }).files;
    assert.deepEqual(files.map((f) => [f.shape, f.questions]), [["gpqa", 3]]);
    assert.equal(files[0]!.path, join(home, "quiz", "gpqa_main.csv"));
    assert.match(files[0]!.first_question ?? "", /MY TEMPLATE/);
    // The few-shot folder looked in is the user's (and one was looked in).
    assert.match(
      files[0]!.problems.join("\n"),
      /few-shot: no few-shot file for "Physics \(general\)"/,
    );
    assert.ok(
      files[0]!.problems.every((p) => p.includes(join(home, "examples"))),
      files[0]!.problems.join("\n"),
    );
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("renderFile() wraps long prompt lines at 80 columns, marking the continuations", () => {
  const long = "word ".repeat(40).trim();
  const text = renderFile({
    path: "x.csv",
    format: "csv",
    shape: "flat",
    role: "questions",
    questions: 1,
    skipped: 0,
    options: { 4: 1 },
    subjects: { x: 1 },
    "first_skipped": [],
    problems: [],
    "first_question": `${long}\nAnswer:`,
  });
  const preview = text.split("\n").filter((l) => /^ {4}[|:] /.test(l));
  for (const l of preview) assert.ok(l.length <= 80, l);
  assert.equal(preview.filter((l) => l.startsWith("    | ")).length, 2);
  assert.ok(preview.length > 3, text);
  // Joined back, the continuations give the original line.
  const first = preview.slice(0, -1).map((l) => l.slice(6)).join(" ");
  assert.equal(first, long);
  assert.equal(preview.at(-1), "    | Answer:");
});
