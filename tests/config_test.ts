import assert from "node:assert/strict";
import { type Command, type Config, parseCommand } from "../src/cli/parse.ts";
import { redactConfig, safePathSegment } from "../src/config.ts";
import { EXTRA_ENV, OPTIONS } from "../src/cli/options.ts";
import { helpText } from "../src/cli/help.ts";
import { UsageError } from "../src/errors.ts";
import { DEFAULT_RETRY_POLICY } from "../src/backend/retry.ts";

function envOf(
  vars: Record<string, string> = {},
): (n: string) => string | undefined {
  return (name) => vars[name];
}

function run(
  argv: string[],
  vars: Record<string, string> = {},
): Extract<Command, { kind: "run" }> {
  const c = parseCommand(argv, envOf(vars));
  assert.equal(c.kind, "run");
  return c as Extract<Command, { kind: "run" }>;
}

function config(argv: string[], vars: Record<string, string> = {}): Config {
  return run(argv, vars).config;
}

/** Asserts a one-line UsageError whose message names `name`. */
function assertUsage(
  argv: string[],
  vars: Record<string, string>,
  name: string,
): void {
  assert.throws(
    () => parseCommand(argv, envOf(vars)),
    (e: unknown) => {
      assert.ok(e instanceof UsageError, `not a UsageError: ${e}`);
      assert.ok(
        e.message.includes(name),
        `"${e.message}" does not name ${name}`,
      );
      assert.ok(!e.message.includes("\n"), `"${e.message}" is not one line`);
      return true;
    },
  );
}

Deno.test("parseCommand() uses the defaults with no flags and no env", () => {
  const c = config([]);
  assert.equal(c.csvDir, "benchmark_data");
  assert.deepEqual(c.models, ["llama3.2:latest"]);
  assert.deepEqual(c.baseUrls, ["http://localhost:11434"]);
  assert.equal(c.backend, "ollama");
  assert.equal(c.outputDir, "results");
  assert.equal(c.concurrency, 4);
  assert.equal(c.maxRetries, 4);
  assert.equal(c.rateLimitDelay, 0);
  assert.equal(c.metricsPort, 8000);
  assert.equal(c.metricsHost, "127.0.0.1");
  assert.equal(c.requestTimeout, 120);
  assert.equal(c.firstRequestTimeout, 600);
  assert.equal(c.mode, "answer");
  assert.equal(c.think, "auto");
  assert.equal(c.shots, 0);
  assert.equal(c.seed, 1234);
  assert.equal(c.temperature, 0);
  assert.equal(c.maxTokens, null);
  assert.equal(c.limit, null);
  assert.equal(c.sample, null);
  assert.equal(c.subjects, null);
  assert.equal(c.repeats, 1);
  assert.equal(c.shard, null);
  assert.equal(c.resume, null);
  assert.equal(c.verbose, false);
  assert.equal(c.maxConsecutiveFailures, 10);
  assert.equal(c.apiKey, null);
  assert.ok(Object.isFrozen(c));
});

