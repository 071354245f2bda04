// A chat or generate reply as Ollama writes it: NDJSON chunks, the final
// object with its metrics (integer nanoseconds, zero values left out),
// logprobs with their byte arrays, sent whole or streamed, with body faults.

import type { Fault } from "./api.ts";
import { cutsStream, faultedStreamTail, faultedWholeBody } from "./faults.ts";
import type { HttpResponse } from "./http.ts";
import { ALTERNATIVES, type Piece, type Plan } from "./scenarios.ts";
import { createdAt, enc, goJson, MS, sleep } from "./wire.ts";

function defaultTop(
  token: string,
  logprob: number,
): Array<{ token: string; logprob: number }> {
  const self = token.trim();
  const others = ALTERNATIVES.filter((a) => a !== self);
  const alt = [...others, ...others.map((a) => " " + a)];
  return [
    { token, logprob },
    ...alt.map((t, i) => ({ token: t, logprob: -3 - i * 0.25 })),
  ];
}

/** One logprob entry as Ollama sends it, candidates cut to `topN`. */
function wireLogprob(p: Piece, topN: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    token: p.text,
    logprob: p.logprob,
    bytes: [...enc.encode(p.text)],
  };
  if (topN > 0) {
    const top = [...(p.top ?? defaultTop(p.text, p.logprob))]
      .sort((a, b) => b.logprob - a.logprob)
      .slice(0, topN);
    out["top_logprobs"] = top.map((t) => ({
      token: t.token,
      logprob: t.logprob,
      bytes: [...enc.encode(t.token)],
    }));
  }
  return out;
}

/** What every object of one reply shares. */
export interface ReplyShape {
  isChat: boolean;
  /** The request's `model`, echoed verbatim. */
  modelAsSent: string;
  wantLogprobs: boolean;
  topN: number;
}

/** One streamed chunk carrying piece `p` (an empty chunk when null). */
function chunkObject(
  shape: ReplyShape,
  p: Piece | null,
): Record<string, unknown> {
  const base: Record<string, unknown> = {
    model: shape.modelAsSent,
    "created_at": createdAt(),
  };
  const th = p?.kind === "thinking" ? p.text : "";
  const ct = p?.kind === "content" ? p.text : "";
  if (shape.isChat) {
    base.message = th
      ? { role: "assistant", content: "", thinking: th }
      : { role: "assistant", content: ct };
  } else {
    base.response = ct;
    if (th) base.thinking = th;
  }
  base.done = false;
  if (shape.wantLogprobs && p) base.logprobs = [wireLogprob(p, shape.topN)];
  return base;
}

/** When the phases of one reply happened, from `performance.now()`. */
export interface ReplyTimes {
  /** Request parsed. */
  t0: number;
  /** Slot acquired. */
  slotStart: number;
  /** Model loaded. */
  tLoaded: number;
  /** Prompt evaluated (first token ready). */
  tFirst: number;
}

/** The rest of what the final object reports. */
export interface FinalFacts {
  plan: Plan;
  promptEvalCount: number;
  times: ReplyTimes;
  /** Generate without `raw`: the final object carries a `context`. */
  withContext: boolean;
}

/**
 * The final object: text of `all` pieces (empty for a stream, whose chunks
 * carried it), `done`, and when done the done_reason and the metrics, each at
 * least a plausible minimum so a fast fake still reports non-zero durations.
 */
