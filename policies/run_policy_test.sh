#!/usr/bin/env bash
# Test driver of policy_test() (policy_test.bzl): policyctl test with JUnit
# output where Bazel wants it. Usage: run_policy_test.sh POLICYCTL [--coverage] SUITE...
set -euo pipefail
policyctl="$1"
shift
junit=()
if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
  junit=("--junit=${XML_OUTPUT_FILE}")
fi
exec "${policyctl}" test "${junit[@]}" "$@"
