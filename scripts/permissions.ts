// The Deno permissions llm-bench runs with: one list shared by the deno.json
// tasks, the Dockerfile, the release script and the tests that check them.

import { EXTRA_ENV, OPTIONS } from "../src/cli/options.ts";

/**
 * Every environment variable llm-bench reads: the env column of the options
 * table plus the extra variables config.ts reads. `--allow-env` is scoped to
 * exactly these, so reading any other variable throws `NotCapable`.
 *
 * Deno itself needs no env permission for its own variables (NO_COLOR,
 * HTTP_PROXY/HTTPS_PROXY/NO_PROXY, DENO_*): the runtime reads them natively.
 */
export const ENV_VARS: readonly string[] = Object.freeze([
  ...new Set([
    ...OPTIONS.flatMap((o) => o.env === null ? [] : [o.env]),
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
