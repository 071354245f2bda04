// Packaging checks that need no Docker engine or network: the permission
// flags of every way to run llm-bench, the Deno pin, the Dockerfile, the
// .dockerignore allow-list, compose.yaml, the Kubernetes manifests, the CI
// workflow and the release script's logic.

import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import YAML from "yaml";
import { EXTRA_ENV, OPTIONS } from "../src/cli/options.ts";
import {
  ENV_VARS,
  PERMISSION_SET,
  PERMISSION_SET_NAME,
  permissionFlags,
  permissionSetFlags,
  RUNTIME_PERMISSIONS,
  samePermissions,
} from "../scripts/permissions.ts";
import {
  buildRelease,
  type Checksum,
  compileArgs,
  compileFailureMessage,
  formatChecksums,
  parseTargets,
  RELEASE_TARGETS,
  releaseFileName,
} from "../scripts/release.ts";

const ROOT = new URL("../", import.meta.url);

function readText(path: string): Promise<string> {
  return Deno.readTextFile(new URL(path, ROOT));
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(new URL(path, ROOT));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** The named variables of this process's environment that are set. */
function pick(...names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = Deno.env.get(name);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

type Json = Record<string, unknown>;

function asRecord(value: unknown, what: string): Json {
  ok(
    typeof value === "object" && value !== null && !Array.isArray(value),
    `${what} is not a mapping`,
  );
  return value as Json;
}

function asArray(value: unknown, what: string): unknown[] {
  ok(Array.isArray(value), `${what} is not a list`);
  return value;
}

async function denoTasks(): Promise<Record<string, string>> {
  const config = asRecord(JSON.parse(await readText("deno.json")), "deno.json");
  const tasks = asRecord(config.tasks, "deno.json tasks");
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(tasks)) {
    const command = typeof value === "string"
      ? value
      : String(asRecord(value, `task ${name}`).command ?? "");
    out[name] = command;
  }
  return out;
}

function expectedFlagsMessage(where: string, command: string): string {
  return `${where} must use exactly ${RUNTIME_PERMISSIONS.join(" ")}\n` +
    `found: ${permissionFlags(command).join(" ")}`;
}

// ---------------------------------------------------------------------------
// Dockerfile parsing: enough of the syntax for these checks.

interface Instruction {
  keyword: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[] {
  const joined = text.replace(/\\\r?\n/g, " ");
  const out: Instruction[] = [];
  for (const raw of joined.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (m === null) continue;
    out.push({
      keyword: (m[1] ?? "").toUpperCase(),
      args: (m[2] ?? "").trim(),
    });
  }
  return out;
}

function stages(instructions: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.keyword === "FROM") out.push([]);
    out.at(-1)?.push(ins);
  }
  return out;
}

/** Key/value pairs of ENV or LABEL (`K=V K2="v 2"` form). */
function keyValues(args: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const value = m[2] ?? "";
    out.set(
      m[1] ?? "",
      value.startsWith('"') ? JSON.parse(value) as string : value,
    );
  }
  return out;
}

function collect(
  instructions: Instruction[],
  keyword: string,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const ins of instructions) {
    if (ins.keyword !== keyword) continue;
    for (const [k, v] of keyValues(ins.args)) out.set(k, v);
  }
  return out;
}

/** COPY sources taken from the build context (not `--from=` a stage). */
function contextCopySources(instructions: Instruction[]): string[] {
  const out: string[] = [];
  for (const ins of instructions) {
    if (ins.keyword !== "COPY" && ins.keyword !== "ADD") continue;
    const parts = ins.args.split(/\s+/);
    if (parts.some((p) => p.startsWith("--from="))) continue;
    const paths = parts.filter((p) => !p.startsWith("--"));
    out.push(...paths.slice(0, -1));
  }
  return out;
}

async function dockerfile(): Promise<Instruction[]> {
  return parseDockerfile(await readText("Dockerfile"));
}

// ---------------------------------------------------------------------------
// Permissions

