// What the permission set of deno.json actually grants: under the tasks'
// `deno run` flags a probe can do exactly what it can under
// RUNTIME_PERMISSIONS, and `deno compile` with the compile task's flags
// embeds the same permissions as a compile with RUNTIME_PERMISSIONS.

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { ENV_VARS, RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { REPO_ROOT } from "./cli_helper.ts";

const decoder = new TextDecoder();

async function tasks(): Promise<Record<string, string>> {
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

async function deno(
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
    const flags = taskFlags((await tasks()).cli ?? "", "run", "main.ts");
    // The task finds deno.json beside main.ts; the probe lives elsewhere,
    // so it is pointed at the same file.
    const viaSet = await deno([
      "run",
      "--config",
      join(REPO_ROOT, "deno.json"),
      ...flags,
      probe,
    ]);
    const viaFlags = await deno([
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
    const out = await deno([
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
      (await tasks()).compile ?? "",
      "compile",
      "--output",
    );
    // The deno binary stands in for denort (offline): the permissions are in
    // the metadata that compile appends, whatever the runtime.
    const env = { DENORT_BIN: Deno.execPath() };
    const a = join(dir, "via-set");
    const b = join(dir, "via-flags");
    const viaSet = await deno(
      ["compile", ...flags, "--output", a, "main.ts"],
      env,
    );
    strictEqual(viaSet.code, 0, viaSet.stderr);
    const viaFlags = await deno(
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
