// Packaging checks that need no Docker engine or network, as behaviour where
// it can be run here: the Docker build context (.dockerignore applied) holds
// everything main.ts imports and llm-bench runs from it; the image runs the
// binary the build stage compiles, as a non-root user, with a writable
// results folder and reachable metrics; compose, the Kubernetes Jobs and CI
// set only variables llm-bench reads and agree with each other; one Deno
// version everywhere.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import YAML from "yaml";
import { ENV_VARS, RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { listFiles, REPO_ROOT, tempDir } from "./cli_helper.ts";

type Json = Record<string, unknown>;

function readText(path: string): Promise<string> {
  return Deno.readTextFile(join(REPO_ROOT, path));
}

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

async function denoJson(): Promise<Json> {
  return asRecord(JSON.parse(await readText("deno.json")), "deno.json");
}

// ---------------------------------------------------------------------------
// Enough of the Dockerfile and .dockerignore syntax for these checks

interface Instruction {
  keyword: string;
  args: string;
}

function parseDockerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const raw of text.replace(/\\\r?\n/g, " ").split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^(\S+)\s*(.*)$/.exec(line);
    if (line.startsWith("#") || m === null) continue;
    const ins = { keyword: (m[1] ?? "").toUpperCase(), args: m[2] ?? "" };
    if (ins.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(ins);
  }
  return stages;
}

/** Key/value pairs of every ENV or LABEL of a stage (`K=V K2="v 2"` form). */
function keyValues(stage: Instruction[], keyword: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const ins of stage.filter((i) => i.keyword === keyword)) {
    for (const m of ins.args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
      const v = m[2] ?? "";
      out.set(m[1] ?? "", v.startsWith('"') ? JSON.parse(v) as string : v);
    }
  }
  return out;
}

interface Copy {
  from: string | null;
  chown: string | null;
  sources: string[];
  dest: string;
}

function copies(stage: Instruction[]): Copy[] {
  return stage.filter((i) => i.keyword === "COPY").map((i) => {
    const parts = i.args.split(/\s+/);
    const flag = (name: string) =>
      parts.find((p) => p.startsWith(`--${name}=`))?.slice(name.length + 3) ??
        null;
    const paths = parts.filter((p) => !p.startsWith("--"));
    return {
      from: flag("from"),
      chown: flag("chown"),
      sources: paths.slice(0, -1),
      dest: paths.at(-1) ?? "",
    };
  });
}

function last(stage: Instruction[], keyword: string): string | undefined {
  return stage.filter((i) => i.keyword === keyword).at(-1)?.args;
}

/** A .dockerignore pattern as a RegExp over slash paths (`*` stays in one segment). */
function ignoreRegExp(pattern: string): RegExp {
  const body = pattern.replace(/^\/+|\/+$/g, "").split("**").map((part) =>
    part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]")
  ).join(".*");
  return new RegExp(`^${body}$`);
}

/**
 * The repository files a `docker build .` sends: Docker's rules, the last
 * matching pattern wins and a pattern matching a folder matches its files.
 */
async function buildContext(): Promise<string[]> {
  const rules = (await readText(".dockerignore")).split(/\r?\n/)
    .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => ({
      include: l.startsWith("!"),
      re: ignoreRegExp(l.replace(/^!/, "")),
    }));
  const files: string[] = [];
  for await (const e of Deno.readDir(REPO_ROOT)) {
    if (e.name === ".git") continue;
    if (e.isDirectory) {
      files.push(
        ...(await listFiles(join(REPO_ROOT, e.name))).map((f) =>
          `${e.name}/${f}`
        ),
      );
    } else files.push(e.name);
  }
  return files.filter((file) => {
    const prefixes = file.split("/").map((_, i, parts) =>
      parts.slice(0, i + 1).join("/")
    );
    let included = true;
    for (const rule of rules) {
      if (prefixes.some((p) => rule.re.test(p))) included = rule.include;
    }
    return included;
  });
}

