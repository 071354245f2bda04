// Reading parsed JSON field by field: each getter checks the type and, when
// it is wrong, throws a DatasetError naming the file and the field's path.

import { DatasetError } from "../errors.ts";

type Json = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return `a ${typeof v}`;
}

/**
 * Typed access to one JSON object of a file, with errors such as
 * `Cannot read "run.json": field "dataset.root" is missing, expected a string`.
 *
 * @example
 * ```ts
 * import { Fields } from "./fields.ts";
 * const f = Fields.of("x.json", JSON.parse('{"a":{"b":2}}'));
 * if (f.obj("a").num("b") !== 2) throw new Error();
 * ```
 */
export class Fields {
  readonly #file: string;
  readonly #line: number | null;
  readonly #obj: Json;
  readonly #path: string;

  private constructor(
    file: string,
    line: number | null,
    obj: Json,
    path: string,
  ) {
    this.#file = file;
    this.#line = line;
    this.#obj = obj;
    this.#path = path;
  }

  /**
   * The top-level object of `file` (at `line` of a JSON Lines file), or an
   * error if `value` is not one.
   */
  static of(file: string, value: unknown, line: number | null = null): Fields {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new DatasetError(
        `Cannot read "${file}": ${
          line === null ? "" : `line ${line}: `
        }expected a JSON object, found ${describe(value)}`,
        { file, line },
      );
    }
    return new Fields(file, line, value as Json, "");
  }

  #error(name: string, what: string): DatasetError {
    const at = this.#line === null ? "" : `line ${this.#line}: `;
    return new DatasetError(
      `Cannot read "${this.#file}": ${at}field "${name}" is ${what}`,
      { file: this.#file, line: this.#line },
    );
  }

  /** The raw object. */
  get raw(): Json {
    return this.#obj;
  }

  #name(key: string): string {
    return this.#path === "" ? key : `${this.#path}.${key}`;
  }

  /** An error about field `key`. */
  fail(key: string, expected: string): DatasetError {
    return this.#error(
      this.#name(key),
      `${describe(this.#obj[key])}, expected ${expected}`,
    );
  }

  #check<T>(key: string, ok: (v: unknown) => boolean, what: string): T {
    const v = this.#obj[key];
    if (!ok(v)) throw this.fail(key, what);
    return v as T;
  }

  /** A string field. */
  str(key: string): string {
    return this.#check(key, (v) => typeof v === "string", "a string");
  }

  /** A string or null. */
  strOrNull(key: string): string | null {
    return this.#check(
      key,
      (v) => v === null || typeof v === "string",
      "a string or null",
    );
  }

  /** A finite number. */
  num(key: string): number {
    return this.#check(
      key,
      (v) => typeof v === "number" && Number.isFinite(v),
      "a number",
    );
  }

  /** A finite number or null. */
  numOrNull(key: string): number | null {
    return this.#check(
      key,
      (v) => v === null || (typeof v === "number" && Number.isFinite(v)),
      "a number or null",
    );
  }

  /** A boolean. */
  bool(key: string): boolean {
    return this.#check(key, (v) => typeof v === "boolean", "true or false");
  }

  /** A nested object. */
  obj(key: string): Fields {
    const v = this.#check<Json>(
      key,
      (v) => typeof v === "object" && v !== null && !Array.isArray(v),
      "an object",
    );
    return new Fields(this.#file, this.#line, v, this.#name(key));
  }

  /** A nested object, or null. */
  objOrNull(key: string): Fields | null {
    return this.#obj[key] === null ? null : this.obj(key);
  }

  /** A list of objects. */
  list(key: string): Fields[] {
    const v = this.#check<unknown[]>(key, Array.isArray, "a list");
    return v.map((item, i) => {
      const name = `${this.#name(key)}[${i}]`;
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        throw this.#error(name, `${describe(item)}, expected an object`);
      }
      return new Fields(this.#file, this.#line, item as Json, name);
    });
  }

  /** A list of strings. */
  strings(key: string): string[] {
    return this.#check(
      key,
      (v) => Array.isArray(v) && v.every((x) => typeof x === "string"),
      "a list of strings",
    );
  }

  /** Each entry of an object field, as Fields. */
  entries(key: string): Array<[string, Fields]> {
    const o = this.obj(key);
    return Object.keys(o.raw).map((k) => [k, o.obj(k)]);
  }
}

/** The value of `key`, which must be one of `values` (or null when `nullable`). */
export function oneOf<T extends string>(
  f: Fields,
  key: string,
  values: readonly T[],
  nullable: boolean,
): T | null {
  const v = f.raw[key];
  if (nullable && v === null) return null;
  if (typeof v === "string" && (values as readonly string[]).includes(v)) {
    return v as T;
  }
  throw f.fail(key, `one of ${values.join(", ")}${nullable ? " or null" : ""}`);
}