Deno.test("ENV_VARS lists every variable of the options table and EXTRA_ENV, once", () => {
  const fromConfig = [
    ...OPTIONS.flatMap((o) => [
      ...(o.env === null ? [] : [o.env]),
      ...(o.fallbackEnv ?? []),
    ]),
    ...EXTRA_ENV,
  ];
  deepStrictEqual([...new Set(fromConfig)].sort(), [...ENV_VARS].sort());
  strictEqual(new Set(ENV_VARS).size, ENV_VARS.length);
  for (const name of ENV_VARS) match(name, /^[A-Z][A-Z0-9_]*$/);
  for (
    const name of [
      "OLLAMA_BASE_URL",
      "MODEL_NAME",
      "OUTPUT_DIR",
      "METRICS_HOST",
      "SHARD_COUNT",
      "JOB_COMPLETION_INDEX",
      "LLM_BENCH_API_KEY",
    ]
  ) {
    ok(ENV_VARS.includes(name), `${name} missing from ENV_VARS`);
  }
});

Deno.test("RUNTIME_PERMISSIONS grants net, read, write and env scoped to ENV_VARS", () => {
  deepStrictEqual(RUNTIME_PERMISSIONS.slice(0, 3), [
    "--allow-net",
    "--allow-read",
    "--allow-write",
  ]);
  strictEqual(RUNTIME_PERMISSIONS[3], `--allow-env=${ENV_VARS.join(",")}`);
  strictEqual(RUNTIME_PERMISSIONS.length, 4);
});

Deno.test("permissionFlags() and samePermissions() compare flag sets", async (t) => {
  await t.step("picks permission tokens only", () => {
    deepStrictEqual(
      permissionFlags(
        "deno compile --frozen -A --allow-env=A,B --deny-net --output x main.ts -P",
      ),
      ["-A", "--allow-env=A,B", "--deny-net", "-P"],
    );
  });
  await t.step("ignores order of flags and of scoped names", () => {
    ok(samePermissions(["--allow-env=B,A", "--allow-net"], [
      "--allow-net",
      "--allow-env=A,B",
    ]));
  });
  await t.step("tells a missing name apart", () => {
    ok(!samePermissions(["--allow-env=A"], ["--allow-env=A,B"]));
    ok(!samePermissions(["--allow-env"], ["--allow-env=A"]));
  });
});