Deno.test("parseCommand() takes flags over env over defaults", async (t) => {
  const cases: Array<{
    name: string;
    key: keyof Config;
    flag: string[];
    env: Record<string, string>;
    fromFlag: unknown;
    fromEnv: unknown;
    fallback: unknown;
  }> = [
    {
      name: "string",
      key: "outputDir",
      flag: ["--output-dir", "flag-out"],
      env: { OUTPUT_DIR: "env-out" },
      fromFlag: "flag-out",
      fromEnv: "env-out",
      fallback: "results",
    },
    {
      name: "bool",
      key: "verbose",
      flag: ["--no-verbose"],
      env: { VERBOSE: "true" },
      fromFlag: false,
      fromEnv: true,
      fallback: false,
    },
    {
      name: "int",
      key: "maxRetries",
      flag: ["--max-retries", "7"],
      env: { MAX_RETRIES: "2" },
      fromFlag: 7,
      fromEnv: 2,
      fallback: 4,
    },
    {
      name: "number",
      key: "rateLimitDelay",
      flag: ["--rate-limit-delay", "0.25"],
      env: { RATE_LIMIT_DELAY: "1.5" },
      fromFlag: 0.25,
      fromEnv: 1.5,
      fallback: 0,
    },
    {
      name: "list",
      key: "models",
      flag: ["--model", "a:1, b:2"],
      env: { MODEL_NAME: "env:latest" },
      fromFlag: ["a:1", "b:2"],
      fromEnv: ["env:latest"],
      fallback: ["llama3.2:latest"],
    },
    {
      name: "url list",
      key: "baseUrls",
      flag: ["--base-url", "http://h1:1/,https://h2/v1/"],
      env: { OLLAMA_BASE_URL: "http://envhost:11434" },
      fromFlag: ["http://h1:1", "https://h2/v1"],
      fromEnv: ["http://envhost:11434"],
      fallback: ["http://localhost:11434"],
    },
    {
      name: "enum",
      key: "mode",
      flag: ["--mode", "logprobs"],
      env: { LLM_BENCH_MODE: "COT" },
      fromFlag: "logprobs",
      fromEnv: "cot",
      fallback: "answer",
    },
    {
      name: "concurrency",
      key: "concurrency",
      flag: ["--concurrency", "auto"],
      env: { LLM_BENCH_CONCURRENCY: "12" },
      fromFlag: "auto",
      fromEnv: 12,
      fallback: 4,
    },
    {
      name: "metrics port",
      key: "metricsPort",
      flag: ["--metrics-port", "9100"],
      env: { METRICS_PORT: "off" },
      fromFlag: 9100,
      fromEnv: null,
      fallback: 8000,
    },
    {
      name: "shard",
      key: "shard",
      flag: ["--shard", "2/3"],
      env: { LLM_BENCH_SHARD: "1/3" },
      fromFlag: { index: 2, count: 3 },
      fromEnv: { index: 1, count: 3 },
      fallback: null,
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assert.deepEqual(config(c.flag, c.env)[c.key], c.fromFlag, "flag wins");
      assert.deepEqual(config([], c.env)[c.key], c.fromEnv, "env next");
      assert.deepEqual(config([])[c.key], c.fallback, "then the default");
      assert.deepEqual(
        config(
          [],
          Object.fromEntries(
            Object.keys(c.env).map((k) => [k, ""]),
          ),
        )[c.key],
        c.fallback,
        "an empty env var counts as unset",
      );
    });
  }
});

Deno.test("parseCommand() reads bool flags and env values", async (t) => {
  await t.step("flag alone is true", () => {
    assert.equal(config(["--verbose"]).verbose, true);
    assert.equal(config(["--quiet"]).quiet, true);
  });
  for (
    const [v, want] of [
      ["1", true],
      ["yes", true],
      ["ON", true],
      ["0", false],
      ["no", false],
      ["off", false],
    ] as const
  ) {
    await t.step(`VERBOSE=${v}`, () => {
      assert.equal(config([], { VERBOSE: v }).verbose, want);
    });
  }
});

Deno.test("parseCommand() accepts --batch-size and BATCH_SIZE for concurrency", () => {
  assert.equal(config(["--batch-size", "3"]).concurrency, 3);
  assert.equal(config([], { BATCH_SIZE: "7" }).concurrency, 7);
  assert.equal(
    config([], { BATCH_SIZE: "7", LLM_BENCH_CONCURRENCY: "5" }).concurrency,
    5,
  );
  assert.equal(
    config(["--batch-size", "2"], { LLM_BENCH_CONCURRENCY: "5" }).concurrency,
    2,
  );
  assertUsage(["--batch-size", "x"], {}, "--batch-size");
  assertUsage([], { BATCH_SIZE: "0" }, "BATCH_SIZE");
});

Deno.test("parseCommand() takes --metrics-port 0 and off", () => {
  assert.equal(config(["--metrics-port", "0"]).metricsPort, 0);
  assert.equal(config(["--metrics-port", "off"]).metricsPort, null);
  assert.equal(config([], { METRICS_PORT: "OFF" }).metricsPort, null);
  assertUsage(["--metrics-port", "65536"], {}, "--metrics-port");
  assertUsage(["--metrics-port", "http"], {}, "--metrics-port");
});

