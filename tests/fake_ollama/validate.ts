// Request validation as Ollama does it: Go's decoder type errors for
// api.ChatRequest / api.GenerateRequest, api.Options type checks, think
// levels and keep-alive durations.

import type { FakeModel } from "./api.ts";
import { goJson, jsonType, parseGoDuration } from "./wire.ts";

/** Go types a request field may decode into. */
type GoType = "string" | "bool" | "int" | "array" | "object";
const FIELD_TYPES: Record<string, [GoType, string]> = {
  model: ["string", "string"],
  prompt: ["string", "string"],
  suffix: ["string", "string"],
  system: ["string", "string"],
  template: ["string", "string"],
  messages: ["array", "[]api.Message"],
  context: ["array", "[]int"],
  images: ["array", "[]api.ImageData"],
  tools: ["array", "api.Tools"],
  stream: ["bool", "bool"],
  raw: ["bool", "bool"],
  truncate: ["bool", "bool"],
  shift: ["bool", "bool"],
  logprobs: ["bool", "bool"],
  "top_logprobs": ["int", "int"],
  options: ["object", "map[string]interface {}"],
};

const OPTION_TYPES: Record<
  string,
  "integer" | "float32" | "boolean" | "array"
> = {
  "num_keep": "integer",
  seed: "integer",
  "num_predict": "integer",
  "top_k": "integer",
  "repeat_last_n": "integer",
  "num_ctx": "integer",
  "num_batch": "integer",
  "num_gpu": "integer",
  "main_gpu": "integer",
  "num_thread": "integer",
  "draft_num_predict": "integer",
  temperature: "float32",
  "top_p": "float32",
  "min_p": "float32",
  "typical_p": "float32",
  "repeat_penalty": "float32",
  "presence_penalty": "float32",
  "frequency_penalty": "float32",
  "use_mmap": "boolean",
  stop: "array",
};

const THINK_LEVELS = ["high", "medium", "low", "max"];
/** Ollama's num_ctx when neither the request nor the Modelfile sets it. */
export const DEFAULT_NUM_CTX = 4096;

/** Decode-time checks (Go's json.Unmarshal into the request struct): a 400 message or null. */
function decodeError(
  body: Record<string, unknown>,
  structName: string,
): string | null {
  for (const [field, [want, goName]] of Object.entries(FIELD_TYPES)) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    const got = jsonType(v);
    const ok = want === "int"
      ? typeof v === "number" && Number.isInteger(v)
      : want === "array"
      ? Array.isArray(v)
      : want === "object"
      ? got === "object"
      : got === want;
    if (!ok) {
      const shown = typeof v === "number" ? `number ${v}` : got;
      return `json: cannot unmarshal ${shown} into Go struct field ${structName}.${field} of type ${goName}`;
    }
  }
  if (Array.isArray(body.messages)) {
    for (const m of body.messages) {
      if (m === null) continue;
      if (jsonType(m) !== "object") {
        return `json: cannot unmarshal ${
          jsonType(m)
        } into Go struct field ${structName}.messages of type api.Message`;
      }
      for (const f of ["role", "content", "thinking"]) {
        const v = (m as Record<string, unknown>)[f];
        if (v !== undefined && v !== null && typeof v !== "string") {
          return `json: cannot unmarshal ${
            jsonType(v)
          } into Go struct field Message.messages.${f} of type string`;
        }
      }
    }
  }
  const think = body.think;
  if (think !== undefined && think !== null && typeof think !== "boolean") {
    if (typeof think !== "string") return "think must be a boolean or string";
    if (!THINK_LEVELS.includes(think)) {
      return `invalid think value: "${think}" (must be "high", "medium", "low", "max", true, or false)`;
    }
  }
  const ka = body["keep_alive"];
  if (typeof ka === "string" && parseGoDuration(ka) === null) {
    return `time: invalid duration ${JSON.stringify(ka)}`;
  }
  if (
    ka !== undefined && ka !== null && !["string", "number"].includes(typeof ka)
  ) {
    return `json: cannot unmarshal ${
      jsonType(ka)
    } into Go struct field ${structName}.keep_alive of type *api.Duration`;
  }
  return null;
}

/** api.Options.FromMap type check: a 500 message or null. */
function optionError(options: Record<string, unknown>): string | null {
  for (const [key, v] of Object.entries(options)) {
    const want = OPTION_TYPES[key];
    if (!want || v === null) continue; // unknown keys are ignored (logged upstream)
    if (
      (want === "integer" || want === "float32") && typeof v !== "number"
    ) return `option "${key}" must be of type ${want}`;
    if (want === "boolean" && typeof v !== "boolean") {
      return `option "${key}" must be of type boolean`;
    }
    if (want === "array") {
      if (!Array.isArray(v)) return `option "${key}" must be of type array`;
      if (v.some((s) => typeof s !== "string")) {
        return `option "${key}" must be of type array of strings`;
      }
    }
  }
  return null;
}

/** Keep-alive in ms: Infinity for negative, null when not given. */
export function keepAliveMs(v: unknown): number | null {
  if (typeof v === "number") return v < 0 ? Infinity : v * 1000;
  if (typeof v === "string") {
    const d = parseGoDuration(v);
    return d === null ? null : d < 0 ? Infinity : d;
  }
  return null;
}

/** An error answer: HTTP status and Ollama's message. */
export interface RequestError {
  status: number;
  message: string;
}

/**
 * Checks a parsed chat or generate body in Ollama's order (first match wins):
 * decode errors, top_logprobs, model, thinking, tools, raw mode, options,
 * format. `findModel` looks a normalised name up among the served models.
 */
export function generateRequestError(
  body: Record<string, unknown>,
  isChat: boolean,
  findModel: (modelAsSent: string) => Required<FakeModel> | undefined,
): RequestError | null {
  const bad = (status: number, message: string) => ({ status, message });
  const decErr = decodeError(body, isChat ? "ChatRequest" : "GenerateRequest");
  if (decErr) return bad(400, decErr);
  const topN = typeof body["top_logprobs"] === "number"
    ? body["top_logprobs"]
    : 0;
  if (topN < 0 || topN > 20) {
    return bad(400, "top_logprobs must be between 0 and 20");
  }
  const modelAsSent = typeof body.model === "string" ? body.model : "";
  if (modelAsSent.trim() === "") {
    return isChat
      ? bad(400, "model is required")
      : bad(404, "model '' not found");
  }
  const model = findModel(modelAsSent);
  if (!model) return bad(404, `model '${modelAsSent}' not found`);
  const think = body.think;
  if (
    !model.capabilities.includes("thinking") &&
    (think === true || typeof think === "string")
  ) {
    return bad(400, `${JSON.stringify(modelAsSent)} does not support thinking`);
  }
  if (
    Array.isArray(body.tools) && body.tools.length > 0 &&
    !model.capabilities.includes("tools")
  ) {
    return bad(
      400,
      `registry.ollama.ai/library/${model.name} does not support tools`,
    );
  }
  if (
    !isChat && body.raw === true &&
    (body.template || body.system ||
      (Array.isArray(body.context) && body.context.length > 0))
  ) {
    return bad(400, "raw mode does not support template, system, or context");
  }
  const optErr = optionError((body.options ?? {}) as Record<string, unknown>);
  if (optErr) return bad(500, optErr);
  const format = body.format;
  if (
    format !== undefined && format !== null && format !== "" &&
    format !== "json" && jsonType(format) !== "object"
  ) {
    return bad(
      500,
      `invalid format: ${
        JSON.stringify(goJson(format))
      }; expected "json" or a valid JSON Schema object`,
    );
  }
  return null;
}