Deno.test("source reads only environment variables listed in ENV_VARS", async () => {
  const files = ["main.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) await walk(`${path}/`);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  await walk("src/");
  const unlisted: string[] = [];
  for (const file of files) {
    if (!await exists(file)) continue;
    const text = await readText(file);
    ok(
      !/Deno\.env\.toObject\s*\(/.test(text),
      `${file} calls Deno.env.toObject(), which the scoped --allow-env refuses`,
    );
    for (
      const m of text.matchAll(
        /\b(?:Deno\.env\.get|\w*[eE]nv)\(\s*"([A-Z][A-Z0-9_]*)"/g,
      )
    ) {
      const name = m[1] ?? "";
      if (!ENV_VARS.includes(name)) unlisted.push(`${file}: ${name}`);
    }
  }
  deepStrictEqual(unlisted, [], "add these to config.ts OPTIONS or EXTRA_ENV");
});

Deno.test("RUNTIME_PERMISSIONS lets a program read ENV_VARS and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(
      script,
      `const names = ${JSON.stringify(ENV_VARS)};
for (const n of names) Deno.env.get(n);
let refused = false;
try { Deno.env.get("LLM_BENCH_PROBE_UNLISTED"); } catch (e) { refused = e instanceof Deno.errors.NotCapable; }
console.log(JSON.stringify({ model: Deno.env.get("MODEL_NAME"), refused, noColor: Deno.noColor }));
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", ...RUNTIME_PERMISSIONS, script],
      // A clean environment: an inherited DENO_COVERAGE_DIR would record the
      // temporary probe, which is gone when `deno coverage` reads the data.
      clearEnv: true,
      env: {
        ...pick("HOME", "DENO_DIR", "PATH", "SYSTEMROOT", "USERPROFILE"),
        MODEL_NAME: "m1",
        LLM_BENCH_PROBE_UNLISTED: "x",
        NO_COLOR: "1",
      },
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    strictEqual(out.code, 0, stderr);
    deepStrictEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
      model: "m1",
      refused: true,
      noColor: true,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main.ts --version runs with RUNTIME_PERMISSIONS", async () => {
  const version = String(
    asRecord(JSON.parse(await readText("deno.json")), "deno.json").version,
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUNTIME_PERMISSIONS, "main.ts", "--version"],
    cwd: new URL(".", ROOT),
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  ok(stdout.includes(version), `--version printed ${JSON.stringify(stdout)}`);
  ok(stdout.includes(Deno.version.deno), `--version lacks the Deno version`);
});

// ---------------------------------------------------------------------------
// deno.json tasks

Deno.test("deno.json's permission set grants exactly RUNTIME_PERMISSIONS", async () => {
  const config = asRecord(JSON.parse(await readText("deno.json")), "deno.json");
  const sets = asRecord(config.permissions, "deno.json permissions");
  deepStrictEqual(
    Object.keys(sets),
    [PERMISSION_SET_NAME],
    "deno.json holds one permission set",
  );
  deepStrictEqual(
    sets[PERMISSION_SET_NAME],
    { ...PERMISSION_SET },
    "paste the output of `deno run scripts/permissions.ts` into deno.json",
  );
  ok(samePermissions(permissionSetFlags(PERMISSION_SET), RUNTIME_PERMISSIONS));
});

Deno.test("deno.json cli, bench, demo and compile tasks load the permission set and nothing else", async (t) => {
  const tasks = await denoTasks();
  for (const name of ["cli", "bench", "demo", "compile"]) {
    await t.step(name, () => {
      const command = tasks[name];
      ok(command !== undefined, `deno.json has no "${name}" task`);
      deepStrictEqual(
        permissionFlags(command),
        ["-P"],
        `task "${name}" must use -P (deno.json's "${PERMISSION_SET_NAME}" set) alone: ${command}`,
      );
      ok(/\bmain\.ts\b/.test(command), `task "${name}" does not run main.ts`);
      ok(
        `Task ${name} ${command}`.length <= 200,
        `task "${name}" prints a line over 200 characters`,
      );
    });
  }
  await t.step("compile writes dist/llm-bench from the lockfile", () => {
    const command = tasks.compile ?? "";
    match(command, /^deno compile\b/);
    match(command, /--output[= ]dist\/llm-bench\b/);
    match(command, /--frozen\b/);
  });
});

Deno.test("deno.json release task runs scripts/release.ts without -A", async () => {
  const command = (await denoTasks()).release;
  ok(command !== undefined, 'deno.json has no "release" task');
  match(command, /^deno run\b.*\bscripts\/release\.ts\b/);
  match(command, /--allow-run=deno\b/);
});

Deno.test("no deno.json task grants -A or --allow-all", async () => {
  for (const [name, command] of Object.entries(await denoTasks())) {
    const flags = permissionFlags(command);
    ok(
      !flags.some((f) => f === "-A" || f.startsWith("--allow-all")),
      `task "${name}" grants all permissions: ${command}`,
    );
  }
});

// ---------------------------------------------------------------------------
// Deno version pin

