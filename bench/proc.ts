// Child processes of the performance benchmarks: the fake Ollama server, the
// real CLI under GNU time (CPU seconds and peak RSS of that process alone),
// and the exact permission flags of `deno task cli`.

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_DIR = fileURLToPath(new URL("../", import.meta.url));

/** Slot statistics the fake prints when it stops (see tests/fake_ollama.ts). */
export interface FakeStats {
  served: number;
  busyMsTotal: number;
  maxInFlight: number;
  maxWaiting: number;
  windowMs: number;
  utilisation: number;
}

/** A fake Ollama running in its own process. */
export interface FakeProcess {
  url: string;
  pid: number;
  /** Sends SIGTERM and returns the statistics the fake prints. */
  stop(): Promise<FakeStats>;
}

/** Splits a text stream into lines. */
async function* lines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  if (buf !== "") yield buf;
}

/** Starts `tests/fake_ollama.ts` with P slots and a fixed service time; resolves with its URL. */
export async function startFake(
  parallel: number,
  serviceMs: number,
  extraArgs: string[] = [],
): Promise<FakeProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      join(REPO_DIR, "tests/fake_ollama.ts"),
      "--port",
      "0",
      "--parallel",
      String(parallel),
      "--service-ms",
      String(serviceMs),
      ...extraArgs,
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const out = lines(child.stdout);
  const first = await out.next();
  if (first.done || !first.value.startsWith("http")) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`Cannot start the fake Ollama: printed ${first.value}`);
  }
  return {
    url: first.value.trim(),
    pid: child.pid,
    async stop(): Promise<FakeStats> {
      child.kill("SIGTERM");
      let stats: FakeStats | null = null;
      for await (const line of out) {
        if (line.startsWith("{")) stats = JSON.parse(line) as FakeStats;
      }
      await child.status;
      if (stats === null) throw new Error("the fake Ollama printed no stats");
      return stats;
    },
  };
}

/** Flags of `deno task cli` before `main.ts`, read from deno.json so they stay exactly the same. */
export async function cliRunFlags(): Promise<string[]> {
  const config = JSON.parse(
    await Deno.readTextFile(join(REPO_DIR, "deno.json")),
  ) as { tasks: Record<string, string> };
  const task = config.tasks.cli ?? "";
  const words = task.split(/\s+/).filter((w) => w !== "");
  const at = words.indexOf("main.ts");
  if (words[0] !== "deno" || words[1] !== "run" || at < 0) {
    throw new Error(`Cannot read the cli task of deno.json: ${task}`);
  }
  return words.slice(2, at);
}

/** What one timed process did. */
export interface Timed {
  code: number;
  /** Wall seconds measured by the parent around spawn and exit. */
  wallS: number;
  userS: number;
  sysS: number;
  /** Peak resident set, KiB. */
  maxRssKb: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` under `/usr/bin/time` and returns its own CPU and peak RSS. */
export async function runTimed(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<Timed> {
  const timeFile = await Deno.makeTempFile({ prefix: "llm-bench-time-" });
  try {
    const t0 = performance.now();
    const out = await new Deno.Command("/usr/bin/time", {
      args: ["-f", "%U %S %M", "-o", timeFile, cmd, ...args],
      cwd: opts.cwd ?? REPO_DIR,
      env: opts.env,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).output();
    const wallS = (performance.now() - t0) / 1000;
    const text = (await Deno.readTextFile(timeFile)).trim().split("\n");
    const last = text[text.length - 1] ?? "";
    const [user, sys, rss] = last.split(" ").map(Number);
    if (user === undefined || sys === undefined || rss === undefined) {
      throw new Error(`Cannot read /usr/bin/time output: ${last}`);
    }
    const dec = new TextDecoder();
    return {
      code: out.code,
      wallS,
      userS: user,
      sysS: sys,
      maxRssKb: rss,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
    };
  } finally {
    await Deno.remove(timeFile).catch(() => {});
  }
}

/**
 * Runs the real CLI (`deno run <cli flags> main.ts ...args`) under GNU time;
 * `v8Flags` (e.g. `["--trace-gc"]`) are for diagnostics only.
 */
export async function runCli(
  args: string[],
  v8Flags: string[] = [],
): Promise<Timed> {
  const flags = await cliRunFlags();
  const v8 = v8Flags.length > 0 ? [`--v8-flags=${v8Flags.join(",")}`] : [];
  return await runTimed(Deno.execPath(), [
    "run",
    ...flags,
    ...v8,
    join(REPO_DIR, "main.ts"),
    ...args,
  ], { env: { NO_COLOR: "1" } });
}

/** Heap figures from `--trace-gc` output. */
export interface GcTrace {
  /** Full (mark-compact) collections seen. */
  fullGcs: number;
  /** Largest heap still used right after a full GC, MB: the live data. */
  maxLiveMb: number;
  /** Largest heap committed (reserved by V8) at any GC, MB. */
  maxCommittedMb: number;
}

const GC_LINE_REGEXP =
  /(Scavenge|Mark-Compact|Mark-sweep)[^\d]*([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/;

/** Reads V8 `--trace-gc` lines. */
export function parseGcTrace(text: string): GcTrace {
  let fullGcs = 0, maxLiveMb = 0, maxCommittedMb = 0;
  for (const line of text.split("\n")) {
    const m = GC_LINE_REGEXP.exec(line);
    if (!m) continue;
    maxCommittedMb = Math.max(maxCommittedMb, Number(m[3]), Number(m[5]));
    if (m[1] !== "Scavenge") {
      fullGcs++;
      maxLiveMb = Math.max(maxLiveMb, Number(m[4]));
    }
  }
  return { fullGcs, maxLiveMb, maxCommittedMb };
}

/** Throws with the process output when it did not exit 0. */
export function mustSucceed(t: Timed, what: string): Timed {
  if (t.code !== 0) {
    throw new Error(
      `${what} exited ${t.code}\nstdout: ${t.stdout.slice(-2000)}\nstderr: ${
        t.stderr.slice(-2000)
      }`,
    );
  }
  return t;
}