Deno.test("parseCommand() derives the shard from SHARD_COUNT and JOB_COMPLETION_INDEX", () => {
  assert.deepEqual(
    config([], { SHARD_COUNT: "4", JOB_COMPLETION_INDEX: "0" }).shard,
    { index: 1, count: 4 },
  );
  assert.deepEqual(
    config([], { SHARD_COUNT: "4", JOB_COMPLETION_INDEX: "3" }).shard,
    { index: 4, count: 4 },
  );
  // --shard wins over the Kubernetes variables.
  assert.deepEqual(
    config(["--shard", "1/2"], { SHARD_COUNT: "4", JOB_COMPLETION_INDEX: "3" })
      .shard,
    { index: 1, count: 2 },
  );
  assertUsage(
    [],
    { SHARD_COUNT: "4", JOB_COMPLETION_INDEX: "4" },
    "JOB_COMPLETION_INDEX",
  );
  assertUsage([], { SHARD_COUNT: "4" }, "JOB_COMPLETION_INDEX");
  assertUsage(
    [],
    { SHARD_COUNT: "two", JOB_COMPLETION_INDEX: "0" },
    "SHARD_COUNT",
  );
});

Deno.test("parseCommand() reports each bad input as a one-line UsageError", async (t) => {
  const cases: Array<[string, string[], Record<string, string>, string]> = [
    ["unknown flag", ["--foo"], {}, "--foo"],
    ["unknown short flag", ["-x"], {}, "-x"],
    ["missing value", ["--limit"], {}, "--limit"],
    ["missing value before a flag", ["--limit", "--verbose"], {}, "--limit"],
    ["value for a bool flag", ["--verbose=yes"], {}, "--verbose"],
    ["malformed int", ["--limit", "ten"], {}, "--limit"],
    ["fractional int", ["--max-retries", "1.5"], {}, "--max-retries"],
    ["malformed int env", [], { LLM_BENCH_LIMIT: "1.5" }, "LLM_BENCH_LIMIT"],
    ["malformed number", ["--temperature", "hot"], {}, "--temperature"],
    [
      "malformed number env",
      [],
      { REQUEST_TIMEOUT: "soon" },
      "REQUEST_TIMEOUT",
    ],
    ["int out of range", ["--shots", "6"], {}, "--shots"],
    ["number out of range", ["--temperature", "2.5"], {}, "--temperature"],
    [
      "number out of range env",
      [],
      { LLM_BENCH_TEMPERATURE: "-1" },
      "LLM_BENCH_TEMPERATURE",
    ],
    ["concurrency 0", ["--concurrency", "0"], {}, "--concurrency"],
    ["concurrency word", ["--concurrency", "max"], {}, "--concurrency"],
    ["sample 0", ["--sample", "0"], {}, "--sample"],
    ["sample above 1", ["--sample", "1.5"], {}, "--sample"],
    ["repeats 0", ["--repeats", "0"], {}, "--repeats"],
    ["fail-under above 1", ["--fail-under", "80"], {}, "--fail-under"],
    ["bad URL", ["--base-url", "localhost 11434"], {}, "--base-url"],
    ["bad URL scheme", ["--base-url", "ftp://h"], {}, "--base-url"],
    ["bad URL env", [], { OLLAMA_BASE_URL: "nope" }, "OLLAMA_BASE_URL"],
    ["empty URL list", ["--base-url", ","], {}, "--base-url"],
    ["empty model list", ["--model", " , "], {}, "--model"],
    ["bad enum", ["--mode", "fast"], {}, "--mode"],
    ["bad enum env", [], { BACKEND: "vllm" }, "BACKEND"],
    ["bad think", ["--think", "maybe"], {}, "--think"],
    ["bad bool env", [], { VERBOSE: "maybe" }, "VERBOSE"],
    ["bad bool env serve", [], { LLM_BENCH_SERVE: "2" }, "LLM_BENCH_SERVE"],
    ["bad shard form", ["--shard", "a"], {}, "--shard"],
    ["shard index above count", ["--shard", "3/2"], {}, "--shard"],
    ["shard index 0", ["--shard", "0/2"], {}, "--shard"],
    ["bad shard env", [], { LLM_BENCH_SHARD: "1-2" }, "LLM_BENCH_SHARD"],
    ["run id with a slash", ["--run-id", "../x"], {}, "--run-id"],
    ["empty output dir", ["--output-dir", " "], {}, "--output-dir"],
    ["retry-errors without resume", ["--retry-errors"], {}, "--retry-errors"],
    ["two positionals", ["a", "b"], {}, "csv_dir"],
  ];
  for (const [name, argv, vars, names] of cases) {
    await t.step(name, () => assertUsage(argv, vars, names));
  }
});

