import assert from "node:assert/strict";
import { type Command, type Config, parseCommand } from "../src/cli/parse.ts";
import { DatasetError, UsageError } from "../src/errors.ts";
import {
  createManifest,
  type Manifest,
  PROMPT_AFFECTING,
  resumeConfig,
} from "../src/store/manifest.ts";
import { MANIFEST_FILE } from "../src/store/run_folder.ts";

function parse(
  argv: string[],
  vars: Record<string, string> = {},
): { config: Config; explicit: ReadonlySet<keyof Config> } {
  const c: Command = parseCommand(argv, (n) => vars[n]);
  assert.equal(c.kind, "run");
  const run = c as Extract<Command, { kind: "run" }>;
  return { config: run.config, explicit: run.explicit };
}

/** The manifest of a run started with these arguments, round-tripped through JSON. */
function recordedRun(
  argv: string[],
  vars: Record<string, string> = {},
): Manifest {
  const { config } = parse(argv, vars);
  const m = createManifest(
    "run-1",
    config,
    "/data/mmlu",
    [{ file: "anatomy_test.csv", sha256: "ab".repeat(32), rows: 135 }],
    "2024-05-01T10:00:00.000Z",
  );
  return JSON.parse(JSON.stringify(m));
}

const ORIGINAL = [
  "data",
  "--model",
  "qwen3:8b",
  "--mode",
  "cot",
  "--shots",
  "3",
  "--concurrency",
  "2",
  "--base-url",
  "http://gpu1:11434",
  "--limit",
  "20",
  "--output-dir",
  "out",
  "--metrics-port",
  "off",
];

Deno.test("createManifest() records the run without secrets", () => {
  const m = recordedRun(ORIGINAL, {
    LLM_BENCH_API_KEY: "sk-secret",
    OLLAMA_BASE_URL: "http://u:pw@ignored",
  });
  assert.equal(MANIFEST_FILE, "run.json");
  assert.equal(m.schema_version, 1);
  assert.equal(m.tool.name, "llm-bench");
  assert.equal(m.run_id, "run-1");
  assert.equal(m.created_at, "2024-05-01T10:00:00.000Z");
  assert.equal(m.dataset.root, "/data/mmlu");
  assert.equal(m.dataset.pattern, "*.{csv,tsv,jsonl,json,parquet}");
  assert.equal(m.dataset.files.length, 1);
  assert.deepEqual(m.config.models, ["qwen3:8b"]);
  const text = JSON.stringify(m);
  assert.ok(!text.includes("sk-secret"));
  assert.ok(!text.includes("u:pw"));
});

Deno.test("resumeConfig() keeps the recorded values for options not given", () => {
  const m = recordedRun(ORIGINAL);
  const now = parse(["--resume", "out/run-1"]);
  const { config, changed } = resumeConfig(m, now.config, now.explicit);
  assert.deepEqual(changed, []);
  assert.deepEqual(config.models, ["qwen3:8b"]);
  assert.equal(config.mode, "cot");
  assert.equal(config.shots, 3);
  assert.equal(config.concurrency, 2);
  assert.deepEqual(config.baseUrls, ["http://gpu1:11434"]);
  assert.equal(config.limit, 20);
  assert.equal(config.outputDir, "out");
  assert.equal(config.metricsPort, null);
  // The dataset is found where the run read it.
  assert.equal(config.csvDir, "/data/mmlu");
  // Resume controls come from now, not from the record.
  assert.equal(config.resume, "out/run-1");
  assert.ok(Object.isFrozen(config));
});

Deno.test("resumeConfig() takes explicit options that do not change the prompts", () => {
  const m = recordedRun(ORIGINAL);
  const now = parse([
    "--resume",
    "out/run-1",
    "--concurrency",
    "8",
    "--base-url",
    "http://gpu2:11434,http://gpu3:11434",
    "--metrics-port",
    "9100",
    "--verbose",
  ]);
  const { config, changed } = resumeConfig(m, now.config, now.explicit);
  assert.deepEqual(changed, []);
  assert.equal(config.concurrency, 8);
  assert.deepEqual(config.baseUrls, [
    "http://gpu2:11434",
    "http://gpu3:11434",
  ]);
  assert.equal(config.metricsPort, 9100);
  assert.equal(config.verbose, true);
  assert.equal(config.mode, "cot");
});

