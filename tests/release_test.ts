// The release script's logic (scripts/release.ts), with its Deno calls and
// file writes faked: target names, compile arguments with the runtime
// permissions, checksums, and what a failed denort download says.

import {
  deepStrictEqual,
  match,
  ok,
  rejects,
  strictEqual,
} from "node:assert/strict";
import {
  permissionFlags,
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
