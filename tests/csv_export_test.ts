import assert from "node:assert/strict";
import { join } from "node:path";
import { csvCell, csvHeader, csvLine } from "../src/report/csv_export.ts";
import { writeResultsCsv } from "../src/report/outputs.ts";
import { skippedRecord } from "../src/runner/records.ts";

Deno.test("csvCell() neutralises text a spreadsheet would run as a formula", async (t) => {
  for (
    const [input, expected] of [
      ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
      ["+1+1", "'+1+1"],
      ["-2+3", "'-2+3"],
      ["@SUM(A1)", "'@SUM(A1)"],
      ["\t=1", "'\t=1"],
      ["plain text", "plain text"],
      ['a "quoted", value', '"a ""quoted"", value"'],
      ["=1,2", `"'=1,2"`],
      ["line\nbreak", '"line\nbreak"'],
    ] as const
  ) {
    await t.step(
      JSON.stringify(input),
      () => assert.equal(csvCell(input), expected),
    );
  }
  assert.equal(csvCell(-1.5), "-1.5");
  assert.equal(csvCell(null), "");
});

Deno.test("writeResultsCsv() writes one row per result line, guarded", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = [
      skippedRecord({
        id: "a.csv:1",
        index: 0,
        file: "a.csv",
        line: 1,
        subject: "=evil",
        reason: "@bad",
      }, "m"),
      {
        ...skippedRecord({
          id: "a.csv:2",
          index: 1,
          file: "a.csv",
          line: 2,
          subject: "s",
          reason: "",
        }, "m"),
        status: "correct" as const,
        expected: "B",
        predicted: "B",
        "latency_ms": 12.5,
        reason: null,
      },
    ];
    await Deno.writeTextFile(
      join(dir, "results.jsonl"),
      rows.map((r) => JSON.stringify(r)).join("\n") + "\n",
    );
    await writeResultsCsv(dir);
    const text = await Deno.readTextFile(join(dir, "results.csv"));
    const lines = text.split("\r\n").filter((l) => l !== "");
    assert.equal(lines.length, 3);
    assert.equal(lines[0] + "\r\n", csvHeader());
    assert.equal(lines[1] + "\r\n", csvLine(rows[0]!));
    assert.ok(lines[1]!.includes("'=evil") && lines[1]!.includes("'@bad"));
    assert.ok(lines[2]!.startsWith("a.csv:2,s,correct,B,B,"));
    assert.ok(lines[2]!.includes(",12.5,"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
