// The Deno permissions of every way to run llm-bench come from one list
// (scripts/permissions.ts): the options table's variables, the deno.json
// tasks, and what a program granted them may and may not read.

import { deepStrictEqual, match, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { EXTRA_ENV, OPTIONS } from "../src/cli/options.ts";
import {
  ENV_VARS,
  permissionFlags,
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

function expectedFlagsMessage(where: string, command: string): string {
  return `${where} must use exactly ${RUNTIME_PERMISSIONS.join(" ")}\n` +
    `found: ${permissionFlags(command).join(" ")}`;
}

Deno.test("ENV_VARS lists every variable of the options table and EXTRA_ENV, once", () => {
  const fromConfig = [
    ...OPTIONS.flatMap((o) => o.env === null ? [] : [o.env]),
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

Deno.test("deno.json cli and compile tasks use exactly RUNTIME_PERMISSIONS", async (t) => {
  const tasks = await denoTasks();
  for (const name of ["cli", "compile"]) {
    await t.step(name, () => {
      const command = tasks[name];
      ok(command !== undefined, `deno.json has no "${name}" task`);
      ok(
        samePermissions(permissionFlags(command), RUNTIME_PERMISSIONS),
        expectedFlagsMessage(`task "${name}"`, command),
      );
      ok(/\bmain\.ts\b/.test(command), `task "${name}" does not run main.ts`);
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
