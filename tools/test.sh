#!/usr/bin/env bash
# Runs the whole test suite and prints one line "N passed, N failed", counting
# test cases (gtest cases and policy-suite cases, summed over every test
# target's test.xml). Exits non-zero on any failure or build error.
# Usage: tools/test.sh [extra bazel test flags, e.g. --config=asan]
set -uo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

bazel_flags=()
if [[ -n "${CI:-}" ]]; then
  # Keep CI's log readable: no progress bar, and results of cached runs too.
  bazel_flags+=(--noshow_progress --curses=no)
fi

bazel test "${bazel_flags[@]}" "$@" //... 2>&1 | grep --line-buffered -v -E '^\s*$'
bazel_rc=${PIPESTATUS[0]}

targets=$(bazel query 'tests(//...) except attr(tags, "manual", tests(//...))' 2>/dev/null)
testlogs=$(bazel info bazel-testlogs 2>/dev/null)
/usr/bin/python3 - "$bazel_rc" "$testlogs" $targets <<'PY'
import os, sys
import xml.etree.ElementTree as ET

bazel_rc = int(sys.argv[1])
testlogs = sys.argv[2]
passed = failed = 0
missing = []
for label in sys.argv[3:]:
    path = os.path.join(testlogs, label.lstrip("/").replace(":", "/"), "test.xml")
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        missing.append(label)
        continue
    cases = list(root.iter("testcase"))
    if not cases:
        missing.append(label)
        continue
    for case in cases:
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
for label in missing:
    print(f"no test results for {label} (build failure or crash)")
failed += len(missing)
if bazel_rc != 0 and failed == 0:
    failed = 1  # bazel failed without a failing case: count the run itself
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
