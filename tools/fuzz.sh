#!/bin/bash
# Runs every libFuzzer target of tests/fuzz for SECONDS each (issue 8).
#
# Usage: tools/fuzz.sh [SECONDS] [FUZZER...]      (default 60 s, all six)
#
# Builds with `--config=fuzz` (clang 14, ASan + UBSan; needs `clang` and
# `libclang-rt-14-dev`: tools/setup.sh --with-fuzz) in its own Bazel output
# base ($FUZZ_OUTPUT_BASE, default ~/.cache/bazel-fuzz) because switching the
# compiler re-configures the C++ toolchain. Each fuzzer starts from its seed
# corpus (tests/fuzz/corpus/<name>, seeded from policies/) plus policies/, and
# writes new inputs to $FUZZ_WORKDIR/<name> (default /tmp/consent-fuzz).
# Crashes land in $FUZZ_WORKDIR/crashes/<name>/: copy each one to
# tests/fuzz/regressions/<name>/ so `<name>_replay` keeps it fixed.
# FUZZ_DIFFERENTIAL=1 makes request_fuzzer abort on any engine/reference
# disagreement. Exit status: non-zero if any fuzzer crashed.
set -uo pipefail

cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-60}"
shift || true
FUZZERS=("$@")
if [[ ${#FUZZERS[@]} -eq 0 ]]; then
  FUZZERS=(request_fuzzer scope_fuzzer claims_fuzzer device_filter_fuzzer bundle_fuzzer request_decoder_fuzzer)
fi
OUTPUT_BASE="${FUZZ_OUTPUT_BASE:-$HOME/.cache/bazel-fuzz}"
WORKDIR="${FUZZ_WORKDIR:-/tmp/consent-fuzz}"

targets=()
for f in "${FUZZERS[@]}"; do targets+=("//tests/fuzz:$f"); done
bazel --output_base="$OUTPUT_BASE" build --config=fuzz "${targets[@]}" || exit 2
BIN="$(bazel --output_base="$OUTPUT_BASE" info --config=fuzz bazel-bin 2>/dev/null)/tests/fuzz"

status=0
for f in "${FUZZERS[@]}"; do
  mkdir -p "$WORKDIR/$f" "$WORKDIR/crashes/$f"
  seeds=("tests/fuzz/corpus/$f")
  case "$f" in
    bundle_fuzzer) seeds+=(policies/builtin policies/contoso policies/fabrikam policies/contoso/variants) ;;
  esac
  echo "=== $f: ${SECONDS_EACH}s"
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
    "$BIN/$f" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -max_len=16384 -print_final_stats=1 \
      -artifact_prefix="$WORKDIR/crashes/$f/" "$WORKDIR/$f" "${seeds[@]}" \
      2>&1 | tee "$WORKDIR/$f.log" | grep -E "^(#[0-9]+ +(INITED|DONE)|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|INVARIANT|engine and reference)" 
  rc=${PIPESTATUS[0]}
  if [[ $rc -ne 0 ]]; then
    echo "!!! $f exited $rc; artifacts: $(ls "$WORKDIR/crashes/$f" | tr '\n' ' ')"
    status=1
  fi
done
exit $status
