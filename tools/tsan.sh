#!/usr/bin/env bash
# ThreadSanitizer over the server and concurrency tests (issue 8), for real:
# against TSan builds of Debian's own Abseil, protobuf and gRPC
# (tools/tsan_deps.sh, cached in ~/.cache/consent-tsan), so that
# absl::Mutex/CondVar and gRPC's hand-offs between its threads are visible and
# only genuine races are reported.
#
#   1. tools/tsan_deps.sh                 (builds the libraries once; cached)
#   2. bazel test --config=tsan TARGETS   (binaries get an rpath to those
#      libraries; separate --output_base so the normal cache is not thrashed)
#      where TARGETS are the tests that run threads: engine/snapshot,
#      tests/concurrency (one compiled policy, several evaluating threads), server,
#      tests/integration (hot reload under load), tests/interop (the real
#      policyd binary) and //tests/tsan:sync_canary_test.
#   3. the negative check: //tests/tsan:race_canary_test holds deliberate
#      races and must FAIL with TSan reports naming them.
#
# Exit status 0 only if step 2 passes and step 3 fails as it must. The last
# line says which. Extra arguments go to both bazel test runs.
# Usage: tools/tsan.sh [bazel test flags]
# Env: CONSENT_TSAN_OUTPUT_BASE (default ~/.cache/bazel-tsan), TSAN_JOBS (2).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$SECONDS

tools/setup.sh || { echo "tsan: setup failed"; exit 1; }
libdir=$(tools/tsan_deps.sh) || { echo "tsan: building the instrumented libraries failed"; exit 1; }
echo "tsan: instrumented libraries in $libdir ($((SECONDS - start)) s)" >&2

output_base="${CONSENT_TSAN_OUTPUT_BASE:-$HOME/.cache/bazel-tsan}"
jobs="${TSAN_JOBS:-2}"
targets=(
  //engine/snapshot/...
  //tests/concurrency/...
  //server/...
  //tests/integration/...
  //tests/interop/...
  //tests/tsan:sync_canary_test
)
flags=(
  --config=tsan
  # No bazel-* convenience symlinks: they would point into this output base,
  # and the normal build (tools/test.sh, //...) would then descend into them.
  --symlink_prefix=/
  --jobs="$jobs"
  # DT_RPATH (not RUNPATH) so that it also applies to the libraries' own
  # dependencies (libgrpc.so.29 -> libabsl_*.so): every Abseil, protobuf and
  # gRPC library comes from $libdir, none from /usr/lib.
  --linkopt=-Wl,--disable-new-dtags,-rpath,"$libdir"
  --test_env=CONSENT_TSAN_LIBDIR="$libdir"
  # Bazel does not track the libraries or the suppressions as inputs: this
  # digest makes cached test results stale when either changes.
  --test_env=CONSENT_TSAN_STAMP="$(cat "$libdir"/.stamp-* tools/tsan.supp | sha256sum | cut -c1-16)"
  # exitcode=66 (the default) fails a test with any report; tools/tsan.supp
  # holds the documented false positives (third-party frames only).
  --test_env=TSAN_OPTIONS="suppressions=$root/tools/tsan.supp second_deadlock_stack=1 exitcode=66"
)
if [[ -n "${CI:-}" ]]; then flags+=(--noshow_progress --curses=no); fi
bazel_() { nice -n 10 timeout 5400 bazel --output_base="$output_base" "$@"; }

marker=$(mktemp)
trap 'rm -f "$marker"' EXIT
status=0
bazel_ test "${flags[@]}" "$@" "${targets[@]}" 2>&1 | grep --line-buffered -v -E '^\s*$'
rc=${PIPESTATUS[0]}
testlogs=$(bazel_ info "${flags[@]}" bazel-testlogs 2>/dev/null)
reports=0
# Logs of this run only (cached results keep their old logs, which passed).
for log in $(find "$testlogs" -name test.log -newer "$marker" 2>/dev/null |
             grep -v /tests/tsan/race_canary_test/); do
  n=$(grep -c '^WARNING: ThreadSanitizer:' "$log")
  if [[ $n -gt 0 ]]; then
    echo "tsan: $n report(s) in ${log#"$testlogs"/}" >&2
    reports=$((reports + n))
  fi
done
if [[ $rc -ne 0 ]]; then
  echo "tsan: FAILED: bazel test exited $rc with $reports TSan report(s)"
  status=1
fi

# Negative check: the deliberate races must be reported.
# Always re-run it (a few seconds), never trust a cached outcome.
bazel_ test "${flags[@]}" --test_output=summary --nocache_test_results "$@" \
  //tests/tsan:race_canary_test >/dev/null 2>&1
canary_rc=$?
canary_log="$testlogs/tests/tsan/race_canary_test/test.log"
missing=()
for fn in RacyIncrement 'RacyHealth::Check'; do
  grep -A12 '^WARNING: ThreadSanitizer: data race' "$canary_log" 2>/dev/null | grep -q "$fn" ||
    missing+=("$fn")
done
canary_reports=$(grep -c '^WARNING: ThreadSanitizer:' "$canary_log" 2>/dev/null)
if [[ $canary_rc -eq 0 || ${#missing[@]} -gt 0 ]]; then
  echo "tsan: negative check FAILED: race_canary_test exited $canary_rc, races not reported in: ${missing[*]:-?} (log: $canary_log)"
  status=1
else
  echo "tsan: negative check ok: race_canary_test failed with ${canary_reports:-0} report(s) naming RacyIncrement and RacyHealth::Check" >&2
fi

if [[ $status -eq 0 ]]; then
  echo "tsan: clean: ${#targets[@]} target patterns passed with 0 TSan reports; negative check ok ($((SECONDS - start)) s)"
fi
exit $status
