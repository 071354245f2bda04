// Scripted replies: what the fake model "generates" for a request (the
// default reply, a reply hook, or an answer key read from dataset files that
// answers a deterministic fraction of known questions correctly), cut by
// stop strings, thinking and the num_predict budget as the runner cuts it.

import { type FakeReply, type FakeRequest, fakeTokens } from "./api.ts";
import { hash32 } from "./wire.ts";

/** Option letters, A to J. */
export const ALTERNATIVES = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];

/** One generated token: thinking or content, with its logprob and candidates. */
export interface Piece {
  kind: "thinking" | "content";
  text: string;
  logprob: number;
  top: Array<{ token: string; logprob: number }> | null;
}

/** Last user message (chat) or prompt (generate): what hooks match on. */
export function requestText(
  body: Record<string, unknown>,
  isChat: boolean,
): string {
  if (!isChat) return typeof body.prompt === "string" ? body.prompt : "";
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i] as Record<string, unknown> | null;
    if (m?.role === "user" && typeof m.content === "string") return m.content;
  }
  return "";
}

/** The reply when no `reply` hook is given: letter A, as JSON when `format` is set. */
export function defaultReply(req: FakeRequest): FakeReply {
  const f = req.body.format;
  return { content: f !== undefined && f !== null ? '{"answer":"A"}' : "A" };
}

/** num_predict as the runner applies it; null = no cap (0 is dropped upstream). */
export function numPredictBudget(v: unknown, numCtx: number): number | null {
  if (typeof v !== "number") return 10 * numCtx;
  const n = Math.trunc(v);
  if (n === 0) return null;
  if (n < 0 || n > 10 * numCtx) return 10 * numCtx;
  return n;
}

/** prompt_eval_count estimate from the fake's tokens plus a per-message template overhead. */
export function estimatePromptTokens(
  body: Record<string, unknown>,
  isChat: boolean,
): number {
  if (!isChat) {
    const p = typeof body.prompt === "string" ? body.prompt : "";
    const s = typeof body.system === "string" ? body.system : "";
    return fakeTokens(p).length + fakeTokens(s).length +
      (body.raw === true ? 1 : 8);
  }
  const msgs = Array.isArray(body.messages) ? body.messages : [];
  let n = 1;
  for (const m of msgs) {
    const c = (m as Record<string, unknown> | null)?.content;
    n += 4 + (typeof c === "string" ? fakeTokens(c).length : 0);
  }
  return n;
}

/** What one reply will send: its tokens, eval_count and done_reason. */
export interface Plan {
  pieces: Piece[];
  evalCount: number;
  doneReason: "stop" | "length";
}

/** Applies stop strings, thinking and the num_predict budget to a scripted reply. */
export function planReply(
  reply: FakeReply,
  ctx: { thinks: boolean; numPredict: number | null; stop: string[] },
): Plan {
  let content = reply.content;
  let stopped = false;
  for (const s of ctx.stop) {
    const i = s === "" ? -1 : content.indexOf(s);
    if (i >= 0) {
      content = content.slice(0, i);
      stopped = true;
    }
  }
  let contentPieces: Piece[];
  if (reply.logprobs) {
    const spelled = reply.logprobs.map((l) => l.token).join("");
    if (spelled !== reply.content) {
      throw new Error(
        `reply.logprobs tokens spell ${
          JSON.stringify(spelled)
        }, not the content ${JSON.stringify(reply.content)}`,
      );
    }
    contentPieces = [];
    let used = 0;
    for (const l of reply.logprobs) {
      if (used >= content.length) break;
      const text = l.token.slice(0, content.length - used);
      used += l.token.length;
      contentPieces.push({
        kind: "content",
        text,
        logprob: l.logprob,
        top: l["top_logprobs"] ?? null,
      });
    }
  } else {
    contentPieces = fakeTokens(content).map((text, i) => ({
      kind: "content",
      text,
      logprob: -0.01 - i * 0.001,
      top: null,
    }));
  }
  const thinkingText = ctx.thinks
    ? reply.thinking ?? "Let me think about which option is right."
    : "";
  const thinkingPieces: Piece[] = fakeTokens(thinkingText).map((text) => ({
    kind: "thinking",
    text,
    logprob: -0.5,
    top: null,
  }));
  let pieces = [...thinkingPieces, ...contentPieces];
  let truncated = false;
  if (ctx.numPredict !== null && pieces.length > ctx.numPredict) {
    pieces = pieces.slice(0, ctx.numPredict);
    truncated = true;
  }
  let evalCount = reply.evalCount ?? pieces.length;
  if (ctx.numPredict !== null) evalCount = Math.min(evalCount, ctx.numPredict);
  const doneReason = reply.doneReason ??
    (truncated && !stopped ? "length" : "stop");
  return { pieces, evalCount, doneReason };
}

