// README is the user's door: its configuration table and its commands must
// match the program.

import assert from "node:assert/strict";
import { join } from "node:path";
import { OPTIONS } from "../src/cli/options.ts";
import { optionsMarkdown } from "../src/cli/help.ts";
import { REPO_ROOT } from "./cli_helper.ts";

const readme = await Deno.readTextFile(join(REPO_ROOT, "README.md"));
const tasks = Object.keys(
  (JSON.parse(await Deno.readTextFile(join(REPO_ROOT, "deno.json"))) as {
    tasks: Record<string, string>;
  }).tasks,
);

Deno.test("README's configuration table lists every flag and environment variable", () => {
  for (const o of OPTIONS) {
    assert.ok(
      readme.includes("`--" + o.flag),
      `--${o.flag} missing from README`,
    );
    if (o.env) {
      assert.ok(
        readme.includes("`" + o.env + "`"),
        `${o.env} missing from README`,
      );
    }
  }
});

Deno.test("every `deno task` README mentions exists in deno.json", () => {
  const named = new Set(
    [...readme.matchAll(/deno task ([a-z][a-z-]*)/g)].map((m) => m[1]!),
  );
  assert.ok(named.has("bench") && named.has("test"));
  for (const t of named) {
    assert.ok(
      tasks.includes(t),
      `deno task ${t} is in README but not in deno.json`,
    );
  }
});

/** The cells of a Markdown table row, split where GitHub splits them. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, "").replace(/(?<!\\)\|$/, "")
    .split(/(?<!\\)\|/).map((c) => c.trim());
}

/** The rows of the first table after `heading` whose header starts with `first`. */
function tableRows(text: string, heading: string, first: string): string[][] {
  const from = text.indexOf(`\n${heading}\n`);
  assert.ok(from >= 0, `README has no "${heading}"`);
  const lines = text.slice(from).split("\n");
  const start = lines.findIndex((l) => l.startsWith(`| ${first}`));
  assert.ok(start >= 0, `no table under "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(cells(line));
  }
  return rows;
}

Deno.test("README's configuration table is the option table, cell by cell", () => {
  const want = optionsMarkdown().split("\n").slice(2).map(cells);
  const got = tableRows(readme, "## Configuration", "Env var");
  for (const row of got) {
    assert.equal(row.length, 4, `a row does not have 4 cells: ${row}`);
  }
  assert.deepEqual(
    got,
    want,
    `replace README's configuration table with (then deno fmt):\n${optionsMarkdown()}`,
  );
});

Deno.test("README's tables keep their cells: every | inside a cell is escaped", () => {
  const rows = tableRows(readme, "## Configuration", "Env var");
  const flags = rows.map((r) => r[1] ?? "");
  for (
    const f of [
      "--concurrency N\\|auto",
      "--think auto\\|on\\|off",
      "--metrics-port PORT\\|off",
    ]
  ) {
    assert.ok(flags.some((cell) => cell.includes(f)), `no cell with ${f}`);
  }
  const trouble = tableRows(readme, "## Troubleshooting", "symptom");
  assert.ok(trouble.length > 5);
  for (const row of trouble) assert.equal(row.length, 2, String(row));
});

Deno.test("README has no backslash-escaped backtick (it shows inside code spans)", () => {
  const lines = readme.split("\n").filter((l) => l.includes("\\`"));
  assert.deepEqual(lines, []);
});

Deno.test("README does not say --help prints the configuration table", () => {
  assert.ok(!/--help`? prints\s+this table/.test(readme));
});

/** README.md and every docs/*.md, as [relative path, text]. */
async function docPages(): Promise<Array<[string, string]>> {
  const pages: Array<[string, string]> = [["README.md", readme]];
  for await (const e of Deno.readDir(join(REPO_ROOT, "docs"))) {
    if (e.isFile && e.name.endsWith(".md")) {
      const rel = `docs/${e.name}`;
      pages.push([rel, await Deno.readTextFile(join(REPO_ROOT, rel))]);
    }
  }
  return pages.sort(([a], [b]) => a.localeCompare(b));
}

/** The text outside fenced code blocks. */
function prose(text: string): string {
  return text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to -. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "")
    .replaceAll(" ", "-");
}

Deno.test("every table in README and docs/ keeps its cells: each row has the header's count", async () => {
  for (const [page, text] of await docPages()) {
    let width = 0;
    for (const line of prose(text).split("\n")) {
      if (!line.startsWith("|")) {
        width = 0;
        continue;
      }
      const n = cells(line).length;
      if (width === 0) width = n;
      else assert.equal(n, width, `${page}: a row splits differently: ${line}`);
    }
  }
});

Deno.test("every relative link in README and docs/ reaches a file (and a heading)", async () => {
  const pages = new Map(await docPages());
  let links = 0;
  for (const [page, text] of pages) {
    for (const m of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/.test(link)) continue;
      links++;
      const [path = "", anchor] = link.split("#");
      const target = path === ""
        ? page
        : join(page.includes("/") ? "docs" : ".", path).replace(/^\.\//, "");
      const stat = await Deno.stat(join(REPO_ROOT, target)).catch(() => null);
      assert.ok(stat, `${page}: link ${link} reaches no file`);
      if (anchor && target.endsWith(".md")) {
        const heads = [
          ...prose(pages.get(target) ?? "").matchAll(/^#+ (.*)$/gm),
        ]
          .map((h) => anchorOf(h[1]!));
        assert.ok(
          heads.includes(anchor),
          `${page}: link ${link} names no heading of ${target}`,
        );
      }
    }
  }
  assert.ok(links > 20, `only ${links} relative links found`);
});
