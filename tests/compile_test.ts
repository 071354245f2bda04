// deno-lint-ignore-file no-console -- says plainly why the test is skipped.
// Compiles llm-bench with the release permissions and runs the binary. Needs
// a denort binary in DENORT_BIN (deno compile embeds that runtime instead of
// downloading it from dl.deno.land), so it runs offline; skipped without it.

import { ok, strictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";

const ROOT = new URL("../", import.meta.url);
const DATASET = new URL(
  "./fixtures/mmlu/test/abstract_algebra_test.csv",
  import.meta.url,
);
const DENORT_BIN = Deno.env.get("DENORT_BIN") ?? "";

if (DENORT_BIN === "") {
  console.log(
    "compile test skipped: set DENORT_BIN to a denort binary to run it",
  );
}

const decoder = new TextDecoder();

async function run(
  command: string,
  args: string[],
  cwd: URL | string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(command, {
    args,
    cwd,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

Deno.test({
  name: "deno compile builds a binary that runs with RUNTIME_PERMISSIONS",
  ignore: DENORT_BIN === "",
  async fn(t) {
    const dir = await Deno.makeTempDir({ prefix: "llm-bench-compile-" });
    try {
      const exe = `${dir}/llm-bench${
        Deno.build.os === "windows" ? ".exe" : ""
      }`;
      const compiled = await run(Deno.execPath(), [
        "compile",
        "--frozen",
        ...RUNTIME_PERMISSIONS,
        "--output",
        exe,
        "main.ts",
      ], ROOT);
      strictEqual(compiled.code, 0, compiled.stderr);

      await t.step(
        "--version prints llm-bench's and Deno's versions",
        async () => {
          const config = JSON.parse(
            await Deno.readTextFile(new URL("deno.json", ROOT)),
          ) as { version: string };
          const out = await run(exe, ["--version"], dir);
          strictEqual(out.code, 0, out.stderr);
          ok(out.stdout.includes(`llm-bench ${config.version}`), out.stdout);
          ok(/deno \d+\.\d+\.\d+/.test(out.stdout), out.stdout);
        },
      );

      await t.step("--help lists the options with their env vars", async () => {
        const out = await run(exe, ["--help"], dir);
        strictEqual(out.code, 0, out.stderr);
        ok(out.stdout.includes("--model"), out.stdout);
        ok(out.stdout.includes("[OLLAMA_BASE_URL]"), out.stdout);
      });

      await t.step("a mock run answers every selected question", async () => {
        const out = await run(exe, [
          fileURLToPath(DATASET),
          "--backend",
          "mock",
          "--limit",
          "3",
          "--metrics-port",
          "off",
          "--output-dir",
          `${dir}/results`,
          "--run-id",
          "compiled",
          "--quiet",
        ], dir);
        strictEqual(out.code, 0, out.stderr);
        const lines = (await Deno.readTextFile(
          `${dir}/results/compiled/results.jsonl`,
        )).split("\n").filter((l) => l !== "");
        strictEqual(lines.length, 3);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
