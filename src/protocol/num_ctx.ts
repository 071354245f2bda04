// Sizes Ollama's num_ctx for a prompt: a conservative token estimate plus the
// output budget, rounded so that one value serves a whole run.

import { estimateTokens } from "../backend/backend.ts";
import type { BuiltPrompt } from "./prompt.ts";

export { estimateTokens };

/** Tokens a chat template adds around one message (role markers), generously. */
const MESSAGE_OVERHEAD_TOKENS = 8;
/** num_ctx is a multiple of this, and never smaller. */
const CONTEXT_STEP = 2048;

/**
 * The `num_ctx` that fits a prompt plus `maxTokens` of output: the estimate
 * rounded up to a multiple of 2048, at least 2048. Changing num_ctx reloads
 * an Ollama model, so compute it once per run from the longest prompt.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { contextFor } from "./num_ctx.ts";
 * assert.equal(contextFor("short", 512), 2048);
 * assert.equal(contextFor("x".repeat(9000), 1024), 4096);
 * ```
 */
export function contextFor(
  prompt: string | BuiltPrompt,
  maxTokens: number,
): number {
  let tokens: number;
  if (typeof prompt === "string") tokens = estimateTokens(prompt);
  else if (prompt.messages !== null) {
    tokens = prompt.messages.reduce(
      (sum, m) => sum + estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS,
      MESSAGE_OVERHEAD_TOKENS,
    );
  } else tokens = estimateTokens(prompt.rawPrompt ?? "");
  const needed = tokens + Math.max(0, maxTokens);
  return Math.max(
    CONTEXT_STEP,
    Math.ceil(needed / CONTEXT_STEP) * CONTEXT_STEP,
  );
}