Deno.test(".deno-version pins the Deno of the Dockerfile, CI workflow and .ci/run", async (t) => {
  const pin = (await readText(".deno-version")).trim();
  match(pin, /^\d+\.\d+\.\d+$/);
  await t.step("Dockerfile build stage", async () => {
    const from = (await dockerfile()).find((i) => i.keyword === "FROM");
    const m = /^denoland\/deno:(?:debian-)?(\d+\.\d+\.\d+)\b/.exec(
      from?.args ?? "",
    );
    ok(m !== null, `first FROM is not denoland/deno:<version>: ${from?.args}`);
    strictEqual(m[1], pin);
  });
  await t.step("GitHub workflow reads .deno-version", async () => {
    const text = await readText(".github/workflows/ci.yml");
    const uses = [...text.matchAll(/deno-version-file:\s*(\S+)/g)].map((m) =>
      m[1]
    );
    ok(uses.length > 0, "setup-deno does not use deno-version-file");
    for (const file of uses) strictEqual(file, ".deno-version");
    ok(!/deno-version:\s/.test(text), "a job pins deno-version by hand");
  });
  await t.step(
    ".ci/run reads .deno-version and its fallback agrees",
    async () => {
      ok(await exists(".ci/run"), ".ci/run is missing");
      const text = await readText(".ci/run");
      const line = /^DENO_VERSION=.*$/m.exec(text)?.[0] ?? "";
      ok(
        line.includes(".deno-version"),
        `.ci/run does not read .deno-version: ${line}`,
      );
      const versions = [...line.matchAll(/(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
      ok(versions.length > 0, "no fallback version in .ci/run");
      for (const v of versions) {
        strictEqual(
          v,
          pin,
          ".ci/run DENO_VERSION differs from .deno-version",
        );
      }
    },
  );
});

// ---------------------------------------------------------------------------
// Dockerfile

Deno.test("Dockerfile builds with Deno and ships the binary on distroless", async (t) => {
  const all = await dockerfile();
  const [build, final, ...extra] = stages(all);
  ok(build !== undefined && final !== undefined, "Dockerfile needs two stages");
  strictEqual(extra.length, 0, "Dockerfile has more than two stages");

  await t.step(
    "build stage installs dependencies before copying source",
    () => {
      match(build[0]?.args ?? "", /\bAS\s+build$/i);
      const index = (pred: (i: Instruction) => boolean) =>
        build.findIndex(pred);
      const copyLock = index((i) =>
        i.keyword === "COPY" && /\bdeno\.json\b/.test(i.args) &&
        /\bdeno\.lock\b/.test(i.args)
      );
      const install = index((i) =>
        i.keyword === "RUN" &&
        /\bdeno (?:install|cache)\b.*--frozen/.test(i.args)
      );
      const copyMain = index((i) =>
        i.keyword === "COPY" && /\bmain\.ts\b/.test(i.args)
      );
      ok(copyLock >= 0, "deno.json and deno.lock are not copied together");
      ok(
        install > copyLock,
        "no `deno install --frozen` after copying the lock",
      );
      ok(
        copyMain > install,
        "main.ts is copied before dependencies are installed",
      );
    },
  );

  await t.step("build stage compiles with RUNTIME_PERMISSIONS", async () => {
    const runs = build.filter((i) => i.keyword === "RUN").map((i) => i.args);
    const direct = runs.find((r) => /\bdeno compile\b/.test(r));
    const viaTask = runs.find((r) => /\bdeno task compile\b/.test(r));
    ok(direct !== undefined || viaTask !== undefined, "no deno compile step");
    if (direct !== undefined) {
      const command = direct.split("&&")[0] ?? "";
      ok(
        samePermissions(permissionFlags(command), RUNTIME_PERMISSIONS),
        expectedFlagsMessage("Dockerfile deno compile", command),
      );
      match(command, /--output[= ]\/app\/dist\/llm-bench\b/);
    } else {
      // The task's flags are checked against RUNTIME_PERMISSIONS above; here
      // only that it writes where the final stage copies from.
      match((await denoTasks()).compile ?? "", /--output[= ]dist\/llm-bench\b/);
      strictEqual(
        build.find((i) => i.keyword === "WORKDIR")?.args,
        "/app",
      );
    }
  });

  await t.step("final stage is distroless cc-debian12 nonroot", () => {
    strictEqual(final[0]?.args, "gcr.io/distroless/cc-debian12:nonroot");
    const user = final.filter((i) => i.keyword === "USER").at(-1)?.args;
    ok(user === "nonroot" || user === "65532", `USER is ${user}`);
  });

  await t.step("final stage copies only the binary from the build", () => {
    const fromBuild = final.filter((i) =>
      i.keyword === "COPY" && /--from=build\b/.test(i.args)
    );
    ok(
      fromBuild.some((i) =>
        /\/app\/dist\/llm-bench\s+\/usr\/local\/bin\/llm-bench$/.test(i.args)
      ),
      "binary not copied to /usr/local/bin/llm-bench",
    );
    for (const i of fromBuild) {
      ok(
        !/\/deno-dir|\s\.\s|\/app\/src|\/usr\/bin\/deno/.test(i.args),
        `final stage copies more than the binary: COPY ${i.args}`,
      );
    }
  });

  await t.step("exec-form ENTRYPOINT and CMD", () => {
    const entry = final.filter((i) => i.keyword === "ENTRYPOINT").at(-1)?.args;
    deepStrictEqual(JSON.parse(entry ?? "null"), ["/usr/local/bin/llm-bench"]);
    const cmd = final.filter((i) => i.keyword === "CMD").at(-1)?.args;
    deepStrictEqual(JSON.parse(cmd ?? "null"), ["/app/benchmark_data"]);
    ok(
      contextCopySources(final).some((s) =>
        s.replace(/\/$/, "") === "benchmark_data"
      ),
      "benchmark_data is not copied into the image",
    );
  });

  await t.step("ENV, EXPOSE and the writable results folder", () => {
    const env = collect(final, "ENV");
    strictEqual(env.get("METRICS_HOST"), "0.0.0.0");
    strictEqual(env.get("DENO_USE_CGROUPS"), "1");
    strictEqual(env.get("OUTPUT_DIR"), "/results");
    const exposed = final.filter((i) => i.keyword === "EXPOSE").flatMap((i) =>
      i.args.split(/\s+/)
    );
    ok(exposed.includes("8000"), "EXPOSE 8000 missing");
    ok(
      final.some((i) =>
        i.keyword === "COPY" && /--chown=(?:65532|nonroot)/.test(i.args) &&
        /\s\/results\/?$/.test(i.args)
      ),
      "/results is not created owned by the nonroot user",
    );
  });

  await t.step("OCI labels, version from deno.json", async () => {
    const labels = collect(final, "LABEL");
    for (
      const key of ["title", "description", "source", "licenses", "version"]
    ) {
      const value = labels.get(`org.opencontainers.image.${key}`);
      ok(value !== undefined && value !== "", `label .${key} missing`);
    }
    const version = String(
      asRecord(JSON.parse(await readText("deno.json")), "deno.json").version,
    );
    const arg = final.find((i) =>
      i.keyword === "ARG" && i.args.startsWith("VERSION=")
    );
    strictEqual(
      arg?.args,
      `VERSION=${version}`,
      "ARG VERSION differs from deno.json",
    );
  });
});

Deno.test(".dockerignore is an allow-list that re-includes every COPY source", async () => {
  const lines = (await readText(".dockerignore")).split(/\r?\n/)
    .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  strictEqual(
    lines[0],
    "*",
    ".dockerignore must start by excluding everything",
  );
  const included = new Set(
    lines.filter((l) => l.startsWith("!")).map((l) =>
      l.slice(1).replace(/\/+$/, "")
    ),
  );
  const sources = contextCopySources(await dockerfile());
  ok(sources.length > 0);
  for (const source of sources) {
    const name = source.replace(/^\.\//, "").replace(/\/+$/, "");
    ok(included.has(name), `COPY ${source} is excluded by .dockerignore`);
  }
  for (const secret of [".env", "results", "dist", ".git"]) {
    ok(!included.has(secret), `.dockerignore re-includes ${secret}`);
  }
});

// ---------------------------------------------------------------------------
// compose.yaml

Deno.test("compose.yaml runs Ollama, pulls the model, then llm-bench", async (t) => {
  const text = await readText("compose.yaml");
  const compose = asRecord(YAML.parse(text), "compose.yaml");
  const services = asRecord(compose.services, "services");
  const ollama = asRecord(services.ollama, "services.ollama");
  const pull = asRecord(services["ollama-pull"], "services.ollama-pull");
  const bench = asRecord(services["llm-bench"], "services.llm-bench");
  const containerPorts = (svc: Json, what: string) =>
    asArray(svc.ports ?? [], what).map((p) => String(p).split(":").at(-1));

  await t.step("ollama: pinned image, model volume, health check, port", () => {
    match(String(ollama.image), /^ollama\/ollama:\d+\.\d+\.\d+$/);
    ok(
      asArray(ollama.volumes, "ollama.volumes").includes(
        "ollama:/root/.ollama",
      ),
      "models are not kept in the ollama volume",
    );
    ok("ollama" in asRecord(compose.volumes, "volumes"));
    const test = asArray(
      asRecord(ollama.healthcheck, "ollama.healthcheck").test,
      "healthcheck.test",
    );
    deepStrictEqual(test.slice(1), ["ollama", "list"]);
    ok(containerPorts(ollama, "ollama.ports").includes("11434"));
  });

  await t.step(
    "ollama-pull: same image, pulls MODEL_NAME after ollama is healthy",
    () => {
      strictEqual(pull.image, ollama.image);
      deepStrictEqual(pull.entrypoint, [
        "ollama",
        "pull",
        "${MODEL_NAME:-llama3.2}",
      ]);
      strictEqual(
        asRecord(pull.environment, "environment").OLLAMA_HOST,
        "ollama:11434",
      );
      strictEqual(
        asRecord(asRecord(pull.depends_on, "depends_on").ollama, "ollama")
          .condition,
        "service_healthy",
      );
    },
  );

  await t.step(
    "llm-bench: waits for both, talks to ollama, keeps results, port 8000",
    () => {
      strictEqual(bench.build, ".");
      const deps = asRecord(bench.depends_on, "llm-bench.depends_on");
      strictEqual(asRecord(deps.ollama, "ollama").condition, "service_healthy");
      strictEqual(
        asRecord(deps["ollama-pull"], "ollama-pull").condition,
        "service_completed_successfully",
      );
      const env = asRecord(bench.environment, "llm-bench.environment");
      strictEqual(env.OLLAMA_BASE_URL, "http://ollama:11434");
      strictEqual(env.MODEL_NAME, "${MODEL_NAME:-llama3.2}");
      ok(
        asArray(bench.volumes, "llm-bench.volumes").some((v) =>
          String(v).endsWith(":/results")
        ),
        "no results volume at /results",
      );
      ok(containerPorts(bench, "llm-bench.ports").includes("8000"));
    },
  );

  await t.step("GPU passthrough block is there to uncomment", () => {
    const gpu = text.split("\n").filter((l) => /^\s*#/.test(l))
      .map((l) => l.replace(/^(\s*)#\s?/, "$1")).join("\n");
    match(gpu, /driver: nvidia/);
    match(gpu, /count: all/);
    match(gpu, /capabilities: \[gpu\]/);
  });
});

// ---------------------------------------------------------------------------
// Kubernetes manifests

Deno.test("k8s Indexed Job shards by JOB_COMPLETION_INDEX and the merge Job reads every shard", async () => {
  const docs = YAML.parseAllDocuments(
    await readText("docs/k8s/indexed-job.yaml"),
  )
    .map((d) => asRecord(d.toJS(), "manifest"));
  const job = docs.find((d) => d.kind === "Job");
  ok(job !== undefined, "no Job in indexed-job.yaml");
  const spec = asRecord(job.spec, "spec");
  strictEqual(spec.completionMode, "Indexed");
  const completions = Number(spec.completions);
  const pod = asRecord(asRecord(spec.template, "template").spec, "pod spec");
  strictEqual(pod.enableServiceLinks, false);
  strictEqual(asRecord(pod.securityContext, "securityContext").fsGroup, 65532);
  const container = asRecord(
    asArray(pod.containers, "containers")[0],
    "container",
  );
  const env = asArray(container.env, "env").map((e) => asRecord(e, "env var"));
  strictEqual(
    env[0]?.name,
    "JOB_COMPLETION_INDEX",
    "declare the index first so $(...) can use it",
  );
  const value = (name: string) => env.find((e) => e.name === name)?.value;
  strictEqual(
    Number(value("SHARD_COUNT")),
    completions,
    "SHARD_COUNT must equal completions",
  );
  for (
    const name of [
      "SHARD_COUNT",
      "OUTPUT_DIR",
      "LLM_BENCH_RUN_ID",
      "MODEL_NAME",
    ]
  ) {
    ok(ENV_VARS.includes(name), `${name} is not read by llm-bench`);
  }
  strictEqual(value("LLM_BENCH_RUN_ID"), "shard-$(JOB_COMPLETION_INDEX)");

  const merge = asRecord(
    YAML.parse(await readText("docs/k8s/merge-job.yaml")),
    "merge-job.yaml",
  );
  const mergePod = asRecord(
    asRecord(asRecord(merge.spec, "spec").template, "template").spec,
    "pod spec",
  );
  const mergeContainer = asRecord(
    asArray(mergePod.containers, "containers")[0],
    "container",
  );
  const args = asArray(mergeContainer.args, "args").map(String);
  strictEqual(args[0], "merge");
  const shardDirs = args.filter((a) => /\/shard-\d+$/.test(a));
  deepStrictEqual(
    shardDirs,
    Array.from(
      { length: completions },
      (_, i) => `${value("OUTPUT_DIR")}/shard-${i}`,
    ),
  );
  ok(args.includes("--output-dir"));
});

// ---------------------------------------------------------------------------
// GitHub workflow

Deno.test("CI workflow checks, tests and compiles on three OSes and keeps the binary", async () => {
  const wf = asRecord(
    YAML.parse(await readText(".github/workflows/ci.yml")),
    "ci.yml",
  );
  const on = asRecord(wf.on, "on");
  ok("push" in on && "pull_request" in on);
  const test = asRecord(asRecord(wf.jobs, "jobs").test, "jobs.test");
  const matrix = asRecord(asRecord(test.strategy, "strategy").matrix, "matrix");
  deepStrictEqual(
    asArray(matrix.os, "matrix.os").map(String).sort(),
    ["macos-latest", "ubuntu-latest", "windows-latest"],
  );
  const steps = asArray(test.steps, "steps").map((s) => asRecord(s, "step"));
  const runs = steps.map((s) => String(s.run ?? ""));
  const index = (cmd: string) => runs.findIndex((r) => r.trim() === cmd);
  ok(index("deno task check") >= 0);
  ok(index("deno task test") > index("deno task check"));
  ok(index("deno task compile") > index("deno task test"));
  ok(
    steps.some((s) => String(s.uses ?? "").startsWith("denoland/setup-deno@")),
  );
  const upload = steps.find((s) =>
    String(s.uses ?? "").startsWith("actions/upload-artifact@")
  );
  ok(upload !== undefined, "binary is not uploaded");
  match(String(asRecord(upload.with, "with").path), /^dist\/llm-bench/);
});

// ---------------------------------------------------------------------------
// Release script

Deno.test("releaseFileName() and compileArgs() name each target's binary", () => {
  deepStrictEqual(RELEASE_TARGETS.map(releaseFileName), [
    "llm-bench-x86_64-unknown-linux-gnu",
    "llm-bench-aarch64-unknown-linux-gnu",
    "llm-bench-x86_64-apple-darwin",
    "llm-bench-aarch64-apple-darwin",
    "llm-bench-x86_64-pc-windows-msvc.exe",
  ]);
  const args = compileArgs("aarch64-unknown-linux-gnu", "dist/x");
  strictEqual(args[0], "compile");
  ok(samePermissions(permissionFlags(args.join(" ")), RUNTIME_PERMISSIONS));
  deepStrictEqual(args.slice(-5), [
    "--target",
    "aarch64-unknown-linux-gnu",
    "--output",
    "dist/x",
    "main.ts",
  ]);
});

Deno.test("parseTargets() defaults to every target and rejects unknown ones", () => {
  deepStrictEqual(parseTargets([]), [...RELEASE_TARGETS]);
  deepStrictEqual(parseTargets(["x86_64-apple-darwin"]), [
    "x86_64-apple-darwin",
  ]);
  try {
    parseTargets(["x86_64-linux"]);
    ok(false, "no error");
  } catch (error) {
    ok(error instanceof TypeError);
    match(error.message, /Cannot build for "x86_64-linux": unknown target/);
  }
});

Deno.test("formatChecksums() writes sha256sum -c lines sorted by name", () => {
  strictEqual(
    formatChecksums([
      { name: "llm-bench-x86_64-pc-windows-msvc.exe", sha256: "bb" },
      { name: "llm-bench-aarch64-apple-darwin", sha256: "aa" },
    ]),
    "aa  llm-bench-aarch64-apple-darwin\nbb  llm-bench-x86_64-pc-windows-msvc.exe\n",
  );
});

Deno.test("compileFailureMessage() explains a failed denort download", async (t) => {
  const downloadStderr = [
    "Compile main.ts to dist/llm-bench-aarch64-apple-darwin",
    "Download https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip",
    "error: Writing deno compile executable to temporary file 'dist/x.tmp'",
    "",
    "Caused by:",
    "    0: Setting up base binary.",
    "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-aarch64-apple-darwin.zip): client error (Connect): dns error",
    "    2: client error (Connect)",
    "",
    "Stack backtrace:",
    "   0: <unknown>",
  ].join("\n");
  await t.step("download failure names the target and the network", () => {
    const message = compileFailureMessage(
      "aarch64-apple-darwin",
      1,
      downloadStderr,
    );
    match(
      message,
      /^Cannot build "llm-bench-aarch64-apple-darwin": downloading the Deno runtime \(denort\)/,
    );
    match(message, /network access/);
    match(
      message,
      /deno said: error sending request for url \(https:\/\/dl\.deno\.land/,
    );
  });
  await t.step("other failures keep deno's error, without colour codes", () => {
    const message = compileFailureMessage(
      "x86_64-apple-darwin",
      1,
      "Download https://dl.deno.land/release/v2.9.6/denort-x86_64-apple-darwin.zip\n" +
        "error: Type checking failed.\n\n  \x1b[36mhint:\x1b[39m Re-run with --no-check\n",
    );
    strictEqual(
      message,
      'Cannot build "llm-bench-x86_64-apple-darwin": deno compile exited with code 1: ' +
        "error: Type checking failed. (hint: Re-run with --no-check)",
    );
  });
});

Deno.test("buildRelease() compiles every target, then writes SHA256SUMS", async (t) => {
  const fakeDeps = (failOn: string | null) => {
    const calls: string[][] = [];
    const files = new Map<string, string>();
    const removed: string[] = [];
    return {
      calls,
      files,
      removed,
      deps: {
        runDeno: (args: string[]) => {
          calls.push(args);
          const target = args[args.indexOf("--target") + 1] ?? "";
          return Promise.resolve(
            target === failOn
              ? {
                code: 1,
                stderr:
                  "0: Setting up base binary.\n1: error sending request for url (https://dl.deno.land/x.zip)",
              }
              : { code: 0, stderr: "" },
          );
        },
        sha256: (path: string) => Promise.resolve(`sha-of-${path}`),
        writeTextFile: (path: string, text: string) => {
          files.set(path, text);
          return Promise.resolve();
        },
        removeIfExists: (path: string) => {
          removed.push(path);
          return Promise.resolve();
        },
        log: () => {},
      },
    };
  };

  await t.step("all targets succeed", async () => {
    const fake = fakeDeps(null);
    const sums: Checksum[] = await buildRelease({ distDir: "out" }, fake.deps);
    strictEqual(fake.calls.length, RELEASE_TARGETS.length);
    deepStrictEqual(
      sums.map((s) => s.name),
      RELEASE_TARGETS.map(releaseFileName),
    );
    const text = fake.files.get("out/SHA256SUMS") ?? "";
    strictEqual(text.split("\n").filter((l) => l !== "").length, 5);
    match(
      text,
      /^sha-of-out\/llm-bench-aarch64-apple-darwin {2}llm-bench-aarch64-apple-darwin$/m,
    );
  });

  await t.step(
    "a failed download stops the build and writes no SHA256SUMS",
    async () => {
      const fake = fakeDeps("x86_64-apple-darwin");
      await rejects(
        buildRelease({ distDir: "out" }, fake.deps),
        /Cannot build "llm-bench-x86_64-apple-darwin": downloading the Deno runtime/,
      );
      deepStrictEqual(fake.removed, ["out/SHA256SUMS"]);
      strictEqual(fake.files.size, 0);
      strictEqual(
        fake.calls.length,
        3,
        "later targets still compiled after a failure",
      );
    },
  );
});
