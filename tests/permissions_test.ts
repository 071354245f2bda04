// The Deno permissions of every way to run llm-bench come from one list
// (scripts/permissions.ts): the options table's variables, the deno.json
// tasks, and what a program granted them may and may not read. The tasks load
// deno.json's permission set with -P: under their \`deno run\` flags a probe
// can do exactly what it can under RUNTIME_PERMISSIONS, and \`deno compile\`
// with the compile task's flags embeds the same permissions.

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
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
import { listFiles, REPO_ROOT } from "./cli_helper.ts";

const ROOT = REPO_ROOT;

type Json = Record<string, unknown>;

async function denoJson(): Promise<Json> {
  const config: unknown = JSON.parse(
    await Deno.readTextFile(join(ROOT, "deno.json")),
  );
  ok(typeof config === "object" && config !== null, "deno.json is no object");
  return config as Json;
}

async function denoTasks(): Promise<Record<string, string>> {
  const tasks = (await denoJson()).tasks;
  ok(typeof tasks === "object" && tasks !== null, "deno.json has no tasks");
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(tasks)) {
    out[name] = typeof value === "string"
      ? value
      : String((value as { command?: unknown }).command ?? "");
  }
  return out;
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
  const files = [
    "main.ts",
    ...(await listFiles(join(ROOT, "src"))).filter((f) => f.endsWith(".ts"))
      .map((f) => `src/${f}`),
  ];
  const unlisted: string[] = [];
  for (const file of files) {
    const text = await Deno.readTextFile(join(ROOT, file));
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
  const version = String((await denoJson()).version);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...RUNTIME_PERMISSIONS, "main.ts", "--version"],
    cwd: ROOT,
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
  const sets = (await denoJson()).permissions;
  ok(typeof sets === "object" && sets !== null, "deno.json has no permissions");
  deepStrictEqual(
    Object.keys(sets),
    [PERMISSION_SET_NAME],
    "deno.json holds one permission set",
  );
  deepStrictEqual(
    (sets as Json)[PERMISSION_SET_NAME],
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

Deno.test("deno task cli runs llm-bench with the task's permissions", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "cli", "--version"],
    cwd: ROOT,
    clearEnv: true,
    env: { ...pick("HOME", "DENO_DIR", "PATH"), NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  ok(stdout.includes(String((await denoJson()).version)), stdout);
});

// ---------------------------------------------------------------------------
// The permission set of deno.json

const decoder = new TextDecoder();

async function taskTable(): Promise<Record<string, string>> {
  const json: unknown = JSON.parse(
    await Deno.readTextFile(join(REPO_ROOT, "deno.json")),
  );
  ok(typeof json === "object" && json !== null && "tasks" in json);
  const t = json.tasks;
  ok(typeof t === "object" && t !== null, "deno.json has no tasks");
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(t)) {
    if (typeof value === "string") out[name] = value;
  }
  return out;
}

/** The tokens of a task between `deno <sub>` and the first of `stop`. */
function taskFlags(command: string, sub: string, stop: string): string[] {
  const parts = command.split(/\s+/);
  strictEqual(parts[0], "deno");
  strictEqual(parts[1], sub);
  const end = parts.indexOf(stop);
  ok(end > 1, `no ${stop} in ${command}`);
  return parts.slice(2, end);
}

async function runDeno(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...(Deno.env.get("DENO_DIR")
        ? { DENO_DIR: Deno.env.get("DENO_DIR")! }
        : {}),
      NO_COLOR: "1",
      ...env,
    },
    stdin: "null",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

const PROBE = `
const q = (d) => Deno.permissions.querySync(d).state;
const env = {};
for (const n of ${
  JSON.stringify([...ENV_VARS, "HOME", "LLM_BENCHX"])
}) env[n] = q({ name: "env", variable: n });
console.log(JSON.stringify({
  env,
  net: q({ name: "net" }),
  read: q({ name: "read" }),
  write: q({ name: "write" }),
  run: q({ name: "run" }),
  sys: q({ name: "sys" }),
  ffi: q({ name: "ffi" }),
}));
`;

