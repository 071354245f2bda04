// The progress line as a user sees it: plain `progress:` lines when stderr
// is piped, none with --quiet, and on a real terminal (tmux) one line redrawn
// in place. stdout only ever holds the final table.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeOllama } from "./fake_ollama.ts";
import {
  cliTaskFlags,
  jsonReplies,
  pathExists,
  REPO_ROOT,
  runCli,
  shellQuote,
  tempDir,
  tmux,
  writeDataset,
} from "./cli_helper.ts";

/** A progress line: done/total, percent, rate, ETA and accuracy. */
const PROGRESS_REGEXP =
  /(\d+)\/(\d+) (\d+\.\d)% \| acc (?:\d+\.\d% \[[\d.]+-[\d.]+\]|-) \| ETA (\S+) \| (\d+\.\d) q\/s/;

Deno.test("llm-bench prints plain progress lines on a pipe, none with --quiet, and keeps stdout for the table", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "virology"],
    15,
  );
  // About 1.5 s per run: long enough for the once-a-second progress timer.
  const opts = { reply: jsonReplies(questions), serviceMs: 50 };
  await using slow1 = await startFakeOllama(opts);
  await using slow2 = await startFakeOllama(opts);
  const args = (url: string, out: string) => [
    join(tmp, "data"),
    "--base-url",
    url,
    "--output-dir",
    join(tmp, out),
    "--metrics-port",
    "off",
    "--concurrency",
    "1",
  ];
  const [plain, quiet] = await Promise.all([
    runCli(args(slow1.url, "plain")),
    runCli([...args(slow2.url, "quiet"), "--quiet"]),
  ]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(quiet.code, 0, quiet.stderr);

  const lines = plain.stderr.split("\n").filter((l) =>
    l.startsWith("progress: ")
  );
  assert.ok(lines.length >= 1, `no progress line in:\n${plain.stderr}`);
  for (const l of lines) {
    const m = PROGRESS_REGEXP.exec(l);
    assert.ok(m, l);
    assert.equal(m[2], "30");
  }
  assert.ok(!plain.stderr.includes("\r"), "no carriage return on a pipe");
  assert.ok(!plain.stderr.includes("\x1b["), "no terminal escapes on a pipe");

  assert.doesNotMatch(quiet.stderr, /progress|q\/s/);
  for (const r of [plain, quiet]) {
    assert.doesNotMatch(r.stdout, /progress:|q\/s/);
    assert.ok(!r.stdout.includes("\r") && !r.stdout.includes("\x1b["));
    assert.match(r.stdout, /Overall/);
    assert.match(r.stdout, /Results: /);
  }
});

async function which(name: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("sh", {
      args: ["-c", `command -v ${name}`],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

const HAS_TMUX = await which("tmux");
if (!HAS_TMUX) {
  // deno-lint-ignore no-console -- says why a test is skipped
  console.log(
    "tty_test: tmux is not on PATH, skipping the terminal progress test (apt-get install -y tmux)",
  );
}

Deno.test({
  name: "llm-bench redraws one progress line in place on a terminal",
  ignore: !HAS_TMUX,
  async fn() {
    await using tmpDir = await tempDir();
    const tmp = tmpDir.path;
    const questions = await writeDataset(
      join(tmp, "data"),
      ["anatomy", "virology"],
      20,
    );
    await using fake = await startFakeOllama({
      reply: jsonReplies(questions),
      serviceMs: 60,
    });
    const rc = join(tmp, "rc");
    const command = [
      Deno.execPath(),
      "run",
      ...await cliTaskFlags(),
      join(REPO_ROOT, "main.ts"),
      join(tmp, "data"),
      "--base-url",
      fake.url,
      "--output-dir",
      join(tmp, "out"),
      "--metrics-port",
      "off",
      "--concurrency",
      "1",
    ].map(shellQuote).join(" ");
    const script = join(tmp, "run.sh");
    await Deno.writeTextFile(
      script,
      `cd ${shellQuote(REPO_ROOT)}\nNO_COLOR=1 ${command}\necho "EXIT:$?" > ${
        shellQuote(rc)
      }\nsleep 60\n`,
    );
    const socket = `llm-bench-test-${crypto.randomUUID().slice(0, 8)}`;
    await tmux(socket, [
      "new-session",
      "-d",
      "-x",
      "120",
      "-y",
      "30",
      "sh",
      script,
    ]);
    try {
      const capture = () => tmux(socket, ["capture-pane", "-p"]);
      const progressLines = (pane: string) =>
        pane.split("\n").filter((l) => /q\/s/.test(l));

      // Wait for the line, then look again later: still one line, redrawn.
      let firstDone = -1;
      const deadline = Date.now() + 10_000;
      while (firstDone === -1 && Date.now() < deadline) {
        const lines = progressLines(await capture());
        const m = lines.length === 1 ? PROGRESS_REGEXP.exec(lines[0]!) : null;
        if (m) firstDone = Number(m[1]);
        else await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(firstDone >= 0, `no progress line:\n${await capture()}`);
      await new Promise((r) => setTimeout(r, 600));
      const pane = await capture();
      const lines = progressLines(pane);
      if (!(await pathExists(rc))) {
        assert.equal(lines.length, 1, `one progress line:\n${pane}`);
        const m = PROGRESS_REGEXP.exec(lines[0]!);
        assert.ok(m, lines[0]);
        assert.equal(m[2], "40");
        assert.ok(
          Number(m[1]) > firstDone,
          "the line is redrawn with progress",
        );
      }

      while (!(await pathExists(rc)) && Date.now() < deadline + 10_000) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal((await Deno.readTextFile(rc)).trim(), "EXIT:0");
      const end = await capture();
      assert.equal(progressLines(end).length, 0, `line cleared:\n${end}`);
      assert.match(end, /Overall/);
    } finally {
      await tmux(socket, ["kill-server"]).catch(() => "");
    }
  },
});
