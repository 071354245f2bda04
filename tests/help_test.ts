// --help and the commands' help: grouped, complete, no line wider than the
// terminal, and printed by the real CLI for every way of asking.

import assert from "node:assert/strict";
import { helpText, subcommandHelp, wrap } from "../src/cli/help.ts";
import { defaultText, OPTION_GROUPS, OPTIONS } from "../src/cli/options.ts";
import { SUBCOMMANDS } from "../src/cli/parse.ts";
import { join } from "node:path";
import { REPO_ROOT, runCli } from "./cli_helper.ts";

function assertFits(text: string, columns: number): void {
  const wide = text.split("\n").filter((l) => l.length > columns);
  assert.deepEqual(wide, [], `lines wider than ${columns}`);
}

Deno.test("helpText() fits the width it is given", async (t) => {
  for (const columns of [24, 40, 60, 80, 100, 200]) {
    await t.step(`${columns} columns`, () => {
      assertFits(helpText("9.9.9", columns), columns);
      for (const sub of SUBCOMMANDS) {
        assertFits(subcommandHelp(sub, columns), columns);
      }
    });
  }
  await t.step("uses a wide terminal", () => {
    const lines = helpText("9.9.9", 200).split("\n").length;
    assert.ok(lines < helpText("9.9.9", 80).split("\n").length);
  });
});

Deno.test("helpText() groups the options, then gives examples", () => {
  const lines = helpText("9.9.9", 80).split("\n");
  const at = (heading: string) => {
    const i = lines.indexOf(heading);
    assert.ok(i >= 0, `no "${heading}" section`);
    return i;
  };
  const starts = OPTION_GROUPS.map((g) => at(`${g}:`));
  assert.deepEqual(starts, [...starts].sort((a, b) => a - b), "group order");
  assert.ok(at("Examples:") > starts.at(-1)!);
  // The notes come last, as a list set apart from the examples.
  const notes = at("Notes:");
  assert.ok(notes > at("Examples:"));
  assert.equal(lines[notes - 1], "");
  assert.ok(
    lines.slice(notes + 1).some((l) => l.startsWith("  - Exit codes:")),
  );
  for (const o of OPTIONS) {
    const line = lines.findIndex((l) =>
      l === `  --${o.flag}` || l.startsWith(`  --${o.flag} `) ||
      l.startsWith(`  --${o.flag},`)
    );
    assert.ok(line >= 0, `--${o.flag} missing`);
    const group = OPTION_GROUPS.indexOf(o.group);
    assert.ok(line > starts[group]!, `--${o.flag} before its group`);
    const next = starts[group + 1] ?? at("General:");
    assert.ok(line < next, `--${o.flag} not under ${o.group}`);
  }
  for (const g of ["Server and model", "Dataset", "Prompting"]) {
    assert.ok(OPTION_GROUPS.some((x) => x === g), g);
  }
});

Deno.test("helpText() shows only real defaults, per backend for the base URL", () => {
  const text = helpText("9.9.9", 80);
  assert.ok(!text.includes("(none)"), "prints (none)");
  assert.ok(!/\(default: ?\)/.test(text), "prints an empty default");
  assert.ok(!/null|undefined/.test(text), "prints null or undefined");
  const flat = text.replace(/\s+/g, " ");
  assert.ok(
    flat.includes(
      "(default: http://localhost:11434 (ollama), http://localhost:11434/v1 (openai))",
    ),
    "the base URL default is not given per backend",
  );
  assert.ok(flat.includes("--max-retries N MAX_RETRIES"), flat);
  // Each option's entry shows its own default from the table, or none.
  const entries = new Map<string, string>();
  let flag: string | null = null;
  for (const line of text.split("\n")) {
    const m = /^ {2}--([a-z0-9-]+)/.exec(line);
    if (m) flag = m[1]!;
    else if (!line.startsWith("      ")) flag = null;
    if (flag !== null) {
      entries.set(flag, `${entries.get(flag) ?? ""} ${line.trim()}`);
    }
  }
  for (const o of OPTIONS) {
    const entry = entries.get(o.flag);
    assert.ok(entry !== undefined, `--${o.flag} has no entry`);
    const want = defaultText(o);
    if (o.flag === "base-url") continue; // per backend, checked above
    if (want === null) {
      assert.ok(!entry.includes("(default:"), `--${o.flag}: ${entry}`);
    } else {
      assert.ok(
        entry.includes(`(default: ${want})`),
        `--${o.flag} should show (default: ${want}): ${entry}`,
      );
    }
  }
  assert.match(entries.get("max-retries")!, /\(default: 4\)/);
});

