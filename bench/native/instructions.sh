#!/usr/bin/env bash
# Instructions per frame of the engine core (EngineCore::drain and
# everything it calls), counted by callgrind: unlike time, the count does not
# depend on what else the machine runs. Arguments: those of engine_bench
# (keep frames x rounds small: callgrind is ~50x slower than native).
# Usage: bench/native/instructions.sh - normalize /tmp/frames/mixed.tsv 2000 2 [--no-books] [--no-signals]
set -euo pipefail
bin="${ENGINE_BENCH:-$(dirname "$0")/../../build-native/engine_bench}"
out=$(mktemp)
frames=${4:-2000}
rounds=${5:-2}
valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no \
  --toggle-collect='*EngineCore::drain(*' "$bin" "$@" >/dev/null 2>&1
total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "$3 ${*:6}: $((total / (frames * rounds))) instructions/frame"
if [[ "${TOP:-0}" != 0 ]]; then callgrind_annotate "$out" 2>/dev/null | sed -n '/file:function/,$p' | head -n "$((TOP + 2))"; fi
rm -f "$out"
