#!/usr/bin/env bash
# README.md must quote engine/examples/embed_example.cc's example verbatim.
set -euo pipefail
example=$(sed -n '/\[example begin\]/,/\[example end\]/p' engine/examples/embed_example.cc | sed '1d;$d')
readme=$(sed -n '/<!-- example begin -->/,/<!-- example end -->/p' README.md | sed '1,2d' | sed '$d' | sed '$d')
if [[ "$example" != "$readme" ]]; then
  echo "README.md's embedding example differs from engine/examples/embed_example.cc:"
  diff <(echo "$example") <(echo "$readme") || true
  exit 1
fi
echo "README example in sync"