Deno.test("wrap() never makes a line longer than the width", () => {
  const long = "x".repeat(50);
  for (const line of wrap(`a ${long} b`, 20, "    ")) {
    assert.ok(line.length <= 20, line);
  }
  assert.deepEqual(wrap("one two three", 9), ["one two", "three"]);
});

Deno.test("llm-bench prints the help asked for, 80 columns when piped", async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [["--help"], /^llm-bench \d+\.\d+\.\d+: benchmark/],
    [["help"], /^llm-bench \d+\.\d+\.\d+: benchmark/],
    [["report", "--help"], /^Usage: llm-bench report RUN_DIR/],
    [["compare", "--help"], /^Usage: llm-bench compare RUN_A RUN_B/],
    [["merge", "--help"], /^Usage: llm-bench merge RUN_DIR/],
    [["help", "report"], /^Usage: llm-bench report RUN_DIR/],
    [["version"], /^llm-bench \d+\.\d+\.\d+ \(deno /],
  ];
  for (const [args, want] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await runCli(args, { env: { COLUMNS: "80" } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, want);
      assertFits(r.stdout, 80);
    });
  }
  await t.step("COLUMNS 60, and 80 without COLUMNS", async () => {
    const narrow = await runCli(["--help"], { env: { COLUMNS: "60" } });
    assertFits(narrow.stdout, 60);
    const plain = await runCli(["--help"]);
    assertFits(plain.stdout, 80);
    assert.ok(plain.stdout.split("\n").some((l) => l.length > 60));
  });
});

Deno.test("llm-bench names the problem of a bad flag and exits 2", async (t) => {
  const cases: Array<[string[], string]> = [
    [
      ["--max-retries", "-1"],
      "Invalid --max-retries: -1 is out of range (0 to 100)",
    ],
    [
      ["--concurrancy", "3"],
      'Unknown option "--concurrancy" (did you mean --concurrency?)',
    ],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" "), async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr.trim(), message);
      assert.equal(r.stdout, "");
    });
  }
});

Deno.test("--help and --version load no dataset reader, command or runner module", async () => {
  // The static import graph of main.ts is what runs before the command is
  // known; everything a run needs must come in by a dynamic import.
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", join(REPO_ROOT, "main.ts")],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  assert.equal(info.code, 0, new TextDecoder().decode(info.stderr));
  const graph: unknown = JSON.parse(new TextDecoder().decode(info.stdout));
  assert.ok(typeof graph === "object" && graph !== null && "modules" in graph);
  assert.ok(Array.isArray(graph.modules));
  const edges = new Map<string, string[]>();
  for (const m of graph.modules) {
    const deps: string[] = [];
    for (const d of m?.dependencies ?? []) {
      if (!d?.isDynamic && typeof d?.code?.specifier === "string") {
        deps.push(d.code.specifier);
      }
    }
    edges.set(String(m?.specifier), deps);
  }
  const root = new URL("../main.ts", import.meta.url).href;
  const loaded = new Set<string>();
  const todo = [root];
  while (todo.length > 0) {
    const s = todo.pop()!;
    if (loaded.has(s)) continue;
    loaded.add(s);
    todo.push(...(edges.get(s) ?? []));
  }
  assert.ok(loaded.size > 5, `only ${[...loaded].join(", ")}`);
  const heavy = [...loaded].filter((s) =>
    /\/src\/(?:commands|runner|report\/(?!format\.ts)|metrics|store)\//.test(
      s,
    ) ||
    /\/src\/dataset\/(?:read|csv|json|jsonl|parquet|hub)/.test(s) ||
    /^npm:.*(?:csv-parse|hyparquet|hono)/.test(s)
  );
  assert.deepEqual(heavy, []);
});
