// Interrupts as a user meets them under `deno task bench` (the README's main
// command), where the terminal's one Ctrl-C reaches the program several
// times: in tmux, with signals sent to the whole process group, and with the
// `deno task` parent killed by kill -9 (the orphan must stop by itself).

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  assertPartialRun,
  cliTaskFlags,
  type Collected,
  collectOutput,
  readResults,
  readSummaryFile,
  REPO_ROOT,
  shellQuote,
  tempDir,
  tmux,
  waitForResults,
  waitUntil,
} from "./cli_helper.ts";
import type { FakeRequest } from "./fake_ollama.ts";

const LINUX = Deno.build.os === "linux";
const HAS_TMUX = LINUX &&
  (await new Deno.Command("sh", {
    args: ["-c", "command -v tmux && command -v setsid"],
    stdout: "null",
    stderr: "null",
  }).output()).success;

/** Whether this machine can start a process as PID 1 of a new namespace. */
const CAN_BE_PID1 = LINUX &&
  (await new Deno.Command("unshare", {
    args: ["--pid", "--fork", "--mount-proc", "true"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ success: false }))).success;

/** The 60 questions of benchmark_data, asked slowly two at a time. */
function slowFake() {
  return startFakeOllama({ parallel: 2, serviceMs: 150 });
}