/** Where each context file lands in a stage: the image path → the repository path. */
function layOut(
  stage: Instruction[],
  context: string[],
): Map<string, string> {
  const out = new Map<string, string>();
  let workdir = "/";
  for (const ins of stage) {
    if (ins.keyword === "WORKDIR") workdir = ins.args;
    if (ins.keyword !== "COPY" || /--from=/.test(ins.args)) continue;
    const [copy] = copies([ins]);
    const dest = copy!.dest.startsWith("/")
      ? copy!.dest
      : join(workdir, copy!.dest);
    for (const source of copy!.sources) {
      const src = source.replace(/^\.\//, "").replace(/\/+$/, "");
      const hits = context.filter((f) => f === src || f.startsWith(src + "/"));
      ok(hits.length > 0, `COPY ${source}: not in the build context`);
      for (const f of hits) {
        const target = f !== src
          ? join(dest, f.slice(src.length + 1))
          : copy!.dest.endsWith("/")
          ? join(dest, f.split("/").at(-1)!)
          : dest;
        out.set(target, f);
      }
    }
  }
  return out;
}

async function dockerStages(): Promise<[Instruction[], Instruction[]]> {
  const stages = parseDockerfile(await readText("Dockerfile"));
  strictEqual(stages.length, 2, "Dockerfile: a build and a final stage");
  return [stages[0]!, stages[1]!];
}

/** The path the compile task writes its binary to, relative to the folder it runs in. */
async function compileOutput(): Promise<string> {
  const task = String(asRecord((await denoJson()).tasks, "tasks").compile);
  const m = /--output[= ](\S+)/.exec(task);
  ok(m, `the compile task names no --output: ${task}`);
  return m[1]!;
}

// ---------------------------------------------------------------------------
// Docker

Deno.test("Docker build context holds every module main.ts imports, and llm-bench runs from it", async () => {
  const context = await buildContext();
  const [build] = await dockerStages();
  const files = layOut(build, context);
  const workdir = last(build, "WORKDIR") ?? "/";
  await using tmp = await tempDir("llm-bench-docker-");
  for (const [target, source] of files) {
    ok(target.startsWith(workdir + "/"), `${target} is outside ${workdir}`);
    const dest = join(tmp.path, target.slice(workdir.length + 1));
    await Deno.mkdir(join(dest, ".."), { recursive: true });
    await Deno.copyFile(join(REPO_ROOT, source), dest);
  }
  // The build stage's own steps, as far as they run without Docker or the
  // network: the locked install, then the program itself from that folder
  // (deno compile needs a denort download; tests/compile_test.ts does it).
  const runs = build.filter((i) => i.keyword === "RUN").map((i) => i.args);
  ok(runs.some((r) => /^deno install --frozen\b/.test(r)), runs.join("\n"));
  ok(runs.some((r) => /\bdeno task compile\b/.test(r)), runs.join("\n"));
  const deno = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args,
      cwd: tmp.path,
      env: { NO_COLOR: "1" },
      stdin: "null",
    }).output();
  const install = await deno(["install", "--frozen"]);
  strictEqual(install.code, 0, new TextDecoder().decode(install.stderr));
  const info = await deno(["info", "--json", "main.ts"]);
  strictEqual(info.code, 0, new TextDecoder().decode(info.stderr));
  const graph = asRecord(
    JSON.parse(new TextDecoder().decode(info.stdout)),
    "deno info",
  );
  const modules = asArray(graph.modules, "modules").map((m) =>
    asRecord(m, "module")
  );
  ok(modules.length > 1, "deno info found no module graph");
  for (const m of modules) {
    ok(!("error" in m), `${m.specifier}: ${m.error}`);
  }
  const run = await deno([
    "run",
    "--frozen",
    ...RUNTIME_PERMISSIONS,
    "main.ts",
    "--version",
  ]);
  strictEqual(run.code, 0, new TextDecoder().decode(run.stderr));
});

Deno.test("Docker build context leaves out results, binaries, git and secrets", async () => {
  const context = await buildContext();
  for (const f of context) {
    ok(
      !/^(?:results|dist|coverage|\.git)\/|(?:^|\/)\.env/.test(f),
      `${f} would be sent to the Docker daemon`,
    );
  }
});