Deno.test("parseCommand() accepts --retry-errors with --resume", () => {
  const c = config(["--resume", "results/run1", "--retry-errors"]);
  assert.equal(c.resume, "results/run1");
  assert.equal(c.retryErrors, true);
});

Deno.test("parseCommand() takes the csv_dir positional over LLM_BENCH_CSV_DIR", () => {
  assert.equal(config(["data"]).csvDir, "data");
  assert.equal(config([], { LLM_BENCH_CSV_DIR: "envdata" }).csvDir, "envdata");
  assert.equal(
    config(["data"], { LLM_BENCH_CSV_DIR: "envdata" }).csvDir,
    "data",
  );
});

Deno.test("parseCommand() reads the API key from the environment only", () => {
  assert.equal(config([], { LLM_BENCH_API_KEY: "k1" }).apiKey, "k1");
  assert.equal(config([], { OPENAI_API_KEY: "k2" }).apiKey, "k2");
  assert.equal(
    config([], { LLM_BENCH_API_KEY: "k1", OPENAI_API_KEY: "k2" }).apiKey,
    "k1",
  );
  assertUsage(["--api-key", "k"], {}, "--api-key");
});

Deno.test("parseCommand() defaults the openai base URL to /v1", () => {
  assert.deepEqual(config(["--backend", "openai"]).baseUrls, [
    "http://localhost:11434/v1",
  ]);
});

Deno.test("parseCommand() returns help and version", () => {
  assert.deepEqual(parseCommand(["--help"], envOf()), { kind: "help" });
  assert.deepEqual(parseCommand(["-h"], envOf()), { kind: "help" });
  assert.deepEqual(parseCommand(["-V"], envOf()), { kind: "version" });
  assert.deepEqual(parseCommand(["--version"], envOf()), { kind: "version" });
});

Deno.test("parseCommand() checks the subcommands' arguments", async (t) => {
  await t.step("report", () => {
    assert.deepEqual(parseCommand(["report", "a", "b"], envOf()), {
      kind: "report",
      runDirs: ["a", "b"],
    });
    assertUsage(["report"], {}, "RUN_DIR");
  });
  await t.step("compare", () => {
    assert.deepEqual(parseCommand(["compare", "a", "b"], envOf()), {
      kind: "compare",
      runDirs: ["a", "b"],
      outputDir: null,
    });
    assert.deepEqual(
      parseCommand(["compare", "a", "b", "--output-dir", "o"], envOf()),
      { kind: "compare", runDirs: ["a", "b"], outputDir: "o" },
    );
    assertUsage(["compare", "a"], {}, "compare");
    assertUsage(["compare", "a", "b", "c"], {}, "compare");
  });
  await t.step("merge", () => {
    assert.deepEqual(
      parseCommand(["merge", "a", "b", "--output-dir", "out"], envOf()),
      { kind: "merge", runDirs: ["a", "b"], outputDir: "out" },
    );
    assertUsage(["merge", "a"], {}, "--output-dir");
    assertUsage(["merge", "--output-dir", "out"], {}, "RUN_DIR");
    assertUsage(["merge", "a", "--output-dir"], {}, "--output-dir");
  });
  await t.step("unknown flag", () => {
    assertUsage(["report", "a", "--model", "x"], {}, "--model");
  });
  await t.step("help", () => {
    assert.deepEqual(parseCommand(["merge", "--help"], envOf()), {
      kind: "help",
      topic: "merge",
    });
  });
});

Deno.test("parseCommand() marks exactly the options given as explicit", async (t) => {
  await t.step("nothing given", () => {
    assert.deepEqual([...run([]).explicit], []);
  });
  await t.step("flags", () => {
    const e = run(["--limit", "5", "--model", "m", "--verbose", "d"]).explicit;
    assert.deepEqual([...e].sort(), ["csvDir", "limit", "models", "verbose"]);
  });
  await t.step("env", () => {
    const e = run([], {
      LLM_BENCH_CONCURRENCY: "3",
      LLM_BENCH_MODE: "cot",
      LLM_BENCH_CSV_DIR: "x",
    })
      .explicit;
    assert.deepEqual([...e].sort(), ["concurrency", "csvDir", "mode"]);
  });
  await t.step("alias and --no- flags", () => {
    const e = run(["--batch-size", "3", "--no-quiet"]).explicit;
    assert.deepEqual([...e].sort(), ["concurrency", "quiet"]);
  });
  await t.step("an empty env var is not given", () => {
    assert.deepEqual([...run([], { LLM_BENCH_MODE: "" }).explicit], []);
  });
});

