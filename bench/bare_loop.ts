// deno-lint-ignore-file no-console -- a benchmark child process: prints its one JSON result line
// The baseline of the slot-utilisation benchmark: W workers posting the same
// kind of /api/chat requests as the CLI (stream:false, structured answer),
// with nothing around them. Prompts are built before the first request.
//
//   deno run --allow-net --allow-read bench/bare_loop.ts --url URL --dataset DIR --workers 8

import { parseArgs } from "node:util";
import { discoverFiles } from "../src/dataset/discover.ts";
import { readDataset } from "../src/dataset/read.ts";
import { buildPrompt } from "../src/protocol/prompt.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    url: { type: "string" },
    dataset: { type: "string" },
    workers: { type: "string", default: "8" },
    model: { type: "string", default: "llama3.2" },
  },
});
if (!values.url || !values.dataset) {
  console.error("usage: bare_loop.ts --url URL --dataset DIR [--workers N]");
  Deno.exit(2);
}
const base = values.url.replace(/\/+$/, "");
const workers = Number(values.workers);

const bodies: string[] = [];
const files = await discoverFiles(values.dataset, "*.csv");
for await (const item of readDataset(files.files)) {
  if (item.kind !== "question") continue;
  const built = buildPrompt(item.question, {
    mode: "answer",
    shots: [],
    fewshotAsChat: false,
    system: null,
    template: null,
    preset: null,
  });
  bodies.push(JSON.stringify({
    model: values.model,
    stream: false,
    options: {
      temperature: 0,
      seed: 1234,
      "top_k": 1,
      "top_p": 1,
      "num_predict": 64,
      "num_ctx": 2048,
    },
    "keep_alive": "10m",
    messages: built.messages,
    format: {
      type: "object",
      properties: { answer: { type: "string", enum: built.letters } },
      required: ["answer"],
    },
  }));
}

let next = 0;
let errors = 0;
const t0 = performance.now();
await Promise.all(
  Array.from({ length: workers }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(`${base}/api/chat`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const text = await res.text();
      const reply = JSON.parse(text) as { done?: boolean };
      if (res.status !== 200 || reply.done !== true) errors++;
    }
  }),
);
const wallMs = performance.now() - t0;
console.log(JSON.stringify({ questions: bodies.length, wallMs, errors }));
