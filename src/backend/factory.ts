// Builds the backends a run talks to (one per base URL, or the mock) and
// preflights them together. Adding a backend is one new file plus a line here.

import type { Config } from "../config.ts";
import type { Backend, ModelInfo } from "./backend.ts";
import { type AnswerKey, MockBackend } from "./mock.ts";
import { OllamaBackend } from "./ollama.ts";
import { OpenAIBackend } from "./openai.ts";

/**
 * The backends of one model: one per base URL, or the built-in mock, which
 * answers from `answerKey` (unused by the other backends).
 */
export function createBackends(
  config: Config,
  model: string,
  answerKey: AnswerKey | null = null,
): Backend[] {
  if (config.backend === "mock") {
    return [
      new MockBackend(
        {
          model,
          seed: config.seed,
          accuracy: config.mockAccuracy,
          latencyMs: config.mockLatencyMs,
        },
        answerKey === null ? {} : { answerKey },
      ),
    ];
  }
  return config.baseUrls.map((baseUrl) =>
    config.backend === "openai"
      ? new OpenAIBackend({ baseUrl, model, apiKey: config.apiKey })
      : new OllamaBackend({ baseUrl, model })
  );
}

/** Preflights every endpoint; all must answer and have the model. */
export async function preflightAll(
  backends: Backend[],
  signal: AbortSignal,
): Promise<ModelInfo> {
  const infos = await Promise.all(backends.map((b) => b.preflight(signal)));
  return infos[0]!;
}
