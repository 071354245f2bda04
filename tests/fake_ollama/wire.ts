// How Go's Ollama server writes and reads values on the wire: its JSON
// escaping, decoder messages, durations and timestamps, plus the small
// shared helpers (sleep with abort, a stable hash) of the fake.

/** UTF-8 encoder shared by the fake. */
export const enc: TextEncoder = new TextEncoder();
/** UTF-8 decoder shared by the fake. */
export const dec: TextDecoder = new TextDecoder();
/** Nanoseconds per millisecond (Ollama's durations are integer nanoseconds). */
export const MS = 1_000_000;

/** Waits `ms`, or rejects with the signal's reason when it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(id);
      reject(signal.reason);
    };
    const id = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Go's json.Marshal escapes <, > and & (and U+2028/9). */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"),
  );
}

/** FNV-1a hash of a string: stable pseudo-randomness for digests and answers. */
export function hash32(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  }
  return h >>> 0;
}

/** A sha256-like hex digest derived from a model name. */
export function fakeDigest(name: string): string {
  let out = "";
  for (let i = 0; out.length < 64; i++) {
    out += hash32(`${i}:${name}`).toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}

/** RFC3339Nano UTC from the monotonic clock (ordered within a stream), Go-trimmed zeros. */
export function createdAt(): string {
  const t = performance.timeOrigin + performance.now();
  const ms = Math.floor(t);
  const iso = new Date(ms).toISOString(); // 2026-08-21T10:00:00.123Z
  const sub = Math.floor((t - ms) * 1e6).toString().padStart(6, "0");
  const frac = (iso.slice(20, 23) + sub).replace(/0+$/, "");
  return iso.slice(0, 19) + (frac ? "." + frac : "") + "Z";
}

/** The JSON type name of a parsed value, as Go's decoder names it. */
export function jsonType(v: unknown): string {
  if (typeof v === "boolean") return "bool";
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  return typeof v; // string, number, object
}

/** Parses a Go duration ("5m", "1h30m", "-1m", "0"); null when invalid. */
export function parseGoDuration(s: string): number | null {
  if (s === "0") return 0;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(s);
  if (!m) return null;
  const unitMs: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    "µs": 1e-3,
    ms: 1,
    s: 1000,
    m: 60000,
    h: 3600000,
  };
  let total = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * (unitMs[part[2] ?? "s"] ?? 0);
  }
  return m[1] === "-" ? -total : total;
}

/** Go's decoder message (approximately) for input JSON.parse rejected. */
export function goJsonSyntaxError(text: string, err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (/end of JSON input|Unterminated/i.test(msg)) return "unexpected EOF";
  const pos = /position (\d+)/.exec(msg)?.[1];
  const at = pos === undefined ? null : text[Number(pos)] ?? null;
  if (/after JSON/i.test(msg) && at) {
    return `invalid character '${at}' after top-level value`;
  }
  const c = /Unexpected token '(.)'/.exec(msg)?.[1] ?? at ?? text.trim()[0];
  return `invalid character '${c ?? "?"}' looking for beginning of value`;
}
