// Splitting argv into flags and positionals with node:util parseArgs, plus
// what parseArgs lacks: negative numbers as values (`--seed -3`), and one-line
// UsageErrors that suggest the nearest flag for a typo.

import { parseArgs } from "node:util";
import { UsageError } from "../errors.ts";

/** How parseArgs reads one flag. */
export interface FlagType {
  type: "string" | "boolean";
  short?: string;
}

/** Flags by name (without dashes). */
export type FlagTypes = Record<string, FlagType>;

/** Flags and positionals of a command line. */
export interface ParsedArgv {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

const NEGATIVE_NUMBER_REGEXP = /^-(?:\d|\.\d)/;

/**
 * Joins `--flag -1` into `--flag=-1` for flags that take a value, so that a
 * negative number reaches the option's validator instead of being taken for
 * a flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(
 *   joinNegativeValues(["--seed", "-3", "-h"], { seed: { type: "string" } }),
 *   ["--seed=-3", "-h"],
 * );
 * ```
 */
export function joinNegativeValues(
  args: readonly string[],
  flags: FlagTypes,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : "";
    if (
      flags[name]?.type === "string" && next !== undefined &&
      NEGATIVE_NUMBER_REGEXP.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** Parses `args` strictly; every mistake is a one-line UsageError. */
export function parseFlags(
  args: readonly string[],
  flags: FlagTypes,
): ParsedArgv {
  try {
    const parsed = parseArgs({
      args: joinNegativeValues(args, flags),
      options: flags,
      allowPositionals: true,
      strict: true,
    });
    return { values: { ...parsed.values }, positionals: parsed.positionals };
  } catch (e) {
    throw new UsageError(cleanParseError(e, flags));
  }
}

function cleanParseError(e: unknown, flags: FlagTypes): string {
  const msg = e instanceof Error ? e.message : String(e);
  const unknown = /Unknown option '([^']+)'/.exec(msg);
  if (unknown) {
    const given = unknown[1]!;
    const near = nearestFlag(given, Object.keys(flags));
    const hint = near === null ? "see --help" : `did you mean --${near}?`;
    return `Unknown option "${given}" (${hint})`;
  }
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(msg);
  if (missing) {
    return `Invalid ${missing[1]!.replace(/^-\w, /, "")}: a value is required`;
  }
  const noValue = /Option '([^']+)' does not take an argument/.exec(msg);
  if (noValue) return `Invalid ${noValue[1]}: it takes no value`;
  return `Invalid arguments: ${msg.split("\n")[0]}`;
}

/** Edits (insert, delete, replace, swap two neighbours) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i + j),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(
        d[i - 1]![j]! + 1,
        row[j - 1]! + 1,
        d[i - 1]![j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known flag nearest to a mistyped one (`--concurrancy` ->
 * `concurrency`), or null when none is close: at most 3 edits, and at most
 * a third of the name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(nearestFlag("--concurrancy", ["concurrency", "model"]), "concurrency");
 * assert.equal(nearestFlag("--zzz", ["concurrency", "model"]), null);
 * ```
 */
export function nearestFlag(
  given: string,
  known: readonly string[],
): string | null {
  const name = given.replace(/^-+/, "").replace(/=.*$/, "");
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.min(3, Math.floor(name.length / 3));
  return bestDistance <= limit ? best : null;
}
