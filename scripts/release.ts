// deno-lint-ignore-file no-console -- a command-line script: it owns the terminal.
// Release build: one llm-bench binary per platform in dist/ plus dist/SHA256SUMS,
// compiled with the runtime permissions of scripts/permissions.ts.
// Usage: deno task release [TARGET...]   (default: every target)

import { parseArgs } from "node:util";
import { RUNTIME_PERMISSIONS } from "./permissions.ts";

/** The platforms a release ships, as `deno compile --target` names them. */
export const RELEASE_TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** One of {@link RELEASE_TARGETS}. */
export type ReleaseTarget = typeof RELEASE_TARGETS[number];

/** File name of the checksum list written beside the binaries. */
export const CHECKSUMS_FILE = "SHA256SUMS";

/**
 * The binary's file name for a target: `llm-bench-<target>`, with `.exe` on
 * Windows.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(releaseFileName("x86_64-pc-windows-msvc"), "llm-bench-x86_64-pc-windows-msvc.exe");
 * strictEqual(releaseFileName("aarch64-apple-darwin"), "llm-bench-aarch64-apple-darwin");
 * ```
 */
export function releaseFileName(target: ReleaseTarget): string {
  const name = `llm-bench-${target}`;
  return target.includes("windows") ? `${name}.exe` : name;
}

/**
 * Arguments to `deno` that compile `main.ts` for one target into `output`.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * const args = compileArgs("x86_64-apple-darwin", "dist/llm-bench-x86_64-apple-darwin");
 * ok(args.includes("--target") && args.at(-1) === "main.ts");
 * ```
 */
export function compileArgs(target: ReleaseTarget, output: string): string[] {
  return [
    "compile",
    "--frozen",
    ...RUNTIME_PERMISSIONS,
    "--target",
    target,
    "--output",
    output,
    "main.ts",
  ];
}

/** A built file and its SHA-256, as lowercase hex. */
export interface Checksum {
  /** File name, relative to the dist folder. */
  name: string;
  /** SHA-256 of the file's bytes, lowercase hex. */
  sha256: string;
}

/**
 * `SHA256SUMS` text in the format `sha256sum -c` reads: one
 * `<hash>  <name>` line per file, sorted by name.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(
 *   formatChecksums([{ name: "b", sha256: "22" }, { name: "a", sha256: "11" }]),
 *   "11  a\n22  b\n",
 * );
 * ```
 */
export function formatChecksums(checksums: readonly Checksum[]): string {
  return [...checksums]
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    .map((c) => `${c.sha256}  ${c.name}\n`)
    .join("");
}

// Causes deno compile reports when it cannot get the target's denort.
const DOWNLOAD_FAILURE_REGEXP =
  /Setting up base binary|error sending request|dns error|denort.*\b(?:404|not found)/i;
// Terminal colour codes that deno prints even with NO_COLOR in some hints.
const ANSI_REGEXP = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g");

/**
 * The message for a failed `deno compile`: says plainly when the failure is
 * the download of the target's Deno runtime (denort), which needs network.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * match(
 *   compileFailureMessage("aarch64-apple-darwin", 1, "error sending request for url (https://dl.deno.land/x.zip)"),
 *   /network/,
 * );
 * ```
 */
export function compileFailureMessage(
  target: ReleaseTarget,
  code: number,
  stderr: string,
): string {
  const lines = stderr.replace(ANSI_REGEXP, "").split("\n")
    .map((l) => l.trim().replace(/^\d+: /, ""))
    .filter((l) => l !== "" && !/^<unknown>$|^Stack backtrace:$/.test(l));
  const file = releaseFileName(target);
  if (lines.some((l) => DOWNLOAD_FAILURE_REGEXP.test(l))) {
    const said = lines.find((l) => /error sending request|status/i.test(l)) ??
      lines.at(-1);
    return `Cannot build "${file}": downloading the Deno runtime (denort) for "${target}" failed. ` +
      `deno compile fetches it from dl.deno.land once per Deno version and target ` +
      `and caches it in DENO_DIR, so a release build needs network access ` +
      `(check the connection or HTTPS_PROXY). deno said: ${said}`;
  }
  const error = lines.find((l) => l.startsWith("error:")) ?? "";
  const cause = lines.at(-1) ?? "(no output)";
  const detail = error === "" || error === cause
    ? cause
    : `${error} (${cause})`;
  return `Cannot build "${file}": deno compile exited with code ${code}: ${detail}`;
}

