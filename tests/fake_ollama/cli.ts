// deno-lint-ignore-file no-console -- the fake's command line owns a terminal
// The fake as a program (`deno run --allow-net --allow-read
// tests/fake_ollama.ts --port 11434`), for the performance benchmark and for
// trying llm-bench by hand: prints its URL, and its statistics when stopped.

import { parseArgs } from "node:util";
import { startFakeOllama } from "./server.ts";
import { answerKeyReply, loadAnswerKey } from "./scenarios.ts";

const HELP =
  "fake_ollama.ts [--port N] [--parallel N] [--service-ms MS] [--chunk-delay-ms MS] [--load-ms MS]\n" +
  "  [--queue-limit N] [--model NAME]... [--thinking]\n" +
  "  [--answer-correct-rate R --dataset DIR_OR_FILE...]  answer known questions correctly for a\n" +
  "  deterministic fraction R of them (by question hash); unknown questions get a hashed letter";

/** Runs the fake until SIGINT or SIGTERM, then prints its statistics and exits. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: "string", default: "0" },
      parallel: { type: "string", default: "1" },
      "service-ms": { type: "string", default: "0" },
      "chunk-delay-ms": { type: "string", default: "0" },
      "load-ms": { type: "string", default: "0" },
      "queue-limit": { type: "string" },
      "answer-correct-rate": { type: "string" },
      dataset: { type: "string", multiple: true },
      model: { type: "string", multiple: true },
      thinking: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  const counts = { correct: 0, wrong: 0, unmatched: 0 };
  const rate = values["answer-correct-rate"];
  const datasets = values.dataset ?? [];
  const reply = rate !== undefined || datasets.length > 0
    ? answerKeyReply(await loadAnswerKey(datasets), Number(rate ?? 1), counts)
    : undefined;
  const caps = values.thinking ? ["completion", "thinking"] : ["completion"];
  const fake = await startFakeOllama({
    models: (values.model ?? ["llama3.2:latest"]).map((name) => ({
      name,
      capabilities: caps,
    })),
    parallel: Number(values.parallel),
    serviceMs: Number(values["service-ms"]),
    chunkDelayMs: Number(values["chunk-delay-ms"]),
    loadMs: Number(values["load-ms"]),
    queueLimit: values["queue-limit"] === undefined
      ? null
      : Number(values["queue-limit"]),
    reply,
    recordRequests: false,
  }, Number(values.port));
  console.log(fake.url);
  const stop = async () => {
    await fake.close();
    console.log(JSON.stringify({ ...fake.stats(), answers: counts }));
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
