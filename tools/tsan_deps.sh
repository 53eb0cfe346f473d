#!/usr/bin/env bash
# Builds ThreadSanitizer-instrumented copies of the Debian 12 libraries whose
# synchronisation TSan must see: Abseil (absl::Mutex, CondVar, call_once),
# protobuf and gRPC (core, C++, reflection, upb, address_sorting). They are
# built from Debian's own source packages (`apt-get source`, the exact
# versions installed), as shared libraries with Debian's SONAMEs, so a test
# binary compiled against Debian's headers (/usr/include) loads them in place
# of /usr/lib's copies when --config=tsan links it with an rpath to
# $CACHE/lib (tools/tsan.sh does that).
#
# Why all three: TSan only sees happens-before edges that instrumented code
# (or an intercepted libc call) makes. Debian's absl::Mutex / CondVar spin
# and futex-wait in uninstrumented code, and gRPC hands calls between its
# threads through its own atomics, so without this every absl::Mutex-guarded
# access and every gRPC callback is reported as a race. protobuf is not
# optional either: its headers add fields to MapFieldBase when
# __SANITIZE_THREAD__ is defined, so a TSan binary against Debian's
# uninstrumented libprotobuf is ABI-mismatched (decision_log_test crashes in
# Map<string, Value> lookups).
#
# Idempotent: each library is rebuilt only when the installed Debian version
# or the flags below change (stamp files in $CACHE/lib). Prints the library
# directory on stdout; progress goes to stderr and $CACHE/logs/.
# Cold cost on 2 cores: see README.md (Development). Needs deb-src (added to
# /etc/apt/sources.list.d/ when missing), cmake, ninja, dpkg-dev and the
# -dev packages gRPC builds against; installs what is missing (sudo if not
# root).
#
# Usage: tools/tsan_deps.sh            (env: CONSENT_TSAN_CACHE, TSAN_DEPS_JOBS)
set -euo pipefail

cache="${CONSENT_TSAN_CACHE:-$HOME/.cache/consent-tsan}"
jobs="${TSAN_DEPS_JOBS:-2}"
libdir="$cache/lib"
flags="-O1 -g1 -fno-omit-frame-pointer -fsanitize=thread"
mkdir -p "$cache/src" "$cache/build" "$cache/logs" "$libdir"

log() { echo "tsan_deps: $*" >&2; }
sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi

# Version of the source package behind an installed binary package.
src_version() { dpkg-query -W -f='${source:Version}' "$1"; }

declare -A want=(
  [abseil]="$(src_version libabsl-dev)"
  [protobuf]="$(src_version libprotobuf-dev)"
  [grpc]="$(src_version libgrpc++-dev)"
)
# Bump recipe when the build commands below change, to rebuild (relink) all.
recipe=2
stamp_of() { echo "$1=${want[$1]} flags=$flags recipe=$recipe"; }
up_to_date() { [[ -f "$libdir/.stamp-$1" && "$(cat "$libdir/.stamp-$1")" == "$(stamp_of "$1")" ]]; }

if up_to_date abseil && up_to_date protobuf && up_to_date grpc; then
  echo "$libdir"
  exit 0
fi

# --- prerequisites -----------------------------------------------------------
missing=()
for p in cmake ninja-build dpkg-dev libc-ares-dev libssl-dev zlib1g-dev libre2-dev \
         protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev libabsl-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
need_update=0
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  log "adding a deb-src entry: /etc/apt/sources.list.d/debian-src.sources"
  "${sudo[@]}" tee /etc/apt/sources.list.d/debian-src.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  need_update=1