Deno.test("helpText() lists every flag and environment variable", () => {
  const text = helpText("9.9.9");
  assert.match(text, /9\.9\.9/);
  for (const o of OPTIONS) {
    assert.ok(text.includes(`--${o.flag}`), `--${o.flag} missing`);
    for (const a of o.aliases ?? []) {
      assert.ok(text.includes(`--${a}`), `--${a} missing`);
    }
    if (o.env) assert.ok(text.includes(o.env), `${o.env} missing`);
  }
  for (const name of EXTRA_ENV) {
    assert.ok(text.includes(name), `${name} missing`);
  }
  for (const sub of ["report", "compare", "merge", "--help", "--version"]) {
    assert.ok(text.includes(sub), `${sub} missing`);
  }
});

Deno.test("every OPTIONS flag and env var is accepted by parseCommand()", async (t) => {
  for (const o of OPTIONS) {
    await t.step(`--${o.flag}`, () => {
      // Unknown flags throw "Unknown option"; a bad value throws something
      // else, which is fine here.
      try {
        parseCommand(
          o.boolean ? [`--${o.flag}`] : [`--${o.flag}`, "1"],
          envOf(),
        );
      } catch (e) {
        assert.ok(!String(e).includes("Unknown option"), String(e));
      }
    });
  }
});

Deno.test("redactConfig() never contains the API key or URL credentials", () => {
  const c = config(["--backend", "openai"], {
    OLLAMA_BASE_URL:
      "https://alice:s3cret@gpu.example:8443/v1,http://bob:pw@h2:11434",
    LLM_BENCH_API_KEY: "sk-very-secret-key",
  });
  // The live config keeps them: requests need them.
  assert.equal(c.apiKey, "sk-very-secret-key");
  assert.ok(c.baseUrls[0]!.includes("alice:s3cret@"));
  const red = redactConfig(c);
  const text = JSON.stringify(red);
  assert.ok(!text.includes("sk-very-secret-key"), text);
  assert.ok(!text.includes("s3cret"), text);
  assert.ok(!text.includes("alice"), text);
  assert.ok(!text.includes("bob:pw"), text);
  assert.equal(red.apiKey, "[redacted]");
  const urls = red.baseUrls as string[];
  assert.equal(urls.length, 2);
  assert.match(urls[0]!, /^https:\/\/gpu\.example:8443\/v1/);
  assert.match(urls[1]!, /^http:\/\/h2:11434/);
  // Everything else passes through.
  assert.equal(red.backend, "openai");
  assert.equal(red.concurrency, 4);
});

Deno.test("redactConfig() records a missing API key as null", () => {
  assert.equal(redactConfig(config([])).apiKey, null);
});

Deno.test("safePathSegment() makes a value safe as one path segment", async (t) => {
  const cases: Array<[string, string | null]> = [
    ["../../etc/x", null],
    ["..", null],
    [".hidden", null],
    ["llama3.2:latest", "llama3.2_latest"],
    ["hf.co/org/model:Q4_K_M", "hf.co_org_model_Q4_K_M"],
    ["run-2024_01", "run-2024_01"],
    ["", "_"],
    ["a\\b", "a_b"],
  ];
  for (const [input, want] of cases) {
    await t.step(JSON.stringify(input), () => {
      const out = safePathSegment(input);
      assert.ok(!out.includes("/") && !out.includes("\\"), out);
      assert.ok(!out.startsWith("."), out);
      assert.ok(out.length > 0 && out.length <= 120);
      if (want !== null) assert.equal(out, want);
    });
  }
  await t.step("long values are cut", () => {
    assert.equal(safePathSegment("x".repeat(500)).length, 120);
  });
});

/** The message of the UsageError parseCommand throws. */
function usageMessage(argv: string[], vars: Record<string, string> = {}) {
  try {
    parseCommand(argv, envOf(vars));
  } catch (e) {
    assert.ok(e instanceof UsageError, `not a UsageError: ${e}`);
    return e.message;
  }
  return assert.fail(`${argv.join(" ")} was accepted`);
}

