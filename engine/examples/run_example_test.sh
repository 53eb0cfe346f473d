#!/usr/bin/env bash
# Runs the README's embedding example and checks what it prints.
set -euo pipefail
out=$("$1")
echo "$out"
[[ "$out" == *"CONSENT_PROMPT_USER Calendars.Read"* ]] || { echo "unexpected output"; exit 1; }
[[ "$out" == *"N5b"* ]] || { echo "explanation lacks N5b"; exit 1; }