fi
# A deb-src entry whose index was never fetched: apt knows no source packages.
if [[ -z "$(apt-cache showsrc abseil 2>/dev/null)" ]]; then need_update=1; fi
if [[ ${#missing[@]} -gt 0 || $need_update -eq 1 ]]; then
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "installing ${missing[*]}"
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
fi

# fetch PKG: unpacks Debian's source package (patches applied) once; prints its directory.
fetch() {
  local pkg=$1 ver=${want[$1]}
  local upstream=${ver#*:}; upstream=${upstream%-*}
  local dir="$cache/src/$pkg-$upstream"
  if [[ ! -f "$cache/src/.fetched-$pkg-$ver" ]]; then
    log "fetching Debian source $pkg=$ver"
    rm -rf "$dir"
    (cd "$cache/src" && apt-get source -qq "$pkg=$ver" >"$cache/logs/$pkg-source.log" 2>&1) ||
      { log "apt-get source $pkg=$ver failed (is that version still in the archive?)"; exit 1; }
    touch "$cache/src/.fetched-$pkg-$ver"
  fi
  echo "$dir"
}

# cmake_build PKG SRC TARGETS... -- CMAKE_ARGS...
cmake_build() {
  local pkg=$1 src=$2; shift 2
  local targets=()
  while [[ $1 != -- ]]; do targets+=("$1"); shift; done
  shift
  local bdir="$cache/build/$pkg"
  log "building $pkg ${want[$pkg]} with TSan (log: $cache/logs/$pkg.log)"
  local start=$SECONDS
  # CMAKE_SKIP_RPATH: no build-tree RUNPATH in the libraries. A library's
  # RUNPATH, not the test binary's RPATH, decides where its own dependencies
  # come from: libgrpc.so would load libupb from the build tree and Abseil's
  # random libraries from /usr/lib (//tests/tsan:sync_canary_test checks).
  {
    nice -n 10 cmake -S "$src" -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=None \
      -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
      -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
      -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=ON -DCMAKE_SKIP_RPATH=ON "$@" &&
    nice -n 10 ninja -C "$bdir" -j "$jobs" "${targets[@]}"
  } >"$cache/logs/$pkg.log" 2>&1 || { log "$pkg build failed; tail of $cache/logs/$pkg.log:"; tail -20 "$cache/logs/$pkg.log" >&2; exit 1; }
  log "$pkg built in $((SECONDS - start)) s"
}

# install_libs PKG GLOB...: copies the built shared objects (and their SONAME links).
install_libs() {
  local pkg=$1; shift
  local bdir="$cache/build/$pkg" n=0
  for pattern in "$@"; do
    while IFS= read -r -d '' f; do cp -a "$f" "$libdir/"; n=$((n + 1)); done \
      < <(find "$bdir" -name "$pattern" \( -type f -o -type l \) -print0)
  done
  [[ $n -gt 0 ]] || { log "no libraries found for $pkg"; exit 1; }
  stamp_of "$pkg" >"$libdir/.stamp-$pkg"
}

if ! up_to_date abseil; then
  src=$(fetch abseil)
  cmake_build abseil "$src" all -- -DBUILD_TESTING=OFF -DABSL_PROPAGATE_CXX_STD=ON
  install_libs abseil 'libabsl_*.so.*'
fi

if ! up_to_date protobuf; then
  src=$(fetch protobuf)
  # Only libprotobuf: protoc stays Debian's (a build tool, no threads of ours).
  cmake_build protobuf "$src/cmake" libprotobuf -- -Dprotobuf_BUILD_TESTS=OFF \
    -Dprotobuf_BUILD_PROTOC_BINARIES=OFF -Dprotobuf_WITH_ZLIB=ON
  install_libs protobuf 'libprotobuf.so.*'
fi

if ! up_to_date grpc; then
  src=$(fetch grpc)
  # Debian's configuration (debian/rules) minus tests and plugins; only the
  # libraries our binaries load are built. CMAKE_SYSTEM_NAME makes CMake treat
  # the build as a cross build, so the reflection stubs are generated with
  # Debian's own protoc and grpc_cpp_plugin (same version) instead of a TSan
  # build of the plugin (which would also need libprotoc-dev).
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
  cmake_build grpc "$src" grpc gpr grpc++ grpc++_reflection upb address_sorting -- \
    -DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="$(uname -m)" \
    -DProtobuf_PROTOC_LIBRARY="/usr/lib/$multiarch/libprotoc.so.32" \
    -DgRPC_ABSL_PROVIDER=package -DgRPC_CARES_PROVIDER=package \
    -DgRPC_PROTOBUF_PROVIDER=package -DgRPC_RE2_PROVIDER=package \
    -DgRPC_SSL_PROVIDER=package -DgRPC_ZLIB_PROVIDER=package \
    -DgRPC_BENCHMARK_PROVIDER=none -DgRPC_BUILD_TESTS=OFF \
    -DgRPC_BACKWARDS_COMPATIBILITY_MODE=OFF \
    -DgRPC_BUILD_GRPC_CPP_PLUGIN=OFF -DgRPC_BUILD_GRPC_CSHARP_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_NODE_PLUGIN=OFF -DgRPC_BUILD_GRPC_OBJECTIVE_C_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_PHP_PLUGIN=OFF -DgRPC_BUILD_GRPC_PYTHON_PLUGIN=OFF \
    -DgRPC_BUILD_GRPC_RUBY_PLUGIN=OFF
  install_libs grpc 'libgrpc.so.*' 'libgpr.so.*' 'libgrpc++.so.*' \
    'libgrpc++_reflection.so.*' 'libupb.so.*' 'libaddress_sorting.so.*'
fi

echo "$libdir"