Deno.test("parseCommand() passes negative numbers to the option's validator", async (t) => {
  const cases: Array<[string[], string]> = [
    [
      ["--max-retries", "-1"],
      "Invalid --max-retries: -1 is out of range (0 to 100)",
    ],
    [
      ["--temperature", "-0.5"],
      "Invalid --temperature: -0.5 is out of range (0 to 2)",
    ],
    [["--seed", "-3"], "Invalid --seed: -3 is out of range (0 to 2147483647)"],
    [["--limit", "-.5"], 'Invalid --limit: "-.5" is not a whole number'],
  ];
  for (const [argv, message] of cases) {
    await t.step(argv.join(" "), () => {
      assert.equal(usageMessage(argv), message);
      assert.equal(usageMessage([argv.join("=")]), message, "same as --x=-1");
    });
  }
  await t.step("--metrics-port -1 still means off", () => {
    assert.equal(config(["--metrics-port", "-1"]).metricsPort, null);
  });
  await t.step("a flag after a value-taking flag is still a flag", () => {
    assertUsage(["--limit", "-h"], {}, "--limit");
  });
});

Deno.test("parseCommand() suggests the nearest flag for a typo", async (t) => {
  const cases: Array<[string[], string]> = [
    [["--concurrancy", "2"], "did you mean --concurrency?"],
    [["--max-retry", "2"], "did you mean --max-retries?"],
    [["--modle", "x"], "did you mean --model?"],
    [["--verbsoe"], "did you mean --verbose?"],
    [["compare", "a", "b", "--output-dri", "o"], "did you mean --output-dir?"],
  ];
  for (const [argv, hint] of cases) {
    await t.step(argv.join(" "), () => {
      const message = usageMessage(argv);
      assert.ok(message.includes(hint), message);
      assert.ok(message.includes(`"${argv.find((a) => a.startsWith("--"))}"`));
    });
  }
  await t.step("a mistyped command", () => {
    const message = usageMessage(["reprot", "results/x"]);
    assert.ok(message.includes('did you mean the command "report"?'), message);
  });
  await t.step("nothing near: points to --help", () => {
    const message = usageMessage(["--frobnicate"]);
    assert.equal(message, 'Unknown option "--frobnicate" (see --help)');
  });
});

Deno.test("parseCommand() takes help and version as words, and per-command help", () => {
  assert.deepEqual(parseCommand(["help"], envOf()), { kind: "help" });
  assert.deepEqual(parseCommand(["version"], envOf()), { kind: "version" });
  for (const sub of ["report", "compare", "merge"] as const) {
    assert.deepEqual(parseCommand(["help", sub], envOf()), {
      kind: "help",
      topic: sub,
    });
    assert.deepEqual(parseCommand([sub, "--help"], envOf()), {
      kind: "help",
      topic: sub,
    });
    assert.deepEqual(parseCommand([sub, "-h"], envOf()), {
      kind: "help",
      topic: sub,
    });
  }
  assertUsage(["help", "nothing"], {}, "nothing");
  assertUsage(["version", "--verbose"], {}, "version");
  assertUsage(["report", "a", "--output-dir", "o"], {}, "--output-dir");
});

Deno.test("parseCommand() checks --preset and --csv-pattern before anything runs", () => {
  assert.equal(config(["--preset", "mmlu-5shot"]).preset, "mmlu-5shot");
  const message = usageMessage(["--preset", "mmlu-6shot"]);
  assert.match(message, /^Invalid --preset: "mmlu-6shot" is not one of /);
  assert.ok(message.includes("simple-evals-cot"), message);
  assertUsage([], { CSV_PATTERN: "*.{csv" }, "CSV_PATTERN");
});

Deno.test("every OPTIONS row: its default is what parseCommand gives, and its values are accepted", async (t) => {
  const defaults = config([]);
  for (const o of OPTIONS) {
    await t.step(`--${o.flag}`, () => {
      if (o.defaultFrom === undefined) {
        assert.deepEqual(defaults[o.key], o.default);
      }
      for (const v of o.values ?? []) {
        assert.deepEqual(
          config([`--${o.flag}`, v])[o.key],
          o.read(v, "test"),
          `${v} is listed in values but not accepted`,
        );
      }
      if (o.values) assertUsage([`--${o.flag}`, "x-not-a-value"], {}, o.flag);
      assert.ok(!(o.defaultText ?? "").includes("(none)"));
    });
  }
});

Deno.test("OPTIONS takes the retry default from the backend's retry policy", () => {
  assert.equal(config([]).maxRetries, DEFAULT_RETRY_POLICY.maxRetries);
});
