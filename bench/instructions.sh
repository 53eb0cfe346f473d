#!/bin/bash
# Instructions per evaluation, counted by callgrind: the one engine figure a
# shared, noisy machine cannot move (bench/README.md). Runs
# //bench:profile_driver under `valgrind --tool=callgrind` for the engine at
# each tenant size and for the hand-written floor, counting only
# RunProfiled() (one pass over the 4,096-request stream), and prints a table
# with the engine/floor and xlarge/small ratios.
#
# Usage: bench/instructions.sh [OUT_DIR]      (about 2 minutes)
# Environment: BAZEL_OUTPUT_BASE (passed as --output_base).
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-$(mktemp -d /tmp/consent-instructions.XXXXXX)}
mkdir -p "$OUT"
BAZEL=(bazel)
if [[ -n "${BAZEL_OUTPUT_BASE:-}" ]]; then BAZEL+=(--output_base="$BAZEL_OUTPUT_BASE"); fi
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

"${BAZEL[@]}" build --config=bench //bench:profile_driver
DRIVER="$("${BAZEL[@]}" info --config=bench bazel-bin 2>/dev/null)/bench/profile_driver"
REQUESTS=4096

count() {  # size mode -> instructions per request
  local out="$OUT/callgrind.$1.$2"
  valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*RunProfiled*' \
    "$DRIVER" --size="$1" --mode="$2" --passes=1 >"$out.log" 2>&1
  local total
  total=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.log")
  echo $((total / REQUESTS))
}

small=$(count small evaluate)
large=$(count large evaluate)
xlarge=$(count xlarge evaluate)
floor=$(count large floor)

echo "| | instructions per request |"
echo "|---|---|"
echo "| Evaluate, small | $small |"
echo "| Evaluate, large | $large |"
echo "| Evaluate, xlarge | $xlarge |"
echo "| floor, large | $floor |"
awk -v l="$large" -v f="$floor" -v x="$xlarge" -v s="$small" 'BEGIN {
  printf "\nengine/floor (large) = %.2f; xlarge/small = %.2f\n", l / f, x / s }'
echo "(callgrind outputs in $OUT; callgrind_annotate FILE for the breakdown)"
