// deno-lint-ignore-file no-console -- a command-line script a person runs.
// Takes a PNG screenshot of a report.html with headless Chromium, so a person
// can look at the report. Not a test.
//
//   deno run --allow-read --allow-write --allow-run --allow-env \
//     tests/screenshot_report.ts RUN_DIR/report.html out.png [--height=4000] [--width=1280]
//   ... tests/screenshot_report.ts --sample /tmp/sample/report.html out.png
//
// `--sample` first writes the built-in two-model sample report to the given
// path. Chromium captures the window only, so pick a tall enough --height.

import { parseArgs } from "node:util";
import { renderReport } from "../src/report/html.ts";
import {
  CHROMIUM_FLAGS,
  findChromium,
  sampleComparison,
} from "./report_sample.ts";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      sample: { type: "boolean", default: false },
      hostile: { type: "boolean", default: false },
      width: { type: "string", default: "1280" },
      height: { type: "string", default: "4000" },
    },
  });
  const [htmlPath, pngPath] = positionals;
  if (htmlPath === undefined || pngPath === undefined) {
    console.error(
      "usage: screenshot_report.ts [--sample] [--hostile] [--width=N] [--height=N] REPORT.html OUT.png",
    );
    return 2;
  }
  if (values.sample) {
    const { summaries, details } = sampleComparison(values.hostile);
    await Deno.writeTextFile(htmlPath, renderReport(summaries, details));
    console.log(`wrote sample report ${htmlPath}`);
  }
  const chromium = findChromium();
  if (chromium === null) {
    console.error(
      "Cannot take a screenshot: no chromium found (apt-get install chromium)",
    );
    return 1;
  }
  const abs = await Deno.realPath(htmlPath);
  const profile = await Deno.makeTempDir({ prefix: "llm-bench-shot-" });
  try {
    const out = await new Deno.Command(chromium, {
      args: [
        ...CHROMIUM_FLAGS,
        `--user-data-dir=${profile}`,
        `--window-size=${values.width},${values.height}`,
        `--screenshot=${pngPath}`,
        `file://${abs}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      console.error(new TextDecoder().decode(out.stderr));
      console.error(`Cannot take a screenshot: chromium exited ${out.code}`);
      return 1;
    }
  } finally {
    await Deno.remove(profile, { recursive: true });
  }
  console.log(`wrote ${pngPath}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main());
