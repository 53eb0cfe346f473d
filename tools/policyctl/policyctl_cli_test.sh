#!/usr/bin/env bash
# CLI contract of policyctl: exit codes, validate/eval/test output, --junit.
set -uo pipefail
ctl="$1"
contoso="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fails=0
check() {  # check NAME WANT_RC GOT_RC OUTPUT PATTERN
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: exit $3, want $2"; echo "$4"; fails=$((fails + 1)); return
  fi
  if ! grep -qF -- "$5" <<<"$4"; then
    echo "FAIL $1: output lacks: $5"; echo "$4"; fails=$((fails + 1)); return
  fi
  echo "ok $1"
}

out=$("$ctl" 2>&1); check "no command is usage" 2 $? "$out" "usage:"
out=$("$ctl" frobnicate 2>&1); check "unknown command" 2 $? "$out" 'unknown command "frobnicate"'
out=$("$ctl" test --bogus x 2>&1); check "unknown option" 2 $? "$out" 'unknown option "--bogus"'

out=$("$ctl" validate "$contoso" 2>&1); check "validate ok" 0 $? "$out" "OK $contoso"

cat >"$tmp/bad.bundle.textproto" <<'PB'
tenant_id: "t-bad"
resources { app_id: "x" scopes { id: "s" value: "s" admin_only: true classification: "low" } }
PB
out=$("$ctl" validate "$tmp/bad.bundle.textproto" 2>&1); check "validate names field path" 1 $? "$out" "resources[0]"
printf 'tenant_id: "t" nope: 1\n' >"$tmp/syntax.bundle.textproto"
out=$("$ctl" validate "$tmp/syntax.bundle.textproto" 2>&1); check "validate syntax error has line" 1 $? "$out" "syntax.bundle.textproto:1:"

cat >"$tmp/req.textproto" <<'PB'
tenant: "t-contoso" now: "2025-03-03T10:00:00Z" grant_type: "interactive"
client_id: "app-expense" client_authenticated: true scope: "user.read Calendars.Read"
user { id: "alice" }
PB
out=$("$ctl" eval "$contoso" "$tmp/req.textproto" 2>&1); check "eval text" 0 $? "$out" "prompt.scopes: Calendars.Read"
out=$("$ctl" eval --json "$contoso" "$tmp/req.textproto" 2>&1); check "eval json" 0 $? "$out" '"outcome": "CONSENT_PROMPT_USER"'
out=$("$ctl" eval "$contoso" "$tmp/missing.textproto" 2>&1); check "eval missing request" 2 $? "$out" "cannot open"

bundle_abs="$(cd "$(dirname "$contoso")" && pwd)/$(basename "$contoso")"
cat >"$tmp/x.suite.textproto" <<PB
bundle: "$bundle_abs"
users { name: "alice" user { id: "alice" } }
defaults { tenant: "t-contoso" now: "2025-03-03T10:00:00Z" grant_type: "interactive" client_id: "app-expense" client_authenticated: true }
cases { name: "right" user: "alice" request { scope: "User.Read" } expect { outcome: ISSUE scp: "User.Read" } }
cases { name: "wrong" user: "alice" request { scope: "User.Read" } expect { outcome: BLOCKED } }
PB
out=$("$ctl" test --junit="$tmp/j.xml" --coverage "$tmp" 2>&1); rc=$?
check "test fails on a failing case" 1 $rc "$out" "1 passed, 1 failed"
check "test prints the diff" 1 $rc "$out" "expected: BLOCKED"
check "test prints coverage" 1 $rc "$out" "coverage $bundle_abs"
last=$(tail -n1 <<<"$out"); check "final line is last" 1 $rc "$last" "1 passed, 1 failed"
junit=$(cat "$tmp/j.xml"); check "junit has both cases" 0 0 "$junit" 'tests="2" failures="1"'
out=$("$ctl" test "$tmp/none" 2>&1); check "missing path" 1 $? "$out" "no such file or directory"

echo "$fails failed"
[[ $fails -eq 0 ]]
