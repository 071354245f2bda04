// Scripted faults: how each `Fault` a test asks for breaks one attempt, the
// way a real Ollama (or the network in front of it) fails — before a slot
// (crash, busy, missing model, reset, stall) or inside the reply body
// (an error mid-stream, no final object, truncated JSON).

import {
  BUSY_MESSAGE,
  type Fault,
  MIDSTREAM_MESSAGE,
  RUNNER_STOPPED_MESSAGE,
} from "./api.ts";
import type { HttpResponse } from "./http.ts";
import { goJson, sleep } from "./wire.ts";

/**
 * Answers a fault that strikes before the request waits for a slot. Resolves
 * true when the attempt is over; false when it goes on (no fault, a fault of
 * the body, or a `"stall"` that has waited its time).
 */
export async function answerEarlyFault(
  fault: Fault | null,
  res: HttpResponse,
  modelAsSent: string,
  stallMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  if (fault !== null && typeof fault === "object") {
    await res.send(fault.status, {
      "Content-Type": "application/json; charset=utf-8",
      ...fault.headers,
    }, fault.body);
    return true;
  }
  switch (fault) {
    case "500":
      await res.error(500, RUNNER_STOPPED_MESSAGE);
      return true;
    case "503":
      await res.error(503, BUSY_MESSAGE);
      return true;
    case "404_model":
      await res.error(404, `model '${modelAsSent}' not found`);
      return true;
    case "reset":
      await res.reset();
      return true;
    case "stall":
      await sleep(stallMs, signal);
  }
  return false;
}

/**
 * The whole (`stream:false`) body under a body fault, or null for a normal
 * reply. `final` is the final object built with `done: false` under
 * `"no_done"`.
 */
export function faultedWholeBody(
  fault: Fault | null,
  final: Record<string, unknown>,
): { status: number; body: string } | null {
  if (fault === "midstream_error") {
    return { status: 500, body: goJson({ error: MIDSTREAM_MESSAGE }) };
  }
  if (fault === "malformed_json") {
    const text = goJson(final);
    return { status: 200, body: text.slice(0, Math.floor(text.length / 2)) };
  }
  return null;
}

/** True when the fault cuts a stream after about half its chunks. */
export function cutsStream(fault: Fault | null): boolean {
  return fault === "midstream_error" || fault === "malformed_json";
}

/**
 * The last line of a stream under a body fault: an in-stream error, half a
 * JSON chunk, or nothing (`"no_done"`); undefined when the fault does not
 * touch the end of the stream (the normal final object follows).
 */
export function faultedStreamTail(
  fault: Fault | null,
  nextChunk: () => Record<string, unknown>,
): string | null | undefined {
  if (fault === "midstream_error") {
    return goJson({ error: MIDSTREAM_MESSAGE }) + "\n";
  }
  if (fault === "malformed_json") {
    const t = goJson(nextChunk());
    return t.slice(0, Math.floor(t.length / 2)) + "\n";
  }
  if (fault === "no_done") return null;
  return undefined;
}
