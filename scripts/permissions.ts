// The Deno permissions llm-bench runs with: one list shared by the deno.json
// permission set (which the cli, bench, demo and compile tasks load with -P),
// the release script and the tests that check them. Run this file to print
// the "permissions" block deno.json must hold.

import { EXTRA_ENV, optionEnvVars } from "../src/cli/options.ts";

/**
 * Every environment variable llm-bench reads: the env columns of the options
 * table plus the extra variables src/cli/parse.ts reads. `--allow-env` is scoped to
 * exactly these, so reading any other variable throws `NotCapable`.
 *
 * Deno itself needs no env permission for its own variables (NO_COLOR,
 * HTTP_PROXY/HTTPS_PROXY/NO_PROXY, DENO_*): the runtime reads them natively.
 */
export const ENV_VARS: readonly string[] = Object.freeze([
  ...new Set([
    ...optionEnvVars(),
    ...EXTRA_ENV,
  ]),
]);

/**
 * The permission flags of the CLI, the compiled binary and the container.
 * Network, read and write stay unscoped because the user chooses the server
 * URLs, the dataset folder and the output folder at run time.
 */
export const RUNTIME_PERMISSIONS: readonly string[] = Object.freeze([
  "--allow-net",
  "--allow-read",
  "--allow-write",
  `--allow-env=${ENV_VARS.join(",")}`,
]);

/**
 * The permission flags in a command line: every `--allow-*`, `--deny-*`,
 * `-A` and `-P` token, in order. Used to compare a task or a Dockerfile line
 * with {@link RUNTIME_PERMISSIONS}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(
 *   permissionFlags("deno run --allow-net --frozen -A main.ts"),
 *   ["--allow-net", "-A"],
 * );
 * ```
 */
export function permissionFlags(command: string): string[] {
  return command.split(/\s+/).filter((token) =>
    /^--(allow|deny)-/.test(token) || /^-[AP]($|=)/.test(token) ||
    /^--permission-set($|=)/.test(token)
  );
}

/**
 * Whether two permission lists grant the same thing: the same flags, and for
 * scoped flags the same names in any order.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * ok(samePermissions(["--allow-env=B,A", "--allow-net"], ["--allow-net", "--allow-env=A,B"]));
 * ```
 */
export function samePermissions(
  a: readonly string[],
  b: readonly string[],
): boolean {
  const norm = (flags: readonly string[]) =>
    flags.map((flag) => {
      const eq = flag.indexOf("=");
      if (eq < 0) return flag;
      const names = flag.slice(eq + 1).split(",").filter((n) => n !== "");
      return `${flag.slice(0, eq)}=${[...new Set(names)].sort().join(",")}`;
    }).sort().join(" ");
  return norm(a) === norm(b);
}

/** A permission set as deno.json's "permissions" holds it. */
export interface PermissionSet {
  net: boolean;
  read: boolean;
  write: boolean;
  env: string[];
}

/**
 * deno.json's default permission set, loaded by `-P` in the tasks: the same
 * grants as {@link RUNTIME_PERMISSIONS}. `deno compile -P` embeds it in the
 * binary, so the binary gets what `deno task cli` gets.
 */
export const PERMISSION_SET: Readonly<PermissionSet> = Object.freeze({
  net: true,
  read: true,
  write: true,
  env: [...ENV_VARS],
});

/** The name of the set in deno.json; `-P` alone loads it. */
export const PERMISSION_SET_NAME = "default";

/**
 * A permission set written as command-line flags.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(
 *   permissionSetFlags({ net: true, read: false, write: true, env: ["A", "B"] }),
 *   ["--allow-net", "--allow-write", "--allow-env=A,B"],
 * );
 * ```
 */
export function permissionSetFlags(set: PermissionSet): string[] {
  const flags: string[] = [];
  if (set.net) flags.push("--allow-net");
  if (set.read) flags.push("--allow-read");
  if (set.write) flags.push("--allow-write");
  if (set.env.length > 0) flags.push(`--allow-env=${set.env.join(",")}`);
  return flags;
}

if (import.meta.main) {
  const block = { [PERMISSION_SET_NAME]: PERMISSION_SET };
  // deno-lint-ignore no-console -- this script's output is the block to paste.
  console.log(`"permissions": ${JSON.stringify(block, null, 2)}`);
}
