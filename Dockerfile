# syntax=docker/dockerfile:1
# llm-bench image: compile the CLI into one self-contained binary with the
# Deno version pinned in .deno-version, then ship only that binary and the
# sample questions on distroless (no shell, no package manager, uid 65532).
#
#   docker build -t llm-bench .
#   docker run --rm --network host -e MODEL_NAME=llama3.2 \
#     -v "$PWD/results:/results" --user "$(id -u):$(id -g)" llm-bench
#
# See docs/docker.md.

FROM denoland/deno:debian-2.9.6 AS build
WORKDIR /app

# Dependencies in their own layer: rebuilt only when deno.json or deno.lock
# change, not on every source edit. --frozen fails if the lock is stale.
COPY deno.json deno.lock ./
RUN deno install --frozen

COPY main.ts ./
COPY src/ ./src/
# The compile task loads deno.json's permission set (-P; the list lives in
# scripts/permissions.ts), so the binary gets exactly what `deno task cli`
# gets. Smoke-test it, and make an empty results folder for the final stage
# (distroless has no mkdir).
RUN deno task compile \
  && /app/dist/llm-bench --version \
  && mkdir -p /app/empty-results

FROM gcr.io/distroless/cc-debian12:nonroot

ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="llm-bench" \
      org.opencontainers.image.description="Benchmark LLMs served by Ollama or OpenAI-compatible servers on MMLU-style multiple-choice questions" \
      org.opencontainers.image.source="https://github.com/llm-bench/llm-bench" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

COPY --from=build /app/dist/llm-bench /usr/local/bin/llm-bench
COPY benchmark_data/ /app/benchmark_data/
# Owned by nonroot so a named volume mounted here starts out writable.
COPY --from=build --chown=65532:65532 /app/empty-results /results

# DENO_USE_CGROUPS: size the V8 heap from the container's memory limit.
# METRICS_HOST: the metrics server must listen beyond the container's own
# loopback for `-p 8000:8000` to reach it.
ENV DENO_USE_CGROUPS=1 \
    METRICS_HOST=0.0.0.0 \
    METRICS_PORT=8000 \
    OUTPUT_DIR=/results

WORKDIR /app
EXPOSE 8000
USER nonroot
ENTRYPOINT ["/usr/local/bin/llm-bench"]
CMD ["/app/benchmark_data"]
