#!/bin/bash
# Runs every benchmark of issue 7 and prints bench/README.md's tables:
#   1. //bench:engine_bench (micro-benchmarks, medians of 5 repetitions);
#   2. //server:policyd on a temporary policy dir holding the generated large
#      bundle, driven by //bench:loadgen at concurrency 1 and 16, with
#      batches of 100 (these three also with --omit_explanation, the
#      decision-only answers), and with a bundle rewrite every second; policyd is
#      stopped at the end (or on any error);
#   3. bench/report.py over the JSON results.
# loadgen measures the server by default: requests pre-serialized, answers
# received as raw bytes and only a sample of them decoded and checked, in
# every phase alike (bench/loadgen.cc); LOADGEN_DECODE_ANSWERS=1 runs the
# typed client that decodes every answer instead (the client's view).
#
# Usage: bench/run.sh [OUT_DIR]
# Environment:
#   BAZEL_OUTPUT_BASE   passed as --output_base (default: Bazel's own)
#   BENCH_REPETITIONS   engine_bench repetitions (default 5)
#   BENCH_FILTER        engine_bench --benchmark_filter (default: all)
#   LOADGEN_DURATION_S  seconds per loadgen phase (default 5)
#   LOADGEN_SIZE        tenant size served and requested (default large)
#   LOADGEN_DECODE_ANSWERS=1  loadgen --decode_answers (typed client)
#   SKIP_ENGINE=1 / SKIP_SIDECAR=1  skip a part
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-$(mktemp -d /tmp/consent-bench.XXXXXX)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BAZEL=(bazel)
if [[ -n "${BAZEL_OUTPUT_BASE:-}" ]]; then BAZEL+=(--output_base="$BAZEL_OUTPUT_BASE"); fi
REPS=${BENCH_REPETITIONS:-5}
DURATION=${LOADGEN_DURATION_S:-5}
SIZE=${LOADGEN_SIZE:-large}
RUN=("${BAZEL[@]}" run --config=bench --ui_event_filters=-info,-stdout,-stderr --noshow_progress)

echo "== results in $OUT"
echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"

"${BAZEL[@]}" build --config=bench //bench:engine_bench //bench:loadgen //server:policyd

if [[ "${SKIP_ENGINE:-0}" != 1 ]]; then
  echo "== engine_bench"
  "${RUN[@]}" //bench:engine_bench -- \
    --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true \
    ${BENCH_FILTER:+--benchmark_filter="$BENCH_FILTER"} \
    --benchmark_out="$OUT/engine.json" --benchmark_out_format=json
fi

LOADGEN_JSON=()
if [[ "${SKIP_SIDECAR:-0}" != 1 ]]; then
  POLICY_DIR="$OUT/policies"
  mkdir -p "$POLICY_DIR"
  BUNDLE="$POLICY_DIR/synthetic.bundle.textproto"
  "${RUN[@]}" //bench:loadgen -- --write_bundle="$BUNDLE" --size="$SIZE"
  PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  POLICYD="$("${BAZEL[@]}" info --config=bench bazel-bin 2>/dev/null)/server/policyd"
  echo "== policyd on 127.0.0.1:$PORT, $POLICY_DIR (log: $OUT/policyd.log)"
  "$POLICYD" --listen="127.0.0.1:$PORT" --policy_dir="$POLICY_DIR" --poll_interval_ms=200 \
    >"$OUT/policyd.log" 2>&1 &
  PID=$!
  trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
  LG=("${RUN[@]}" //bench:loadgen -- --target="127.0.0.1:$PORT" --size="$SIZE"
      --duration_s="$DURATION" --warmup_s=1 --server_pid="$PID")
  if [[ "${LOADGEN_DECODE_ANSWERS:-0}" == 1 ]]; then LG+=(--decode_answers); fi
  status=0
  echo "== loadgen, concurrency 1"
  "${LG[@]}" --concurrency=1 --json_out="$OUT/loadgen_c1.json" || status=$?
  echo "== loadgen, concurrency 16 over 4 channels"
  "${LG[@]}" --concurrency=16 --channels=4 --json_out="$OUT/loadgen_c16.json" || status=$?
  echo "== loadgen, BatchEvaluate of 100, concurrency 4"
  "${LG[@]}" --concurrency=4 --channels=2 --batch=100 --json_out="$OUT/loadgen_batch.json" || status=$?
  # The same three, decision-only (omit_explanation: the token service's
  # hot-path setting; Noop padded to those answers' size).
  echo "== loadgen, concurrency 1, omit_explanation"
  "${LG[@]}" --concurrency=1 --omit_explanation --json_out="$OUT/loadgen_c1_omit.json" || status=$?
  echo "== loadgen, concurrency 16 over 4 channels, omit_explanation"
  "${LG[@]}" --concurrency=16 --channels=4 --omit_explanation \
    --json_out="$OUT/loadgen_c16_omit.json" || status=$?
  echo "== loadgen, BatchEvaluate of 100, concurrency 4, omit_explanation"
  "${LG[@]}" --concurrency=4 --channels=2 --batch=100 --omit_explanation \
    --json_out="$OUT/loadgen_batch_omit.json" || status=$?
  echo "== loadgen, concurrency 16, bundle rewritten every 1000 ms"
  "${LG[@]}" --concurrency=16 --channels=4 --reload_every_ms=1000 --bundle_path="$BUNDLE" \
    --json_out="$OUT/loadgen_reload.json" || status=$?
  kill -TERM $PID 2>/dev/null || true
  wait $PID 2>/dev/null || true
  trap - EXIT
  LOADGEN_JSON=("$OUT"/loadgen_c1.json "$OUT"/loadgen_c16.json "$OUT"/loadgen_batch.json
                "$OUT"/loadgen_c1_omit.json "$OUT"/loadgen_c16_omit.json
                "$OUT"/loadgen_batch_omit.json "$OUT"/loadgen_reload.json)
  if [[ $status != 0 ]]; then echo "== loadgen reported failed calls (exit $status); see above"; fi
fi

if [[ -f "$OUT/engine.json" || ${#LOADGEN_JSON[@]} -gt 0 ]]; then
  echo "== report"
  ENGINE_JSON="$OUT/engine.json"
  [[ -f "$ENGINE_JSON" && "${SKIP_ENGINE:-0}" != 1 ]] || ENGINE_JSON=-
  /usr/bin/python3 bench/report.py "$ENGINE_JSON" "${LOADGEN_JSON[@]}" | tee "$OUT/report.md"
fi