Deno.test("the cli task's permission set grants what RUNTIME_PERMISSIONS grants", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-perm-" });
  try {
    const probe = join(dir, "probe.js");
    await Deno.writeTextFile(probe, PROBE);
    const flags = taskFlags((await taskTable()).cli ?? "", "run", "main.ts");
    // The task finds deno.json beside main.ts; the probe lives elsewhere,
    // so it is pointed at the same file.
    const viaSet = await runDeno([
      "run",
      "--config",
      join(REPO_ROOT, "deno.json"),
      ...flags,
      probe,
    ]);
    const viaFlags = await runDeno([
      "run",
      "--no-config",
      ...RUNTIME_PERMISSIONS,
      probe,
    ]);
    strictEqual(viaSet.code, 0, viaSet.stderr);
    strictEqual(viaFlags.code, 0, viaFlags.stderr);
    const got = JSON.parse(viaSet.stdout);
    deepStrictEqual(got, JSON.parse(viaFlags.stdout));
    strictEqual(got.env.MODEL_NAME, "granted");
    strictEqual(got.env.LLM_BENCHX, "prompt", "an unlisted variable");
    strictEqual(got.net, "granted");
    strictEqual(got.run, "prompt");
    strictEqual(viaSet.stderr, "", "the task flags print nothing of their own");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task bench prints no line over 200 characters", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-task-" });
  try {
    const out = await runDeno([
      "task",
      "bench",
      "--backend",
      "mock",
      "--mock-latency-ms",
      "1",
      "--limit",
      "1",
      "--metrics-port",
      "off",
      "--output-dir",
      dir,
    ]);
    strictEqual(out.code, 0, out.stderr);
    for (const line of `${out.stdout}\n${out.stderr}`.split("\n")) {
      ok(line.length <= 200, `${line.length} characters: ${line}`);
    }
    ok(out.stderr.includes("Task bench deno run"), out.stderr);
    ok(out.stdout.includes("ccuracy"), "the run printed no result table");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The permissions `deno compile` embedded in a binary (its metadata JSON). */
async function embeddedPermissions(binary: string): Promise<unknown> {
  using file = await Deno.open(binary);
  const size = (await file.stat()).size;
  const tail = Math.min(size, 32 * 1024 * 1024);
  await file.seek(size - tail, Deno.SeekMode.Start);
  const buf = new Uint8Array(tail);
  let read = 0;
  while (read < tail) {
    const n = await file.read(buf.subarray(read));
    if (n === null) break;
    read += n;
  }
  const text = new TextDecoder("latin1").decode(buf.subarray(0, read));
  const at = text.lastIndexOf('"permissions":{');
  ok(at >= 0, `no embedded permissions in ${binary}`);
  const start = at + '"permissions":'.length;
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{") depth++;
    else if (c === "}" && --depth === 0) {
      return JSON.parse(text.slice(start, i + 1));
    }
  }
  throw new Error(`unterminated permissions in ${binary}`);
}

Deno.test("the compile task embeds the permissions of RUNTIME_PERMISSIONS", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llm-bench-compile-perm-" });
  try {
    const flags = taskFlags(
      (await taskTable()).compile ?? "",
      "compile",
      "--output",
    );
    // The deno binary stands in for denort (offline): the permissions are in
    // the metadata that compile appends, whatever the runtime.
    const env = { DENORT_BIN: Deno.execPath() };
    const a = join(dir, "via-set");
    const b = join(dir, "via-flags");
    const viaSet = await runDeno(
      ["compile", ...flags, "--output", a, "main.ts"],
      env,
    );
    strictEqual(viaSet.code, 0, viaSet.stderr);
    const viaFlags = await runDeno(
      ["compile", "--frozen", ...RUNTIME_PERMISSIONS, "--output", b, "main.ts"],
      env,
    );
    strictEqual(viaFlags.code, 0, viaFlags.stderr);
    const got = await embeddedPermissions(a);
    deepStrictEqual(got, await embeddedPermissions(b));
    ok(typeof got === "object" && got !== null);
    const g = new Map(Object.entries(got));
    deepStrictEqual(g.get("allow_net"), []);
    deepStrictEqual(g.get("allow_read"), []);
    deepStrictEqual(g.get("allow_write"), []);
    const envs = g.get("allow_env");
    ok(Array.isArray(envs), "allow_env is not a list");
    deepStrictEqual([...envs].sort(), [...ENV_VARS].sort());
    strictEqual(g.get("allow_run"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