Deno.test("resumeConfig() reports the prompt-affecting options that changed", () => {
  const m = recordedRun(ORIGINAL);
  const now = parse([
    "--resume",
    "out/run-1",
    "--model",
    "llama3.2:latest",
    "--mode",
    "answer",
    "--shots",
    "0",
    "--limit",
    "20", // same as recorded: not a change
    "--concurrency",
    "8", // not prompt-affecting
  ]);
  const { config, changed } = resumeConfig(m, now.config, now.explicit);
  assert.deepEqual([...changed].sort(), ["mode", "models", "shots"]);
  // The given values are what would run (with --force).
  assert.deepEqual(config.models, ["llama3.2:latest"]);
  assert.equal(config.mode, "answer");
  assert.equal(config.shots, 0);
});

Deno.test("resumeConfig() reports a change given through the environment", () => {
  const m = recordedRun(ORIGINAL);
  const now = parse(["--resume", "out/run-1"], {
    LLM_BENCH_TEMPERATURE: "0.7",
  });
  const { changed, config } = resumeConfig(m, now.config, now.explicit);
  assert.deepEqual(changed, ["temperature"]);
  assert.equal(config.temperature, 0.7);
});

Deno.test("resumeConfig() never takes the API key from the record", () => {
  const m = recordedRun(ORIGINAL, { LLM_BENCH_API_KEY: "sk-old" });
  assert.equal(m.config.apiKey, "[redacted]");
  const withKey = parse(["--resume", "r"], { LLM_BENCH_API_KEY: "sk-new" });
  assert.equal(
    resumeConfig(m, withKey.config, withKey.explicit).config.apiKey,
    "sk-new",
  );
  const without = parse(["--resume", "r"]);
  assert.equal(
    resumeConfig(m, without.config, without.explicit).config.apiKey,
    null,
  );
});

Deno.test("resumeConfig() takes a csv_dir given now", () => {
  const m = recordedRun(ORIGINAL);
  const now = parse(["moved/data", "--resume", "r"]);
  assert.equal(
    resumeConfig(m, now.config, now.explicit).config.csvDir,
    "moved/data",
  );
});

Deno.test("resumeConfig() keeps current values for options the record lacks", () => {
  const m = recordedRun(ORIGINAL);
  delete m.config.repeats; // a manifest from an older version
  const now = parse(["--resume", "r"]);
  const { config, changed } = resumeConfig(m, now.config, now.explicit);
  assert.equal(config.repeats, 1);
  assert.deepEqual(changed, []);
});

Deno.test("PROMPT_AFFECTING covers what decides the questions and prompts", () => {
  for (
    const key of [
      "models",
      "mode",
      "shots",
      "temperature",
      "seed",
      "subjects",
      "limit",
      "sample",
      "shard",
      "templateFile",
      "system",
    ] as const
  ) {
    assert.ok(PROMPT_AFFECTING.includes(key), key);
  }
  for (
    const key of ["concurrency", "baseUrls", "outputDir", "verbose"] as const
  ) {
    assert.ok(!PROMPT_AFFECTING.includes(key), key);
  }
});

Deno.test("resumeConfig() asks for --base-url again when the recorded one held credentials", () => {
  const withCreds = parseCommand(
    ["--base-url", "http://user:pw@127.0.0.1:9"],
    () => undefined,
  );
  assert.ok(withCreds.kind === "run");
  const m = createManifest(
    "r",
    withCreds.config,
    "/data",
    [],
    "2026-01-01T00:00:00Z",
  );
  assert.equal(m["base_urls_redacted"], true);
  assert.ok(!JSON.stringify(m).includes("pw@"));
  const again = parseCommand(["--resume", "r"], () => undefined);
  assert.ok(again.kind === "run");
  assert.throws(
    () => resumeConfig(m, again.config, again.explicit),
    (e: unknown) =>
      e instanceof UsageError && /pass --base-url/.test(e.message),
  );
  const given = parseCommand([
    "--resume",
    "r",
    "--base-url",
    "http://user:pw@127.0.0.1:9",
  ], () => undefined);
  assert.ok(given.kind === "run");
  assert.deepEqual(
    resumeConfig(m, given.config, given.explicit).config.baseUrls,
    ["http://user:pw@127.0.0.1:9"],
  );
});

Deno.test("resumeConfig() refuses a recorded option of the wrong shape, naming it", () => {
  const m = recordedRun(ORIGINAL);
  const { config, explicit } = parse(["--resume", "out/run-1"]);
  for (
    const [key, value, expected] of [
      ["concurrency", "two", "a number"],
      ["limit", "20", "a number or null"],
      ["subjects", [1], "a list of strings"],
      ["shard", { index: 1 }, "a number"],
    ] as const
  ) {
    const bad: Manifest = { ...m, config: { ...m.config, [key]: value } };
    assert.throws(
      () => resumeConfig(bad, config, explicit),
      (e: unknown) =>
        e instanceof DatasetError &&
        e.message.includes(`field "config.${key}`) &&
        e.message.includes(`expected ${expected}`),
      key,
    );
  }
});