function finalObject(
  shape: ReplyShape,
  all: Piece[],
  done: boolean,
  facts: FinalFacts,
): Record<string, unknown> {
  const tEnd = performance.now();
  const text = (kind: Piece["kind"]) =>
    all.filter((p) => p.kind === kind).map((p) => p.text).join("");
  const content = text("content");
  const thinking = text("thinking");
  const out: Record<string, unknown> = {
    model: shape.modelAsSent,
    "created_at": createdAt(),
  };
  if (shape.isChat) {
    const message: Record<string, unknown> = { role: "assistant", content };
    if (thinking) message.thinking = thinking;
    out.message = message;
  } else {
    out.response = content;
    if (thinking) out.thinking = thinking;
  }
  out.done = done;
  if (shape.wantLogprobs && all.length > 0) {
    out.logprobs = all.map((p) => wireLogprob(p, shape.topN));
  }
  if (!done) return out;
  out["done_reason"] = facts.plan.doneReason;
  const { evalCount } = facts.plan;
  const { promptEvalCount } = facts;
  if (facts.withContext) {
    out.context = [...Array(promptEvalCount + evalCount).keys()].map((i) =>
      1000 + (i * 7919) % 120000
    );
  }
  const { t0, slotStart, tLoaded, tFirst } = facts.times;
  const load = Math.round((tLoaded - slotStart) * MS) + 100_000;
  const promptEval = Math.max(
    Math.round((tFirst - tLoaded) * MS),
    promptEvalCount * 20_000,
  );
  const evalDur = Math.max(
    Math.round((tEnd - tFirst) * MS),
    Math.max(1, evalCount) * 100_000,
  );
  const total = Math.max(
    Math.round((tEnd - t0) * MS),
    load + promptEval + evalDur + 1000,
  );
  const metrics: Record<string, number> = {
    "total_duration": total,
    "load_duration": load,
    "prompt_eval_count": promptEvalCount,
    "prompt_eval_duration": promptEval,
    "eval_count": evalCount,
    "eval_duration": evalDur,
  };
  for (const [k, v] of Object.entries(metrics)) if (v > 0) out[k] = v; // omitempty
  return out;
}

/** Everything sendWhole and sendStream need besides the response. */
export interface Sending {
  shape: ReplyShape;
  facts: FinalFacts;
  fault: Fault | null;
  /** Delay between fake tokens. */
  delayMs: number;
  /** Frees the slot (once); called when generation is over. */
  release: () => void;
  signal: AbortSignal;
}

/** `stream:false`: waits as long as the tokens take, then one JSON body. */
export async function sendWhole(res: HttpResponse, s: Sending): Promise<void> {
  const pieces = s.facts.plan.pieces;
  for (let i = 0; i < pieces.length; i++) await sleep(s.delayMs, s.signal);
  const final = finalObject(s.shape, pieces, s.fault !== "no_done", s.facts);
  const faulted = faultedWholeBody(s.fault, final);
  if (faulted) {
    return res.send(faulted.status, {
      "Content-Type": "application/json; charset=utf-8",
    }, faulted.body);
  }
  s.release();
  return res.json(200, final);
}

/** Streaming: status and headers go out with the first chunk. */
export async function sendStream(res: HttpResponse, s: Sending): Promise<void> {
  const pieces = s.facts.plan.pieces;
  const cut = cutsStream(s.fault)
    ? Math.max(1, Math.ceil(pieces.length / 2))
    : pieces.length;
  const sendPieces = pieces.slice(0, cut);
  const lines = sendPieces.length > 0
    ? sendPieces.map((p) => goJson(chunkObject(s.shape, p)) + "\n")
    : cutsStream(s.fault)
    ? [goJson(chunkObject(s.shape, null)) + "\n"]
    : [];
  const ndjson = "application/x-ndjson";
  let first = true;
  const write = async (line: string) => {
    const ok = first
      ? await res.startChunked(200, ndjson, line)
      : await res.writeChunk(line);
    first = false;
    return ok;
  };
  for (const line of lines) {
    if (!first) await sleep(s.delayMs, s.signal);
    if (!(await write(line))) return;
  }
  let tail = faultedStreamTail(
    s.fault,
    () => chunkObject(s.shape, pieces[cut] ?? null),
  );
  if (tail === undefined) {
    if (!first) await sleep(s.delayMs, s.signal);
    tail = goJson(finalObject(s.shape, [], true, s.facts)) + "\n";
  }
  s.release();
  if (tail !== null && !(await write(tail))) return;
  if (first) await res.startChunked(200, ndjson, "");
  await res.end();
}
