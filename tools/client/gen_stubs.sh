#!/usr/bin/env bash
# Generates the Python stubs of policyd's API with Debian's protoc and
# grpc_python_plugin (packages protobuf-compiler, protobuf-compiler-grpc).
# Usage: tools/client/gen_stubs.sh [OUT_DIR]   (default: tools/client/gen)
# Modules: proto/service_pb2(_grpc).py, proto/request_pb2.py,
# proto/decision_pb2.py and health_pb2(_grpc).py (from server/health.proto);
# put OUT_DIR on sys.path.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here/gen}"
plugin=/usr/bin/grpc_python_plugin
if [[ ! -x "$plugin" || ! -x /usr/bin/protoc ]]; then
  echo "gen_stubs: needs /usr/bin/protoc and $plugin (apt-get install protobuf-compiler protobuf-compiler-grpc, or tools/setup.sh)" >&2
  exit 1
fi
mkdir -p "$out"
(cd "$root" && /usr/bin/protoc -I. --python_out="$out" \
    --plugin=protoc-gen-grpc_python="$plugin" --grpc_python_out="$out" \
    proto/request.proto proto/decision.proto proto/service.proto)
/usr/bin/protoc -I"$root/server" --python_out="$out" \
    --plugin=protoc-gen-grpc_python="$plugin" --grpc_python_out="$out" \
    "$root/server/health.proto"