Deno.test("Docker image runs the compiled binary as a non-root user", async () => {
  const [build, final] = await dockerStages();
  const pin = (await readText(".deno-version")).trim();
  const base = /^denoland\/deno:(?:debian-)?(\d+\.\d+\.\d+)\b/.exec(
    build[0]?.args ?? "",
  );
  strictEqual(base?.[1], pin, "the build stage's Deno differs from the pin");
  const stageName = /\bAS\s+(\S+)$/i.exec(build[0]?.args ?? "")?.[1];
  const binary = join(last(build, "WORKDIR") ?? "/", await compileOutput());
  const entry = JSON.parse(last(final, "ENTRYPOINT") ?? "null") as string[];
  ok(Array.isArray(entry), "ENTRYPOINT is not in exec form");
  const fromBuild = copies(final).filter((c) => c.from === stageName);
  ok(
    fromBuild.some((c) => c.sources.includes(binary) && c.dest === entry[0]),
    `the ENTRYPOINT ${entry[0]} is not the binary ${binary} of the build`,
  );
  const user = last(final, "USER");
  ok(user === "nonroot" || user === "65532", `USER is ${user}`);
  // Anything else taken from the build is a folder the build made empty: no
  // Deno, no sources, no module cache in the image.
  const made = build.filter((i) => i.keyword === "RUN").flatMap((i) =>
    [...i.args.matchAll(/\bmkdir -p ((?:\S+\s*)+?)(?:&&|$)/g)].flatMap((m) =>
      (m[1] ?? "").trim().split(/\s+/)
    )
  );
  for (const c of fromBuild) {
    for (const src of c.sources.filter((s) => s !== binary)) {
      ok(made.includes(src), `the image takes ${src} from the build`);
    }
  }
});

Deno.test("Docker image: CMD reads the copied questions, results are writable, metrics reachable", async () => {
  const [, final] = await dockerStages();
  const context = await buildContext();
  const inImage = layOut(final, context);
  const cmd = JSON.parse(last(final, "CMD") ?? "null") as string[];
  const data = [...inImage].filter(([t]) => t.startsWith(cmd[0] + "/"));
  ok(
    data.some(([, f]) => f.endsWith(".csv")),
    `CMD ${cmd[0]} holds no question file in the image`,
  );
  const env = keyValues(final, "ENV");
  for (const name of env.keys()) {
    ok(
      ENV_VARS.includes(name) || name.startsWith("DENO_"),
      `ENV ${name} is read by neither llm-bench nor Deno`,
    );
  }
  const results = env.get("OUTPUT_DIR");
  ok(
    copies(final).some((c) =>
      c.dest.replace(/\/$/, "") === results &&
      /^(?:65532|nonroot)\b/.test(c.chown ?? "")
    ),
    `OUTPUT_DIR ${results} is not created owned by the non-root user`,
  );
  strictEqual(env.get("METRICS_HOST"), "0.0.0.0", "metrics only on loopback");
  // V8 sizes its heap from the container's memory limit only with this.
  strictEqual(env.get("DENO_USE_CGROUPS"), "1");
  const exposed = final.filter((i) => i.keyword === "EXPOSE")
    .flatMap((i) => i.args.split(/\s+/));
  ok(exposed.includes(env.get("METRICS_PORT") ?? "?"), "METRICS_PORT");
  const version = keyValues(final, "ARG").get("VERSION");
  strictEqual(version, String((await denoJson()).version), "ARG VERSION");
  strictEqual(
    keyValues(final, "LABEL").get("org.opencontainers.image.version"),
    "${VERSION}",
  );
});

// ---------------------------------------------------------------------------
// compose.yaml and Kubernetes

Deno.test("compose.yaml wires llm-bench to the Ollama it starts, after the model is pulled", async () => {
  const compose = asRecord(YAML.parse(await readText("compose.yaml")), "yaml");
  const services = asRecord(compose.services, "services");
  const ollama = asRecord(services.ollama, "ollama");
  const pull = asRecord(services["ollama-pull"], "ollama-pull");
  const bench = asRecord(services["llm-bench"], "llm-bench");
  ok(/^ollama\/ollama:\d+\.\d+\.\d+$/.test(String(ollama.image)), "pin it");
  strictEqual(pull.image, ollama.image);
  ok(asArray(ollama.volumes, "volumes").includes("ollama:/root/.ollama"));
  const ports = (svc: Json) =>
    asArray(svc.ports ?? [], "ports").map((p) => String(p).split(":").at(-1));
  ok(ports(ollama).includes("11434"));
  const env = asRecord(bench.environment, "llm-bench.environment");
  for (const name of Object.keys(env)) {
    ok(ENV_VARS.includes(name), `${name} is not read by llm-bench`);
  }
  strictEqual(env.OLLAMA_BASE_URL, "http://ollama:11434");
  strictEqual(
    asRecord(pull.environment, "pull.environment").OLLAMA_HOST,
    "ollama:11434",
  );
  deepStrictEqual(pull.entrypoint, ["ollama", "pull", env.MODEL_NAME]);
  const deps = asRecord(bench.depends_on, "depends_on");
  strictEqual(asRecord(deps.ollama, "ollama").condition, "service_healthy");
  strictEqual(
    asRecord(deps["ollama-pull"], "ollama-pull").condition,
    "service_completed_successfully",
  );
  strictEqual(bench.build, ".");
  const [, final] = await dockerStages();
  const image = keyValues(final, "ENV");
  ok(
    asArray(bench.volumes, "volumes").some((v) =>
      String(v).endsWith(`:${image.get("OUTPUT_DIR")}`)
    ),
    "no volume at the image's OUTPUT_DIR",
  );
  ok(ports(bench).includes(image.get("METRICS_PORT")));
});

