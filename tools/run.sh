#!/usr/bin/env bash
# Builds policyd and runs it on 127.0.0.1:50051 with the example tenants in
# policies/ (hot-reloaded: edit a bundle and it is recompiled and swapped in).
# Extra arguments are passed to policyd, e.g. tools/run.sh --decision_log=/tmp/d.jsonl
# Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight calls drain first.
# Flags and behaviour: server/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
# Optimized (-O3, .bazelrc's `opt` config): the sidecar is the hot path.
bazel build --config=opt //server:policyd
bin="$(bazel info --config=opt bazel-bin 2>/dev/null)/server/policyd"
listen="${POLICYD_LISTEN:-127.0.0.1:50051}"

cat >&2 <<EOF_HINT
policyd: serving $(pwd)/policies on ${listen}
Query it from another shell (Debian's python3-grpcio; use /usr/bin/python3):
  /usr/bin/python3 tools/client/policyd_query.py --target ${listen} health
  /usr/bin/python3 tools/client/policyd_query.py --target ${listen} list
  /usr/bin/python3 tools/client/policyd_query.py --target ${listen} evaluate \\
      --tenant t-contoso --client app-expense --user alice \\
      --scope "User.Read Calendars.Read" --now 2025-03-03T10:00:00Z
Server reflection is on, so grpcurl / grpc_cli work too, e.g.:
  grpcurl -plaintext ${listen} list
  grpcurl -plaintext -d '{"request":{"tenant":"t-contoso","now":"2025-03-03T10:00:00Z","grant_type":"interactive","client_id":"app-expense","client_authenticated":true,"scope":"User.Read","user":{"id":"alice"}}}' ${listen} consent.v1.PolicyService/Evaluate
  grpc_cli call ${listen} grpc.health.v1.Health/Check ''
EOF_HINT

exec "$bin" --policy_dir=policies --listen="${listen}" "$@"