// ---------------------------------------------------------------------------
// Answer keys (the CLI's --dataset and --answer-correct-rate)

/** One answer key entry from a dataset file. */
export interface KeyEntry {
  question: string;
  answer: string;
  letters: string[];
}

function normaliseText(s: string): string {
  return s.replace(/\uFEFF/g, "").replace(/\s+/g, " ").trim();
}

/** Reads the answer key of every CSV and JSONL file under `paths`. */
export async function loadAnswerKey(paths: string[]): Promise<KeyEntry[]> {
  const { parse } = await import("csv-parse/sync");
  const out: KeyEntry[] = [];
  const visit = async (p: string): Promise<void> => {
    const st = await Deno.stat(p);
    if (st.isDirectory) {
      for await (const e of Deno.readDir(p)) await visit(`${p}/${e.name}`);
    } else if (p.endsWith(".csv")) {
      const rows = parse(await Deno.readTextFile(p), {
        relaxColumnCount: true,
      }) as string[][];
      for (const r of rows) {
        if (r.length === 6 && r[0] && r[5]) {
          out.push({
            question: normaliseText(r[0]),
            answer: r[5].trim(),
            letters: ["A", "B", "C", "D"],
          });
        }
      }
    } else if (p.endsWith(".jsonl")) {
      for (const line of (await Deno.readTextFile(p)).split("\n")) {
        if (!line.trim()) continue;
        const o = JSON.parse(line) as {
          question?: string;
          answer?: string;
          options?: unknown[];
        };
        if (o.question && o.answer) {
          out.push({
            question: normaliseText(o.question),
            answer: o.answer,
            letters: ALTERNATIVES.slice(0, o.options?.length ?? 4),
          });
        }
      }
    }
  };
  for (const p of paths) await visit(p);
  return out.filter((e) => e.question.length > 0);
}

/** A reply function that answers a known question correctly for a deterministic `rate` of questions. */
export function answerKeyReply(key: KeyEntry[], rate: number, counts: {
  correct: number;
  wrong: number;
  unmatched: number;
}): (req: FakeRequest) => FakeReply {
  return (req) => {
    const prompt = normaliseText(
      req.path === "/api/chat"
        ? ((req.body.messages ?? []) as Array<{ content?: unknown }>).map((m) =>
          typeof m.content === "string" ? m.content : ""
        ).join("\n")
        : req.text,
    );
    let best: KeyEntry | null = null;
    let bestAt = -1;
    for (const e of key) {
      const at = prompt.lastIndexOf(e.question);
      if (
        at > bestAt ||
        (at >= 0 && at === bestAt && best &&
          e.question.length > best.question.length)
      ) {
        best = e;
        bestAt = at;
      }
    }
    const letters = best?.letters ?? ["A", "B", "C", "D"];
    const h = hash32(best?.question ?? req.text);
    let letter: string;
    if (!best) {
      counts.unmatched++;
      letter = letters[h % letters.length] ?? "A";
    } else if ((h % 10000) / 10000 < rate) {
      counts.correct++;
      letter = best.answer;
    } else {
      counts.wrong++;
      const others = letters.filter((l) => l !== best.answer);
      letter = others[h % others.length] ?? "A";
    }
    const f = req.body.format;
    return {
      content: f !== undefined && f !== null
        ? `{"answer":"${letter}"}`
        : letter,
    };
  };
}
