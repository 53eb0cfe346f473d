#!/usr/bin/env bash
# Python interop: starts the real policyd binary on an ephemeral loopback port
# with tests/interop/testdata, generates Python stubs with Debian's protoc +
# grpc_python_plugin, runs interop_test.py and the documented client command
# with /usr/bin/python3 (python3-grpcio), then stops policyd with SIGTERM and
# checks it drained and exited 0.
set -euo pipefail
root="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-consent_engine}"
tmp="${TEST_TMPDIR:?}"
mkdir -p "$tmp/policies"
cp "$root/tests/interop/testdata/t-py.bundle.textproto" "$tmp/policies/"

"$root/server/policyd" --policy_dir="$tmp/policies" --listen=127.0.0.1:0 \
  --port_file="$tmp/port" --max_batch_size=4 --stats_interval=0s \
  --decision_log="$tmp/decisions.jsonl" 2>"$tmp/policyd.log" &
pid=$!
cleanup() { kill -KILL "$pid" 2>/dev/null || true; }
trap cleanup EXIT

for _ in $(seq 1 600); do
  [[ -s "$tmp/port" ]] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "policyd exited early:"; cat "$tmp/policyd.log"; exit 1
  fi
  sleep 0.05
done
[[ -s "$tmp/port" ]] || { echo "policyd did not report its port"; cat "$tmp/policyd.log"; exit 1; }
target="127.0.0.1:$(cat "$tmp/port")"
"$root/tools/client/gen_stubs.sh" "$tmp/stubs"

# Health turns SERVING once the first load has produced a tenant (bounded wait).
health=""
for _ in $(seq 1 100); do
  health=$(/usr/bin/python3 "$root/tools/client/policyd_query.py" --stubs "$tmp/stubs" \
    --target "$target" health || true)
  [[ "$health" == "SERVING" ]] && break
  sleep 0.1
done
[[ "$health" == "SERVING" ]] || { echo "health never SERVING: '$health'"; cat "$tmp/policyd.log"; exit 1; }

/usr/bin/python3 "$root/tests/interop/interop_test.py" --target "$target" \
  --stubs "$tmp/stubs" --bundle "$tmp/policies/t-py.bundle.textproto"

# The README's client command.
/usr/bin/python3 "$root/tools/client/policyd_query.py" --stubs "$tmp/stubs" --target "$target" \
  evaluate --tenant t-py --client app-py --user alice --scope User.Read \
  --now 2025-03-03T10:00:00Z | grep -q '"outcome": "ISSUE"' \
  || { echo "policyd_query.py evaluate did not print ISSUE"; exit 1; }

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
trap - EXIT
cat "$tmp/policyd.log"
[[ $rc -eq 0 ]] || { echo "policyd exited with $rc after SIGTERM"; exit 1; }
grep -q "received SIGTERM" "$tmp/policyd.log"
grep -q "stopped:" "$tmp/policyd.log"
# Every Evaluate/BatchEvaluate decision reached the decision log.
lines=$(wc -l < "$tmp/decisions.jsonl")
# 1 + 1 + 1 (Evaluate tests) + 3 (batch) + 1 (policyd_query.py evaluate).
[[ $lines -eq 7 ]] || { echo "decision log has $lines lines, expected 7"; exit 1; }
echo "PASS"