/** What {@link buildRelease} needs from the outside world. */
export interface ReleaseDeps {
  /** Runs `deno` with these arguments in the repository root. */
  runDeno(args: string[]): Promise<{ code: number; stderr: string }>;
  /** SHA-256 of a file, lowercase hex. */
  sha256(path: string): Promise<string>;
  /** Writes a text file. */
  writeTextFile(path: string, text: string): Promise<void>;
  /** Removes a file if it exists. */
  removeIfExists(path: string): Promise<void>;
  /** Progress output. */
  log(message: string): void;
}

/** Options of {@link buildRelease}. */
export interface BuildReleaseOptions {
  /** Folder the binaries and SHA256SUMS go to, relative to the repository root.
   * @default {"dist"} */
  distDir?: string;
  /** Targets to build.
   * @default {RELEASE_TARGETS} */
  targets?: readonly ReleaseTarget[];
}

/**
 * Compiles every target, then writes `SHA256SUMS`. Stops at the first failed
 * target and throws an Error saying why; a stale `SHA256SUMS` is removed first
 * so a failed build never leaves a checksum list that looks complete.
 */
export async function buildRelease(
  options: BuildReleaseOptions,
  deps: ReleaseDeps,
): Promise<Checksum[]> {
  const distDir = options.distDir ?? "dist";
  const targets = options.targets ?? RELEASE_TARGETS;
  await deps.removeIfExists(`${distDir}/${CHECKSUMS_FILE}`);
  const checksums: Checksum[] = [];
  for (const target of targets) {
    const name = releaseFileName(target);
    const output = `${distDir}/${name}`;
    deps.log(`Compiling ${name}`);
    const { code, stderr } = await deps.runDeno(compileArgs(target, output));
    if (code !== 0) {
      throw new Error(compileFailureMessage(target, code, stderr));
    }
    checksums.push({ name, sha256: await deps.sha256(output) });
  }
  await deps.writeTextFile(
    `${distDir}/${CHECKSUMS_FILE}`,
    formatChecksums(checksums),
  );
  return checksums;
}

/**
 * Parses the script's arguments: target names, or none for every target.
 * Throws a TypeError naming an unknown target.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(parseTargets(["aarch64-apple-darwin"]), ["aarch64-apple-darwin"]);
 * ```
 */
export function parseTargets(args: readonly string[]): ReleaseTarget[] {
  const { positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length === 0) return [...RELEASE_TARGETS];
  return positionals.map((p) => {
    const target = RELEASE_TARGETS.find((t) => t === p);
    if (target === undefined) {
      throw new TypeError(
        `Cannot build for "${p}": unknown target, expected one of ${
          RELEASE_TARGETS.join(", ")
        }`,
      );
    }
    return target;
  });
}

async function sha256File(path: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await Deno.readFile(path),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

async function main(args: string[]): Promise<number> {
  let targets: ReleaseTarget[];
  try {
    targets = parseTargets(args);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  if (Deno.env.get("DENORT_BIN")) {
    console.error(
      "Cannot build a release: DENORT_BIN is set, and deno compile would embed that one runtime in every target's binary; unset it",
    );
    return 2;
  }
  await Deno.mkdir("dist", { recursive: true });
  try {
    const checksums = await buildRelease({ targets }, {
      runDeno: async (denoArgs) => {
        const out = await new Deno.Command("deno", {
          args: denoArgs,
          env: { NO_COLOR: "1" },
          stdout: "inherit",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        // deno's own output first: a type error's details are only there.
        if (out.code !== 0) await Deno.stderr.write(out.stderr);
        return { code: out.code, stderr };
      },
      sha256: sha256File,
      writeTextFile: (path, text) => Deno.writeTextFile(path, text),
      removeIfExists: async (path) => {
        await Deno.remove(path).catch((e: unknown) => {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        });
      },
      log: (message) => console.error(message),
    });
    console.log(formatChecksums(checksums).trimEnd());
    console.error(
      `Wrote ${checksums.length} binaries and dist/${CHECKSUMS_FILE}`,
    );
    return 0;
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