Deno.test("k8s Indexed Job shards by JOB_COMPLETION_INDEX and the merge Job reads every shard", async () => {
  const docs = YAML.parseAllDocuments(
    await readText("docs/k8s/indexed-job.yaml"),
  ).map((d) => asRecord(d.toJS(), "manifest"));
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
  // Every variable is read by llm-bench or used by another as $(NAME).
  const values = env.map((e) => String(e.value ?? "")).join(" ");
  for (const e of env) {
    ok(
      ENV_VARS.includes(String(e.name)) || values.includes(`$(${e.name})`),
      `${e.name} is used by nothing`,
    );
  }
  const value = (name: string) => env.find((e) => e.name === name)?.value;
  strictEqual(Number(value("SHARD_COUNT")), completions);
  strictEqual(value("LLM_BENCH_RUN_ID"), "shard-$(JOB_COMPLETION_INDEX)");

  const merge = asRecord(
    YAML.parse(await readText("docs/k8s/merge-job.yaml")),
    "merge-job.yaml",
  );
  const mergePod = asRecord(
    asRecord(asRecord(merge.spec, "spec").template, "template").spec,
    "pod spec",
  );
  const args = asArray(
    asRecord(asArray(mergePod.containers, "containers")[0], "container").args,
    "args",
  ).map(String);
  strictEqual(args[0], "merge");
  deepStrictEqual(
    args.filter((a) => /\/shard-\d+$/.test(a)),
    Array.from(
      { length: completions },
      (_, i) => `${value("OUTPUT_DIR")}/shard-${i}`,
    ),
  );
  ok(args.includes("--output-dir"));
});

// ---------------------------------------------------------------------------
// CI and the Deno pin

Deno.test("CI checks, tests and compiles on three OSes from this repository alone", async () => {
  const wf = asRecord(
    YAML.parse(await readText(".github/workflows/ci.yml")),
    "ci.yml",
  );
  const jobs = asRecord(wf.jobs, "jobs");
  const test = asRecord(jobs.test, "jobs.test");
  const matrix = asRecord(asRecord(test.strategy, "strategy").matrix, "matrix");
  deepStrictEqual(
    asArray(matrix.os, "matrix.os").map(String).sort(),
    ["macos-latest", "ubuntu-latest", "windows-latest"],
  );
  const steps = asArray(test.steps, "steps").map((s) => asRecord(s, "step"));
  const runs = steps.map((s) => String(s.run ?? "").trim());
  const at = (cmd: string) => runs.indexOf(cmd);
  ok(at("deno task check") >= 0);
  ok(at("deno task test") > at("deno task check"));
  ok(at("deno task compile") > at("deno task test"));
  const upload = steps.find((s) =>
    String(s.uses ?? "").startsWith("actions/upload-artifact@")
  );
  ok(upload !== undefined, "the binary is not kept");
  ok(String(asRecord(upload.with, "with").path).startsWith("dist/llm-bench"));
  for (const job of Object.values(jobs)) {
    for (const step of asArray(asRecord(job, "job").steps, "steps")) {
      const s = asRecord(step, "step");
      const uses = String(s.uses ?? "");
      const using = asRecord(s.with ?? {}, "with");
      if (uses.startsWith("actions/checkout@")) {
        ok(!("repository" in using), `checks out ${using.repository}`);
      }
      if (uses.startsWith("denoland/setup-deno@")) {
        strictEqual(using["deno-version-file"], ".deno-version");
        ok(!("deno-version" in using), "a job pins deno-version by hand");
      }
    }
  }
});

Deno.test(".ci/run installs the pinned Deno when .deno-version is missing", async () => {
  const pin = (await readText(".deno-version")).trim();
  const line = /^DENO_VERSION=.*$/m.exec(await readText(".ci/run"))?.[0] ?? "";
  ok(line.includes(".deno-version"), `.ci/run ignores .deno-version: ${line}`);
  const fallbacks = [...line.matchAll(/(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
  ok(fallbacks.length > 0, "no fallback version in .ci/run");
  for (const v of fallbacks) strictEqual(v, pin);
});