function benchArgs(url: string, out: string): string[] {
  return [
    "--base-url",
    url,
    "--output-dir",
    out,
    "--run-id",
    "run",
    "--metrics-port",
    "off",
    "--concurrency",
    "2",
  ];
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

/** Questions the fake was asked (each once, no retries in these runs). */
function asked(requests: readonly FakeRequest[]): number {
  return new Set(requests.filter((r) => r.text !== "").map((r) => r.text))
    .size;
}

/** Checks the partial run folder an interrupt left behind. */
function assertPartial(dir: string, asked: number): Promise<void> {
  return assertPartialRun(dir, { planned: 60, asked });
}

Deno.test({
  name:
    "one Ctrl-C under `deno task bench` in a terminal is one graceful stop with a runnable resume hint",
  ignore: !HAS_TMUX,
  async fn() {
    await using tmp = await tempDir();
    const out = join(tmp.path, "out");
    const dir = join(out, "run");
    const rc = join(tmp.path, "rc");
    let hint: string;
    let text = "";
    {
      await using fake = await slowFake();
      const script = join(tmp.path, "run.sh");
      await Deno.writeTextFile(
        script,
        `cd ${shellQuote(REPO_ROOT)}\nNO_COLOR=1 deno task bench ${
          benchArgs(fake.url, out).map(shellQuote).join(" ")
        }\necho "EXIT:$?" > ${shellQuote(rc)}\nsleep 60\n`,
      );
      const socket = `llm-bench-test-${crypto.randomUUID().slice(0, 8)}`;
      await tmux(socket, [
        "new-session",
        "-d",
        "-x",
        "200",
        "-y",
        "50",
        "bash",
        script,
      ]);
      try {
        await waitForResults(dir, 6, 60_000);
        await tmux(socket, ["send-keys", "C-c"]);
        await waitUntil(
          async () => (await readText(rc)) !== null,
          "exit",
          30_000,
        );
        // The screen and its history, lines joined where they wrapped.
        text = await tmux(socket, ["capture-pane", "-p", "-J", "-S", "-"]);
      } finally {
        await tmux(socket, ["kill-server"]).catch(() => "");
      }
      assert.equal((await readText(rc))?.trim(), "EXIT:130", text);
      assert.equal(text.match(/Stopping: no new questions/g)?.length, 1, text);
      assert.doesNotMatch(text, /Exiting now/);
      await assertPartial(dir, asked(fake.requests));
      const m = /resume with: (deno task cli --resume \S+)$/m.exec(text);
      assert.ok(m, text);
      hint = m[1]!;
    }
    // The hint, typed as printed, finishes the run.
    await using fake = await startFakeOllama({});
    const r = await new Deno.Command("sh", {
      args: ["-c", `${hint} --base-url ${fake.url} --quiet`],
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, stderr);
    const summary = await readSummaryFile(dir);
    assert.equal(summary.complete, true);
    assert.equal(summary.counts.total, 60);
  },
});

/**
 * Checks one graceful stop of `child`: exit code 130, one "Stopping" notice,
 * no forced exit, a resume hint, and a consistent partial run folder.
 */
async function assertGracefulStop(
  child: Deno.ChildProcess,
  output: Collected,
  dir: string,
  requests: readonly FakeRequest[],
): Promise<void> {
  const status = await child.status;
  const { stderr } = await output.done;
  assert.equal(status.code, 130, stderr);
  assert.equal(
    stderr.match(/Stopping: no new questions/g)?.length,
    1,
    stderr,
  );
  assert.doesNotMatch(stderr, /Exiting now/);
  assert.match(stderr, /resume with: deno task cli --resume /);
  await assertPartial(dir, asked(requests));
}

/** `deno task bench …` in a new session (its own process group). */
function spawnTaskBench(url: string, out: string): Deno.ChildProcess {
  return new Deno.Command("setsid", {
    args: ["deno", "task", "bench", ...benchArgs(url, out), "--quiet"],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Pids of the descendants of `pid`, parents first, with their arguments. */
async function descendants(
  pid: number,
): Promise<Array<{ pid: number; args: string }>> {
  const ps = await new Deno.Command("ps", {
    args: ["-e", "-o", "pid=,ppid=,args="],
    stdout: "piped",
  }).output();
  const rows = new TextDecoder().decode(ps.stdout).split("\n").map((l) =>
    /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)
  ).filter((m) => m !== null).map((m) => ({
    pid: Number(m[1]),
    ppid: Number(m[2]),
    args: m[3]!,
  }));
  const out: Array<{ pid: number; args: string }> = [];
  const walk = (p: number) => {
    for (const r of rows) {
      if (r.ppid === p) {
        out.push({ pid: r.pid, args: r.args });
        walk(r.pid);
      }
    }
  };
  walk(pid);
  return out;
}

async function alive(pid: number): Promise<boolean> {
  const ps = await new Deno.Command("ps", {
    args: ["-o", "stat=", "-p", String(pid)],
    stdout: "piped",
  }).output();
  const stat = new TextDecoder().decode(ps.stdout).trim();
  // A zombie (state Z) has exited.
  return ps.success && stat !== "" && !stat.startsWith("Z");
}

async function mainPid(taskPid: number): Promise<number> {
  let pid = 0;
  await waitUntil(
    async () => {
      for (const p of await descendants(taskPid)) {
        if (p.args.includes("main.ts")) pid = p.pid;
      }
      return pid !== 0;
    },
    "deno run main.ts",
    30_000,
  );
  return pid;
}

Deno.test({
  name:
    "SIGINT or SIGTERM sent to the process group of `deno task bench` is one graceful stop",
  ignore: !HAS_TMUX,
  async fn(t) {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      await t.step(signal, async () => {
        await using tmp = await tempDir();
        const out = join(tmp.path, "out");
        const dir = join(out, "run");
        await using fake = await slowFake();
        const child = spawnTaskBench(fake.url, out);
        const output = collectOutput(child);
        await mainPid(child.pid);
        await waitForResults(dir, 6, 60_000);
        // setsid made the task the leader of a new group: signal all of it.
        const kill = await new Deno.Command("kill", {
          args: [`-${signal}`, "--", `-${child.pid}`],
        }).output();
        assert.ok(kill.success);
        await assertGracefulStop(child, output, dir, fake.requests);
      });
    }
  },
});

Deno.test({
  name: "kill -9 of the `deno task` parents stops the orphaned run gracefully",
  ignore: !HAS_TMUX,
  async fn() {
    await using tmp = await tempDir();
    const out = join(tmp.path, "out");
    const dir = join(out, "run");
    await using fake = await slowFake();
    const child = spawnTaskBench(fake.url, out);
    const output = collectOutput(child);
    const pid = await mainPid(child.pid);
    await waitForResults(dir, 6, 60_000);
    const parents = (await descendants(child.pid)).map((p) => p.pid).filter(
      (p) => p !== pid,
    );
    for (const p of [child.pid, ...parents]) Deno.kill(p, "SIGKILL");
    await child.status;
    await waitUntil(
      async () => !(await alive(pid)),
      "the orphan to stop",
      30_000,
    );
    const { stderr } = await output.done;
    assert.match(stderr, /the parent process \(deno task\) is gone/);
    await assertPartial(dir, asked(fake.requests));
  },
});

Deno.test({
  name:
    "as PID 1 (docker run, a Kubernetes pod) SIGTERM or SIGINT is one graceful stop",
  ignore: !CAN_BE_PID1,
  async fn(t) {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      await t.step(signal, async () => {
        await using tmp = await tempDir();
        const out = join(tmp.path, "out");
        const dir = join(out, "run");
        await using fake = await slowFake();
        const child = new Deno.Command("unshare", {
          args: [
            "--pid",
            "--fork",
            "--mount-proc",
            Deno.execPath(),
            "run",
            ...await cliTaskFlags(),
            join(REPO_ROOT, "main.ts"),
            join(REPO_ROOT, "benchmark_data"),
            ...benchArgs(fake.url, out),
            "--quiet",
          ],
          cwd: REPO_ROOT,
          env: { NO_COLOR: "1" },
          clearEnv: true,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const output = collectOutput(child);
        const pid = await mainPid(child.pid);
        await waitForResults(dir, 6, 60_000);
        Deno.kill(pid, signal);
        await assertGracefulStop(child, output, dir, fake.requests);
      });
    }
  },
});

Deno.test({
  name: "a run started in the background outlives the shell that started it",
  ignore: !HAS_TMUX,
  async fn() {
    await using tmp = await tempDir();
    const out = join(tmp.path, "out");
    const dir = join(out, "run");
    await using fake = await startFakeOllama({ parallel: 2, serviceMs: 20 });
    const command = [
      Deno.execPath(),
      "run",
      ...await cliTaskFlags(),
      join(REPO_ROOT, "main.ts"),
      join(REPO_ROOT, "benchmark_data"),
      ...benchArgs(fake.url, out),
      "--quiet",
    ].map(shellQuote).join(" ");
    // The shell exits at once; the run is handed to init, as with nohup.
    const shell = await new Deno.Command("sh", {
      args: ["-c", `nohup ${command} > /dev/null 2>&1 &`],
      cwd: REPO_ROOT,
      env: { NO_COLOR: "1" },
      clearEnv: true,
    }).output();
    assert.ok(shell.success);
    await waitUntil(
      async () =>
        (await readText(join(dir, "summary.json")))?.includes(
          '"complete": true',
        ) ?? false,
      "the run to complete",
      60_000,
    );
    // The lock goes last, as the run ends.
    await waitUntil(
      async () => (await readText(join(dir, "run.lock"))) === null,
      "the run to end",
      30_000,
    );
    assert.equal((await readResults(dir)).length, 60);
  },
});
